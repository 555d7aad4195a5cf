// PBKDF2-HMAC in the passlib, Django and Werkzeug dialects, through OpenSSL libcrypto.
#include <array>
#include <climits>
#include <string>

#include <openssl/evp.h>

#include "backend.hpp"
#include "encoding.hpp"

namespace pwsvc {

namespace {

// passlib stores at most 1024 salt bytes (its max_salt_size), so pwsvc
// rejects longer salts instead of writing hashes passlib cannot read.
constexpr std::size_t k_max_salt_bytes = 1024;

// Messages quote a digest name from the hash cut to this many characters.
constexpr std::size_t k_max_name_in_message = 16;

struct Digest {
  std::string_view name;  // as the hash string spells it, e.g. "sha256"
  Algorithm algorithm;
  const EVP_MD* (*md)();
  std::size_t size;  // output bytes of the digest, the stored hash length
};

const std::array k_digests{
    Digest{"sha1", Algorithm::pbkdf2_sha1, EVP_sha1, 20},
    Digest{"sha256", Algorithm::pbkdf2_sha256, EVP_sha256, 32},
    Digest{"sha512", Algorithm::pbkdf2_sha512, EVP_sha512, 64},
};

const Digest* find_digest(std::string_view name) {
  for (const auto& digest : k_digests) {
    if (digest.name == name) {
      return &digest;
    }
  }
  return nullptr;
}

const Digest* digest_for(Algorithm algorithm) {
  for (const auto& digest : k_digests) {
    if (digest.algorithm == algorithm) {
      return &digest;
    }
  }
  return nullptr;
}

std::string quoted_name(std::string_view name) {
  std::string quoted(1, '\'');
  quoted += name.substr(0, k_max_name_in_message);
  quoted += name.size() > k_max_name_in_message ? "...'" : "'";
  return quoted;
}

// Parses an iteration count: digits only, 1 to 2^32 - 1 as passlib allows.
Result<std::uint64_t> parse_rounds(std::string_view text, std::string_view context,
                                   std::string_view field) {
  const auto value = parse_decimal(text);
  if (!value) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": " + std::string(field) +
                    " is not a decimal number (digits only, no sign, no leading zeros)");
  }
  if (*value == 0) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": " + std::string(field) + " is 0; it must be at least 1");
  }
  if (*value > UINT32_MAX) {
    return fail(ErrorCode::malformed_hash, std::string(context) + ": " + std::string(field) +
                                               " is above the maximum of 4294967295");
  }
  return *value;
}

// Fills everything but the salt and checksum, which the formats store
// differently. The checksum always has the digest's full size.
ParsedHash make_parsed(std::string_view stored, Format format, const Digest& digest,
                       std::uint64_t rounds) {
  ParsedHash parsed;
  parsed.algorithm = digest.algorithm;
  parsed.format = format;
  parsed.encoded = std::string(stored);
  parsed.cost.iterations = rounds;
  parsed.params = {{"rounds", std::to_string(rounds)}};
  parsed.digest_size = digest.size;
  return parsed;
}

// Django and Werkzeug use the salt's text itself as the salt bytes.
void set_literal_salt(ParsedHash& parsed, std::string_view text, ParseDepth depth) {
  if (depth == ParseDepth::full) {
    parsed.salt.assign(text.begin(), text.end());
  }
  parsed.salt_size = text.size();
}

// passlib: $pbkdf2$ROUNDS$SALT$HASH (SHA-1) or $pbkdf2-<digest>$ROUNDS$SALT$HASH,
// salt and hash in passlib's adapted base64.
Result<ParsedHash> parse_passlib(std::string_view stored, ParseDepth depth) {
  constexpr std::string_view context = "passlib pbkdf2 hash";
  const auto fields = split(stored, '$');
  const std::string_view ident = fields[1];

  // recognizes() lets through only "$pbkdf2$" and "$pbkdf2-...". passlib
  // spells SHA-1 as $pbkdf2$, never as $pbkdf2-sha1$.
  const bool is_sha1_ident = ident == "pbkdf2";
  const std::string_view name = is_sha1_ident ? "sha1" : ident.substr(7);
  const Digest* digest = is_sha1_ident || name != "sha1" ? find_digest(name) : nullptr;
  if (digest == nullptr) {
    return fail(ErrorCode::unsupported,
                std::string(context) + ": digest " + quoted_name(name) +
                    " is not supported; pwsvc verifies $pbkdf2$ (SHA-1), $pbkdf2-sha256$ and "
                    "$pbkdf2-sha512$");
  }
  if (fields.size() != 5) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": expected 3 fields after the identifier "
                                       "($rounds$salt$checksum), found " +
                    std::to_string(fields.size() - 2));
  }

  auto rounds = parse_rounds(fields[2], context, "rounds");
  if (!rounds) {
    return tl::unexpected(rounds.error());
  }
  ParsedHash parsed = make_parsed(stored, Format::passlib, *digest, *rounds);
  const bool keep = depth == ParseDepth::full;
  const auto salt_size = read_base64(fields[3], Base64::ab64, keep ? &parsed.salt : nullptr);
  if (!salt_size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": salt is not valid passlib adapted base64");
  }
  if (*salt_size > k_max_salt_bytes) {
    return fail(ErrorCode::malformed_hash, std::string(context) + ": salt is " +
                                               std::to_string(*salt_size) +
                                               " bytes; the maximum is 1024");
  }
  const auto checksum_size = read_base64(fields[4], Base64::ab64, keep ? &parsed.digest : nullptr);
  if (!checksum_size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": checksum is not valid passlib adapted base64");
  }
  if (*checksum_size != digest->size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": checksum is " + std::to_string(*checksum_size) +
                    " bytes; " + std::string(digest->name) + " needs exactly " +
                    std::to_string(digest->size));
  }
  parsed.salt_size = *salt_size;
  return parsed;
}

// Django: pbkdf2_<digest>$ITERATIONS$SALT$HASH. The salt is used as its ASCII
// text, and the hash is padded standard base64 of the full digest.
Result<ParsedHash> parse_django(std::string_view stored, ParseDepth depth) {
  constexpr std::string_view context = "Django pbkdf2 hash";
  const auto fields = split(stored, '$');
  const std::string_view name = fields[0].substr(7);

  // Django has no SHA-512 variant of this format, only SHA-256 and SHA-1.
  const Digest* digest = name == "sha512" ? nullptr : find_digest(name);
  if (digest == nullptr) {
    return fail(ErrorCode::unsupported,
                std::string(context) + ": digest " + quoted_name(name) +
                    " is not supported; Django writes pbkdf2_sha256 and pbkdf2_sha1");
  }
  if (fields.size() != 4) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": expected 3 fields after the algorithm "
                                       "($iterations$salt$hash), found " +
                    std::to_string(fields.size() - 1));
  }

  auto rounds = parse_rounds(fields[1], context, "iterations");
  if (!rounds) {
    return tl::unexpected(rounds.error());
  }
  if (fields[2].empty()) {
    return fail(ErrorCode::malformed_hash, std::string(context) + ": salt is empty");
  }
  if (fields[3].empty()) {
    return fail(ErrorCode::malformed_hash, std::string(context) + ": hash field is empty");
  }
  ParsedHash parsed = make_parsed(stored, Format::django, *digest, *rounds);
  const auto checksum_size = read_base64(fields[3], Base64::padded,
                                         depth == ParseDepth::full ? &parsed.digest : nullptr);
  if (!checksum_size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": hash is not valid padded base64");
  }
  if (*checksum_size != digest->size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": hash is " + std::to_string(*checksum_size) +
                    " bytes; " + std::string(digest->name) + " needs exactly " +
                    std::to_string(digest->size));
  }
  set_literal_salt(parsed, fields[2], depth);
  return parsed;
}

bool is_lowercase_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// Werkzeug: pbkdf2:<digest>:ITERATIONS$SALT$HEX. The salt is used as its text,
// and the hash is lowercase hex of the full digest, as Werkzeug compares it.
Result<ParsedHash> parse_werkzeug(std::string_view stored, ParseDepth depth) {
  constexpr std::string_view context = "Werkzeug pbkdf2 hash";
  const auto fields = split(stored, '$');
  const auto method = split(fields[0], ':');

  if (method.size() >= 2 && find_digest(method[1]) == nullptr) {
    return fail(ErrorCode::unsupported,
                std::string(context) + ": digest " + quoted_name(method[1]) +
                    " is not supported; pwsvc verifies sha256, sha512 and sha1");
  }
  // Werkzeug itself always writes the count. Without one, check_password_hash
  // substitutes the default of the Werkzeug release that verifies, and
  // releases have used 1000, 50000, 150000, 260000 (2.2) and 1000000 (3.1),
  // so no single value is right.
  if (method.size() < 3) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": the iteration count is missing (expected "
                                       "pbkdf2:<digest>:<iterations>); Werkzeug would use its "
                                       "own release's default, which has changed over time");
  }
  if (method.size() > 3 || fields.size() != 3) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": expected pbkdf2:<digest>:<iterations>$<salt>$<hash>");
  }
  const Digest& digest = *find_digest(method[1]);

  auto rounds = parse_rounds(method[2], context, "iterations");
  if (!rounds) {
    return tl::unexpected(rounds.error());
  }
  if (fields[1].empty()) {
    return fail(ErrorCode::malformed_hash, std::string(context) + ": salt is empty");
  }
  const std::string_view hex = fields[2];
  if (!is_lowercase_hex(hex) || hex.size() != 2 * digest.size) {
    return fail(ErrorCode::malformed_hash,
                std::string(context) + ": hash is not " + std::to_string(2 * digest.size) +
                    " lowercase hex digits, the full " + std::string(digest.name) + " output");
  }
  ParsedHash parsed = make_parsed(stored, Format::werkzeug, digest, *rounds);
  if (depth == ParseDepth::full) {
    auto checksum = decode_hex(hex);
    if (!checksum) {
      return fail(ErrorCode::malformed_hash, std::string(context) + ": hash is not valid hex");
    }
    parsed.digest = std::move(*checksum);
  }
  set_literal_salt(parsed, fields[1], depth);
  return parsed;
}

// OpenSSL reads nothing through a pointer paired with length 0, but an
// empty span's data() may be null, so point such a buffer at a real byte.
const unsigned char* non_null(ByteView bytes) {
  static const unsigned char k_empty = 0;
  return bytes.empty() ? &k_empty : bytes.data();
}

// Derives `digest.size` bytes with PBKDF2-HMAC-<digest>.
Result<SecretBytes> derive(const Digest& digest, ByteView password, ByteView salt,
                           std::uint64_t iterations) {
  // PKCS5_PBKDF2_HMAC takes int lengths and count. The default limits stop
  // far below INT_MAX, so only a raised pbkdf2_max_iterations reaches this.
  if (iterations > INT_MAX || password.size() > INT_MAX || salt.size() > INT_MAX) {
    return fail(ErrorCode::unsupported,
                "PBKDF2 with more than 2147483647 iterations or bytes of input is not "
                "supported (OpenSSL PKCS5_PBKDF2_HMAC takes an int)");
  }

  SecretBytes key(digest.size);
  const int ok = PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(non_null(password)),
                                   static_cast<int>(password.size()), non_null(salt),
                                   static_cast<int>(salt.size()), static_cast<int>(iterations),
                                   digest.md(), static_cast<int>(key.size()), key.data());
  if (ok != 1) {
    return fail(ErrorCode::internal, "OpenSSL PKCS5_PBKDF2_HMAC failed");
  }
  return key;
}

class Pbkdf2Backend final : public Backend {
 public:
  bool recognizes(std::string_view stored) const override {
    return stored.starts_with("$pbkdf2$") || stored.starts_with("$pbkdf2-") ||
           stored.starts_with("pbkdf2_") || stored.starts_with("pbkdf2:") ||
           stored.starts_with("pbkdf2$");
  }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth depth) const override {
    if (stored.starts_with("$pbkdf2")) {
      return parse_passlib(stored, depth);
    }
    if (stored.starts_with("pbkdf2_")) {
      return parse_django(stored, depth);
    }
    return parse_werkzeug(stored, depth);
  }

  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    const Digest* digest = digest_for(parsed.algorithm);
    if (digest == nullptr) {
      return fail(ErrorCode::internal, "the pbkdf2 backend got a hash of another algorithm");
    }

    auto key = derive(*digest, password, parsed.salt, parsed.cost.iterations);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return constant_time_equal(key->view(), parsed.digest);
  }

  bool creates(Algorithm algorithm) const override {
    return algorithm == Algorithm::pbkdf2_sha256 || algorithm == Algorithm::pbkdf2_sha512;
  }

  // Writes passlib's $pbkdf2-sha256$ or $pbkdf2-sha512$ format.
  Result<std::string> hash(Algorithm algorithm, const ParamMap& params, ByteView salt,
                           ByteView password) const override {
    if (!creates(algorithm)) {
      return Backend::hash(algorithm, params, salt, password);
    }
    const Digest& digest = *digest_for(algorithm);

    const auto rounds = params.find("rounds");
    if (rounds == params.end() || rounds->second < 1 || rounds->second > UINT32_MAX) {
      return fail(ErrorCode::invalid_argument,
                  "pbkdf2 parameter rounds is missing or outside 1 to 4294967295");
    }
    if (salt.size() > k_max_salt_bytes) {
      return fail(ErrorCode::invalid_argument, "pbkdf2 salt is " + std::to_string(salt.size()) +
                                                   " bytes; the maximum is 1024");
    }

    auto key = derive(digest, password, salt, rounds->second);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return "$pbkdf2-" + std::string(digest.name) + "$" + std::to_string(rounds->second) + "$" +
           encode_base64(salt, Base64::ab64) + "$" + encode_base64(key->view(), Base64::ab64);
  }
};

}  // namespace

std::unique_ptr<Backend> make_pbkdf2_backend() { return std::make_unique<Pbkdf2Backend>(); }

}  // namespace pwsvc

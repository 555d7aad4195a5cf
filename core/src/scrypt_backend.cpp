// passlib's $scrypt$ format, derived with libsodium's scrypt.
#include <array>
#include <optional>
#include <string>

#include <sodium.h>

#include "backend.hpp"
#include "encoding.hpp"

namespace pwsvc {

namespace {

constexpr std::string_view k_prefix = "$scrypt$";

// passlib writes and reads exactly 32 checksum bytes, and at most 1024 salt bytes.
constexpr std::size_t k_checksum_bytes = 32;
constexpr std::size_t k_max_salt_bytes = 1024;

// libsodium 1.0.18 rejects N above UINT32_MAX, so 2^31 is the largest N it runs.
constexpr std::uint32_t k_max_computable_log2_n = 31;

struct ScryptParams {
  std::uint32_t log2_n = 0;
  std::uint32_t r = 0;
  std::uint32_t p = 0;
};

// Returns what is wrong with a parameter set, or nothing when it is valid.
// RFC 7914 requires N = 2^ln > 1 and N < 2^(16 * r), and libsodium, like the
// scrypt reference code, also requires r * p < 2^30.
std::optional<std::string> check_params(std::uint64_t log2_n, std::uint64_t r, std::uint64_t p) {
  if (log2_n < 1 || log2_n > 63) {
    return "ln=" + std::to_string(log2_n) + " is outside 1 to 63";
  }
  if (r < 1 || p < 1) {
    return std::string("r and p must be at least 1");
  }
  constexpr std::uint64_t k_limit = std::uint64_t{1} << 30;
  if (r >= k_limit || p >= k_limit || r * p >= k_limit) {
    return "r * p = " + std::to_string(r) + " * " + std::to_string(p) + " is not below 2^30";
  }
  if (log2_n >= 16 * r) {
    return "ln=" + std::to_string(log2_n) + " is not below 16 * r = " + std::to_string(16 * r);
  }
  return std::nullopt;
}

// Parses "ln=LN,r=R,p=P": exactly these keys in this order, strict decimals.
Result<ScryptParams> parse_params(std::string_view text) {
  constexpr std::array<std::string_view, 3> k_keys{"ln=", "r=", "p="};
  const auto parts = split(text, ',');
  if (parts.size() != k_keys.size()) {
    return fail(ErrorCode::malformed_hash,
                "scrypt hash: parameters must be exactly ln=<n>,r=<n>,p=<n>");
  }

  std::array<std::uint64_t, 3> values{};
  for (std::size_t i = 0; i < k_keys.size(); ++i) {
    if (!parts[i].starts_with(k_keys[i])) {
      return fail(ErrorCode::malformed_hash,
                  "scrypt hash: parameters must be exactly ln=<n>,r=<n>,p=<n> in that order");
    }
    const auto value = parse_decimal(parts[i].substr(k_keys[i].size()));
    if (!value) {
      return fail(ErrorCode::malformed_hash,
                  "scrypt hash: " + std::string(k_keys[i].substr(0, k_keys[i].size() - 1)) +
                      " is not a decimal number (digits only, no sign, no leading zeros)");
    }
    values[i] = *value;
  }

  if (auto problem = check_params(values[0], values[1], values[2])) {
    return fail(ErrorCode::malformed_hash, "scrypt hash: " + *problem);
  }
  return ScryptParams{static_cast<std::uint32_t>(values[0]),
                      static_cast<std::uint32_t>(values[1]),
                      static_cast<std::uint32_t>(values[2])};
}

// An empty span's data() may be null. libsodium reads nothing at length 0,
// but a null pointer passed on to memcpy is still undefined behaviour.
const unsigned char* non_null(ByteView bytes) {
  static const unsigned char k_empty = 0;
  return bytes.empty() ? &k_empty : bytes.data();
}

// Derives `length` bytes with parameters that passed check_params().
Result<SecretBytes> derive(const ScryptParams& params, ByteView password, ByteView salt,
                           std::size_t length) {
  // NOTE: parse() accepts ln up to 63 so that the memory limit reports such
  // hashes. Only ln up to 31 can be computed, so larger values fail here.
  if (params.log2_n > k_max_computable_log2_n) {
    return fail(ErrorCode::unsupported,
                "scrypt with ln=" + std::to_string(params.log2_n) +
                    " is not supported; libsodium computes N up to 2^31 (ln=31)");
  }

  SecretBytes key(length);
  const int rc = crypto_pwhash_scryptsalsa208sha256_ll(
      non_null(password), password.size(), non_null(salt), salt.size(),
      std::uint64_t{1} << params.log2_n, params.r, params.p, key.data(), key.size());
  // libsodium returns -1 both for parameters it rejects and for memory it
  // cannot allocate. The parameters were checked already, so it is memory.
  if (rc != 0) {
    return fail(ErrorCode::resource_exhausted,
                "scrypt could not allocate the " +
                    std::to_string(scrypt_memory_kib(params.log2_n, params.r, params.p)) +
                    " KiB it needs (ln=" + std::to_string(params.log2_n) +
                    ", r=" + std::to_string(params.r) + ")");
  }
  return key;
}

class ScryptBackend final : public Backend {
 public:
  // libsodium documents sodium_init() as required before any other call. It
  // is idempotent and thread-safe.
  ScryptBackend() : sodium_ready_(sodium_init() >= 0) {}

  bool recognizes(std::string_view stored) const override {
    return stored.starts_with(k_prefix);
  }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth depth) const override {
    const auto fields = split(stored, '$');  // "", "scrypt", params, salt, checksum
    if (fields.size() != 5) {
      return fail(ErrorCode::malformed_hash,
                  "scrypt hash: expected $scrypt$ln=<n>,r=<n>,p=<n>$<salt>$<checksum>");
    }

    auto params = parse_params(fields[2]);
    if (!params) {
      return tl::unexpected(params.error());
    }
    ParsedHash parsed = make_parsed(stored, *params);
    const bool keep = depth == ParseDepth::full;
    const auto salt_size = read_base64(fields[3], Base64::unpadded, keep ? &parsed.salt : nullptr);
    if (!salt_size) {
      return fail(ErrorCode::malformed_hash, "scrypt hash: salt is not valid unpadded base64");
    }
    if (*salt_size > k_max_salt_bytes) {
      return fail(ErrorCode::malformed_hash, "scrypt hash: salt is " +
                                                 std::to_string(*salt_size) +
                                                 " bytes; the maximum is 1024");
    }
    const auto checksum_size =
        read_base64(fields[4], Base64::unpadded, keep ? &parsed.digest : nullptr);
    if (!checksum_size) {
      return fail(ErrorCode::malformed_hash,
                  "scrypt hash: checksum is not valid unpadded base64");
    }
    if (*checksum_size != k_checksum_bytes) {
      return fail(ErrorCode::malformed_hash, "scrypt hash: checksum is " +
                                                 std::to_string(*checksum_size) +
                                                 " bytes; passlib writes exactly 32");
    }
    parsed.salt_size = *salt_size;
    parsed.digest_size = *checksum_size;
    return parsed;
  }

  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    if (!sodium_ready_) {
      return fail(ErrorCode::internal, "libsodium failed to initialise");
    }
    const ScryptParams params{parsed.cost.log2_rounds, parsed.cost.block_size,
                              parsed.cost.parallelism};
    auto key = derive(params, password, parsed.salt, parsed.digest.size());
    if (!key) {
      return tl::unexpected(key.error());
    }
    return constant_time_equal(key->view(), parsed.digest);
  }

  bool creates(Algorithm algorithm) const override { return algorithm == Algorithm::scrypt; }

  Result<std::string> hash(Algorithm algorithm, const ParamMap& params, ByteView salt,
                           ByteView password) const override {
    if (!creates(algorithm)) {
      return Backend::hash(algorithm, params, salt, password);
    }
    if (!sodium_ready_) {
      return fail(ErrorCode::internal, "libsodium failed to initialise");
    }
    if (!params.contains("ln") || !params.contains("r") || !params.contains("p")) {
      return fail(ErrorCode::invalid_argument, "scrypt needs the parameters ln, r and p");
    }
    if (auto problem = check_params(params.at("ln"), params.at("r"), params.at("p"))) {
      return fail(ErrorCode::invalid_argument, "scrypt parameters: " + *problem);
    }
    if (params.at("ln") > k_max_computable_log2_n) {
      return fail(ErrorCode::invalid_argument,
                  "scrypt parameter ln=" + std::to_string(params.at("ln")) +
                      " is too large; libsodium computes ln up to 31");
    }
    if (salt.size() > k_max_salt_bytes) {
      return fail(ErrorCode::invalid_argument, "scrypt salt is " + std::to_string(salt.size()) +
                                                   " bytes; the maximum is 1024");
    }

    const ScryptParams checked{static_cast<std::uint32_t>(params.at("ln")),
                               static_cast<std::uint32_t>(params.at("r")),
                               static_cast<std::uint32_t>(params.at("p"))};
    auto key = derive(checked, password, salt, k_checksum_bytes);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return std::string(k_prefix) + "ln=" + std::to_string(checked.log2_n) +
           ",r=" + std::to_string(checked.r) + ",p=" + std::to_string(checked.p) + "$" +
           encode_base64(salt, Base64::unpadded) + "$" +
           encode_base64(key->view(), Base64::unpadded);
  }

 private:
  // Fills everything but the salt and checksum.
  static ParsedHash make_parsed(std::string_view stored, const ScryptParams& params) {
    ParsedHash parsed;
    parsed.algorithm = Algorithm::scrypt;
    parsed.format = Format::passlib;
    parsed.encoded = std::string(stored);
    parsed.cost.log2_rounds = params.log2_n;
    parsed.cost.block_size = params.r;
    parsed.cost.parallelism = params.p;
    parsed.cost.memory_kib = scrypt_memory_kib(params.log2_n, params.r, params.p);
    parsed.params = {{"ln", std::to_string(params.log2_n)},
                     {"r", std::to_string(params.r)},
                     {"p", std::to_string(params.p)}};
    return parsed;
  }

  bool sodium_ready_;
};

}  // namespace

std::unique_ptr<Backend> make_scrypt_backend() { return std::make_unique<ScryptBackend>(); }

}  // namespace pwsvc

// The crypt(3) family through libxcrypt: bcrypt, yescrypt, scrypt ($7$),
// sha512-crypt, sha256-crypt and md5crypt.
#include <crypt.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

#include "backend.hpp"
#include "encoding.hpp"

namespace pwsvc {

namespace {

// The base-64 alphabet of crypt(3) strings, in value order. bcrypt orders
// the same characters differently.
constexpr std::string_view k_crypt64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_bcrypt64 =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

constexpr std::uint64_t k_bcrypt_min_cost = 4;
constexpr std::uint64_t k_bcrypt_max_cost = 31;
constexpr std::size_t k_bcrypt_salt_bytes = 16;
constexpr std::size_t k_bcrypt_max_password = 72;

// sha-crypt rounds as the Drepper specification bounds them. libxcrypt
// 4.4.33 rejects a value outside them (glibc clamps it), and either way the
// output would not repeat the stored value, so such a hash is malformed.
constexpr std::uint64_t k_sha_crypt_default_rounds = 5000;
constexpr std::uint64_t k_sha_crypt_min_rounds = 1000;
constexpr std::uint64_t k_sha_crypt_max_rounds = 999999999;

// The yescrypt and scrypt output is 32 bytes in 43 characters.
constexpr std::size_t k_yescrypt_hash_chars = 43;
constexpr std::size_t k_yescrypt_hash_bytes = 32;
// libxcrypt decodes a yescrypt salt into a 64-byte buffer.
constexpr std::size_t k_yescrypt_max_salt_bytes = 64;
// No tool writes a longer $7$ salt than libsodium's 43 characters; libxcrypt
// fails on settings that overflow its 384-byte output, so a bound is needed.
constexpr std::size_t k_scrypt_max_salt_chars = 64;

tl::unexpected<Error> malformed(std::string_view family, std::string_view problem) {
  return fail(ErrorCode::malformed_hash, std::string(family) + " hash: " + std::string(problem));
}

bool is_encoded(std::string_view text, std::string_view alphabet) {
  // A lookup table, because find_first_not_of scans the alphabet once per
  // character, and audits run this on every row of a dump.
  std::array<bool, 256> allowed{};
  for (char c : alphabet) {
    allowed[static_cast<unsigned char>(c)] = true;
  }
  return std::all_of(text.begin(), text.end(),
                     [&allowed](char c) { return allowed[static_cast<unsigned char>(c)]; });
}

// crypt(3) formats write the low bits of each group first, bcrypt the high bits.
enum class BitOrder { low_first, high_first };

// Returns true when the last character of `text`, which encodes `bytes`
// bytes, leaves every bit past the last byte zero. libxcrypt writes only
// that form, so a hash ending in another character could never compare equal.
bool has_canonical_end(std::string_view text, std::size_t bytes, std::string_view alphabet,
                       BitOrder order) {
  const std::size_t spare_bits = text.size() * 6 - bytes * 8;
  const std::size_t value = alphabet.find(text.back());
  if (order == BitOrder::low_first) {
    return (value >> (6 - spare_bits)) == 0;
  }
  return (value & ((std::size_t{1} << spare_bits) - 1)) == 0;
}

// Describes one fixed-size base-64 field of a hash.
struct FieldRule {
  std::string_view name;
  std::size_t chars;
  std::size_t bytes;
  std::string_view alphabet = k_crypt64;
  BitOrder order = BitOrder::low_first;
};

// Returns what is wrong with `field`, or nothing when it is valid.
std::optional<std::string> field_problem(std::string_view field, const FieldRule& rule) {
  const std::string name(rule.name);
  if (field.size() != rule.chars) {
    return name + " is " + std::to_string(field.size()) + " characters long; expected " +
           std::to_string(rule.chars);
  }
  if (!is_encoded(field, rule.alphabet)) {
    return name + " contains a character outside the base-64 alphabet";
  }
  if (!has_canonical_end(field, rule.bytes, rule.alphabet, rule.order)) {
    return name + " ends in a non-canonical character: the bits past its last byte must be zero";
  }
  return std::nullopt;
}

ParsedHash make_parsed(std::string_view stored, Algorithm algorithm) {
  ParsedHash parsed;
  parsed.algorithm = algorithm;
  parsed.format = Format::crypt;
  parsed.encoded = std::string(stored);
  return parsed;
}

Result<ParsedHash> parse_bcrypt(std::string_view stored) {
  if (stored.starts_with("$2$")) {
    return fail(ErrorCode::unsupported,
                "bcrypt hash: the original 1997 '$2$' variant is not supported; pwsvc verifies "
                "$2a$, $2b$ and $2y$");
  }
  const char minor = stored[2];
  if (minor != 'a' && minor != 'b' && minor != 'y') {
    return fail(ErrorCode::unsupported,
                "bcrypt hash: minor version '2" + std::string(1, minor) +
                    "' is unknown; pwsvc verifies $2a$, $2b$ and $2y$");
  }

  const auto fields = split(stored.substr(4), '$');
  if (fields.size() != 2) {
    return malformed("bcrypt", "expected $2b$<cost>$<salt and checksum>");
  }
  const std::string_view cost_text = fields[0];
  if (cost_text.size() != 2 || !is_encoded(cost_text, "0123456789")) {
    return malformed("bcrypt", "the cost must be two digits from 04 to 31");
  }
  const auto cost = static_cast<std::uint32_t>((cost_text[0] - '0') * 10 + (cost_text[1] - '0'));
  if (cost < k_bcrypt_min_cost || cost > k_bcrypt_max_cost) {
    return malformed("bcrypt", "cost " + std::string(cost_text) + " is outside 04 to 31");
  }

  // 16 salt bytes in 22 characters, then 23 checksum bytes in 31.
  const std::string_view rest = fields[1];
  if (rest.size() != 53) {
    return malformed("bcrypt", "salt and checksum are " + std::to_string(rest.size()) +
                                   " characters long; expected 22 + 31");
  }
  const FieldRule salt_rule{"salt", 22, k_bcrypt_salt_bytes, k_bcrypt64, BitOrder::high_first};
  const FieldRule checksum_rule{"checksum", 31, 23, k_bcrypt64, BitOrder::high_first};
  if (auto problem = field_problem(rest.substr(0, 22), salt_rule)) {
    return malformed("bcrypt", *problem);
  }
  if (auto problem = field_problem(rest.substr(22), checksum_rule)) {
    return malformed("bcrypt", *problem);
  }

  ParsedHash parsed = make_parsed(stored, Algorithm::bcrypt);
  parsed.cost.log2_rounds = cost;
  parsed.params = {{"variant", "2" + std::string(1, minor)}, {"cost", std::to_string(cost)}};
  parsed.salt_size = k_bcrypt_salt_bytes;
  parsed.digest_size = 23;
  return parsed;
}

// One length class of yescrypt's variable-length integers: a first character
// whose value lies in [first, last] is followed by `extra` more characters.
struct IntegerClass {
  std::uint32_t first;
  std::uint32_t last;
  std::uint32_t extra;
};

// From libxcrypt 4.4.33 (alg-yescrypt-common.c). Each class continues the
// value range where the previous one ends, so every integer has one encoding.
constexpr std::array<IntegerClass, 6> k_integer_classes{
    {{0, 47, 0}, {48, 55, 1}, {56, 59, 2}, {60, 61, 3}, {62, 62, 4}, {63, 63, 5}}};

// Decodes the yescrypt integer at the start of `text` and removes its
// characters. `min` is the value that an encoded zero stands for.
std::optional<std::uint64_t> take_yescrypt_integer(std::string_view& text, std::uint64_t min) {
  if (text.empty() || k_crypt64.find(text[0]) == std::string_view::npos) {
    return std::nullopt;
  }
  const auto lead = static_cast<std::uint32_t>(k_crypt64.find(text[0]));

  std::uint64_t value = min;
  for (const IntegerClass& range : k_integer_classes) {
    const std::uint32_t shift = 6 * range.extra;
    if (lead > range.last) {
      value += std::uint64_t{range.last - range.first + 1} << shift;
      continue;
    }
    if (text.size() < 1 + range.extra || !is_encoded(text.substr(1, range.extra), k_crypt64)) {
      return std::nullopt;
    }
    // The characters after the first carry the low bits, most significant first.
    std::uint64_t low = 0;
    for (char c : text.substr(1, range.extra)) {
      low = (low << 6) | k_crypt64.find(c);
    }
    text.remove_prefix(1 + range.extra);
    return value + (std::uint64_t{lead - range.first} << shift) + low;
  }
  return std::nullopt;
}

// yescrypt flavors that libxcrypt computes: classic scrypt, scrypt's WORM
// variant, and the standard read-write mode that every `$y$j` hash uses.
constexpr std::uint64_t k_flavor_scrypt = 0;
constexpr std::uint64_t k_flavor_worm = 1;
constexpr std::uint64_t k_flavor_standard = 47;

struct YescryptParams {
  std::uint64_t flavor = 0;
  std::uint64_t log2_n = 0;
  std::uint64_t r = 0;
  std::uint64_t p = 1;
  std::uint64_t have = 0;  // which optional fields follow: 1 p, 2 t, 4 g, 8 ROM size
};

// Reads the parameter field: flavor, log2(N) and r, then an optional bit set
// announcing p, t, g and the ROM size.
Result<YescryptParams> decode_yescrypt_params(std::string_view text) {
  const auto invalid = [] {
    return malformed("yescrypt", "the parameter field is truncated or not valid yescrypt base-64");
  };
  YescryptParams params;
  const auto flavor = take_yescrypt_integer(text, 0);
  const auto log2_n = take_yescrypt_integer(text, 1);
  const auto r = take_yescrypt_integer(text, 1);
  if (!flavor || !log2_n || !r) {
    return invalid();
  }
  params.flavor = *flavor;
  params.log2_n = *log2_n;
  params.r = *r;
  if (text.empty()) {
    return params;
  }

  const auto have = take_yescrypt_integer(text, 1);
  if (!have) {
    return invalid();
  }
  // libxcrypt ignores higher bits, but its encoder never sets them.
  if (*have > 15) {
    return malformed("yescrypt", "the parameter field announces unknown optional parameters");
  }
  params.have = *have;
  // p is stored minus 2, because p = 1 is never written; t, g and the ROM
  // size are decoded only to consume them.
  const std::uint64_t minimums[] = {2, 1, 1, 1};
  for (std::size_t bit = 0; bit < 4; ++bit) {
    if ((params.have & (1u << bit)) == 0) {
      continue;
    }
    const auto value = take_yescrypt_integer(text, minimums[bit]);
    if (!value) {
      return invalid();
    }
    if (bit == 0) {
      params.p = *value;
    }
  }
  if (!text.empty()) {
    return malformed("yescrypt", "the parameter field has characters after its last parameter");
  }
  return params;
}

// Applies the setting checks that libxcrypt 4.4.33 makes before computing, so
// that it does not reject a hash parse() accepted. N above 2^32, which
// libxcrypt also rejects, is left to the memory limit.
Result<void> check_yescrypt_params(const YescryptParams& params) {
  if (params.flavor != k_flavor_scrypt && params.flavor != k_flavor_worm &&
      params.flavor != k_flavor_standard) {
    return fail(ErrorCode::unsupported,
                "yescrypt hash: flavor " + std::to_string(params.flavor) +
                    " is not supported; libxcrypt computes only the standard flavor 'j' and "
                    "the scrypt-compatible '.' and '/'");
  }
  if (params.log2_n < 2 || params.log2_n > 63) {
    return malformed("yescrypt", "log2(N) = " + std::to_string(params.log2_n) +
                                     " is outside 2 to 63");
  }
  if (params.r * params.p >= (std::uint64_t{1} << 30)) {
    return malformed("yescrypt", "r * p must be below 2^30");
  }
  const std::uint64_t n = std::uint64_t{1} << params.log2_n;
  if (params.flavor == k_flavor_standard && n / params.p < 4) {
    return malformed("yescrypt", "N / p must be at least 4");
  }

  // NOTE: a yescrypt time parameter t is rejected, because the limits have
  // no time-cost bound for yescrypt and t multiplies the work.
  if (params.have & 2) {
    return fail(ErrorCode::unsupported,
                "yescrypt hash: the time parameter t is not supported; no limit bounds its cost");
  }
  if (params.have & 4) {
    return fail(ErrorCode::unsupported,
                "yescrypt hash: upgraded hashes (parameter g) are not supported by libxcrypt");
  }
  if (params.have & 8) {
    return fail(ErrorCode::unsupported,
                "yescrypt hash: hashes that need a ROM are not supported by libxcrypt");
  }
  return {};
}

// Returns the byte length of a yescrypt salt, or nothing when libxcrypt's
// decoder would reject it: characters outside the alphabet, a length of 4k+1,
// non-zero bits past the last byte, or more than 64 bytes.
std::optional<std::size_t> yescrypt_salt_bytes(std::string_view salt) {
  if (!is_encoded(salt, k_crypt64) || salt.size() % 4 == 1) {
    return std::nullopt;
  }
  // Whole groups of 4 characters carry 3 bytes; a tail of 2 or 3 carries 1 or 2.
  const std::size_t tail = salt.size() % 4;
  const std::size_t tail_bytes = tail == 0 ? 0 : tail - 1;
  if (tail != 0 &&
      !has_canonical_end(salt.substr(salt.size() - tail), tail_bytes, k_crypt64,
                         BitOrder::low_first)) {
    return std::nullopt;
  }
  const std::size_t bytes = salt.size() / 4 * 3 + tail_bytes;
  return bytes <= k_yescrypt_max_salt_bytes ? std::optional(bytes) : std::nullopt;
}

void fill_scrypt_cost(ParsedHash& parsed, std::uint64_t log2_n, std::uint64_t r,
                      std::uint64_t p) {
  parsed.cost.memory_kib = scrypt_memory_kib(static_cast<std::uint32_t>(log2_n), r, p);
  parsed.cost.log2_rounds = static_cast<std::uint32_t>(log2_n);
  parsed.cost.block_size = static_cast<std::uint32_t>(r);
  parsed.cost.parallelism = static_cast<std::uint32_t>(p);
  parsed.params = {{"ln", std::to_string(log2_n)},
                   {"r", std::to_string(r)},
                   {"p", std::to_string(p)}};
  parsed.digest_size = k_yescrypt_hash_bytes;
}

Result<ParsedHash> parse_yescrypt(std::string_view stored) {
  const auto fields = split(stored.substr(3), '$');
  if (fields.size() != 3) {
    return malformed("yescrypt", "expected $y$<parameters>$<salt>$<hash>");
  }
  const auto params = decode_yescrypt_params(fields[0]);
  if (!params) {
    return tl::unexpected(params.error());
  }
  if (auto checked = check_yescrypt_params(*params); !checked) {
    return tl::unexpected(checked.error());
  }

  const auto salt_bytes = yescrypt_salt_bytes(fields[1]);
  if (!salt_bytes) {
    return malformed("yescrypt", "the salt is not valid yescrypt base-64 of at most 64 bytes");
  }
  const FieldRule hash_rule{"hash", k_yescrypt_hash_chars, k_yescrypt_hash_bytes};
  if (auto problem = field_problem(fields[2], hash_rule)) {
    return malformed("yescrypt", *problem);
  }

  ParsedHash parsed = make_parsed(stored, Algorithm::yescrypt);
  fill_scrypt_cost(parsed, params->log2_n, params->r, params->p);
  parsed.salt_size = *salt_bytes;
  return parsed;
}

// Decodes a $7$ parameter: 5 characters, 30 bits, low bits first.
std::uint64_t decode_fixed30(std::string_view text) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    value |= std::uint64_t{k_crypt64.find(text[i])} << (6 * i);
  }
  return value;
}

// $7$ is one character of log2(N), 5 of r and 5 of p, the salt as text,
// '$', and 43 characters of hash.
Result<ParsedHash> parse_scrypt_crypt(std::string_view stored) {
  const std::string_view body = stored.substr(3);
  const std::size_t separator = body.find('$');
  if (separator == std::string_view::npos) {
    return malformed("scrypt", "the hash field after the salt is missing");
  }
  const std::string_view head = body.substr(0, separator);
  if (head.size() < 11 || !is_encoded(head, k_crypt64)) {
    return malformed("scrypt", "the N, r and p fields must be 11 base-64 characters");
  }

  const std::uint64_t log2_n = k_crypt64.find(head[0]);
  const std::uint64_t r = decode_fixed30(head.substr(1, 5));
  const std::uint64_t p = decode_fixed30(head.substr(6, 5));
  if (log2_n < 2) {
    return malformed("scrypt", "N must be at least 4");
  }
  if (r == 0 || p == 0) {
    return malformed("scrypt", "r and p must be at least 1");
  }
  if (r * p >= (std::uint64_t{1} << 30)) {
    return malformed("scrypt", "r * p must be below 2^30");
  }

  const std::string_view salt = head.substr(11);
  if (salt.size() > k_scrypt_max_salt_chars) {
    return malformed("scrypt", "the salt is longer than 64 characters");
  }
  const FieldRule hash_rule{"hash", k_yescrypt_hash_chars, k_yescrypt_hash_bytes};
  if (auto problem = field_problem(body.substr(separator + 1), hash_rule)) {
    return malformed("scrypt", *problem);
  }

  ParsedHash parsed = make_parsed(stored, Algorithm::scrypt);
  fill_scrypt_cost(parsed, log2_n, r, p);
  parsed.salt_size = salt.size();
  return parsed;
}

// The shape of an md5crypt or sha-crypt hash.
struct ShaCryptShape {
  Algorithm algorithm;
  std::string_view family;
  std::size_t max_salt_chars;
  std::size_t checksum_chars;
  std::size_t digest_bytes;
};

constexpr ShaCryptShape k_sha512_crypt{Algorithm::sha512_crypt, "sha512-crypt", 16, 86, 64};
constexpr ShaCryptShape k_sha256_crypt{Algorithm::sha256_crypt, "sha256-crypt", 16, 43, 32};
constexpr ShaCryptShape k_md5_crypt{Algorithm::md5_crypt, "md5crypt", 8, 22, 16};

Result<std::uint64_t> parse_rounds(std::string_view family, std::string_view text) {
  const auto rounds = parse_decimal(text);
  if (!rounds) {
    return malformed(family, "rounds must be a decimal number without leading zeros");
  }
  if (*rounds < k_sha_crypt_min_rounds || *rounds > k_sha_crypt_max_rounds) {
    return malformed(family, "rounds=" + std::to_string(*rounds) +
                                 " is outside the specification's 1000 to 999999999");
  }
  return *rounds;
}

// Parses $6$[rounds=N$]salt$checksum, $5$ likewise, and $1$salt$checksum.
// The salt may be empty, as libxcrypt allows.
Result<ParsedHash> parse_sha_crypt(std::string_view stored, const ShaCryptShape& shape) {
  auto fields = split(stored.substr(3), '$');
  std::uint64_t rounds = k_sha_crypt_default_rounds;
  const bool has_rounds = shape.algorithm != Algorithm::md5_crypt &&
                          fields.size() == 3 && fields[0].starts_with("rounds=");
  if (has_rounds) {
    const auto parsed_rounds = parse_rounds(shape.family, fields[0].substr(7));
    if (!parsed_rounds) {
      return tl::unexpected(parsed_rounds.error());
    }
    rounds = *parsed_rounds;
    fields.erase(fields.begin());
  }
  if (fields.size() != 2) {
    return malformed(shape.family, "expected <prefix>[rounds=N$]<salt>$<checksum>");
  }

  const std::string_view salt = fields[0];
  if (salt.size() > shape.max_salt_chars) {
    return malformed(shape.family, "the salt is " + std::to_string(salt.size()) +
                                       " characters long; the maximum is " +
                                       std::to_string(shape.max_salt_chars));
  }
  if (!is_encoded(salt, k_crypt64)) {
    return malformed(shape.family, "the salt contains a character outside the base-64 alphabet");
  }
  const FieldRule checksum_rule{"checksum", shape.checksum_chars, shape.digest_bytes};
  if (auto problem = field_problem(fields[1], checksum_rule)) {
    return malformed(shape.family, *problem);
  }

  ParsedHash parsed = make_parsed(stored, shape.algorithm);
  if (shape.algorithm != Algorithm::md5_crypt) {
    parsed.cost.iterations = rounds;
    parsed.params = {{"rounds", std::to_string(rounds)}};
  }
  parsed.salt_size = salt.size();
  parsed.digest_size = shape.digest_bytes;
  return parsed;
}

bool is_bcrypt_prefix(std::string_view stored) {
  if (stored.starts_with("$2$")) {
    return true;
  }
  const auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  return stored.size() >= 4 && stored.starts_with("$2") && is_letter(stored[2]) &&
         stored[3] == '$';
}

// Rejects what crypt(3) cannot take: it reads the password up to its first
// NUL byte, and libxcrypt rejects 512 bytes or more.
std::optional<Error> check_password(ByteView password) {
  if (std::find(password.begin(), password.end(), 0) != password.end()) {
    return Error{ErrorCode::invalid_argument,
                 "the password contains a NUL byte, which crypt(3) cannot take; pwsvc never "
                 "truncates a password at a NUL byte"};
  }
  if (password.size() >= CRYPT_MAX_PASSPHRASE_SIZE) {
    return Error{ErrorCode::invalid_argument,
                 "the password is " + std::to_string(password.size()) +
                     " bytes long; libxcrypt takes at most " +
                     std::to_string(CRYPT_MAX_PASSPHRASE_SIZE - 1)};
  }
  return std::nullopt;
}

// libxcrypt's working memory for one call, about 32 KiB. It is zeroed before
// use, as crypt_rn requires, and wiped afterwards because it contains state
// derived from the password.
class CryptScratch {
 public:
  CryptScratch() : data_(std::make_unique<crypt_data>()) {}
  CryptScratch(const CryptScratch&) = delete;
  CryptScratch& operator=(const CryptScratch&) = delete;
  ~CryptScratch() { sodium_memzero(data_.get(), sizeof(crypt_data)); }

  crypt_data* get() { return data_.get(); }

 private:
  std::unique_ptr<crypt_data> data_;
};

Error crypt_failure(Algorithm algorithm, int error_number) {
  const std::string name(algorithm_name(algorithm));
  if (error_number == ENOMEM) {
    return {ErrorCode::resource_exhausted,
            "libxcrypt ran out of memory computing a " + name + " hash"};
  }
  // libxcrypt 4.4.33 reports every yescrypt and $7$ failure as EINVAL, also a
  // failed allocation. parse() has made the same setting checks, so memory is
  // the likely cause.
  if (error_number == EINVAL &&
      (algorithm == Algorithm::yescrypt || algorithm == Algorithm::scrypt)) {
    return {ErrorCode::resource_exhausted,
            "libxcrypt could not compute a " + name +
                " hash, most likely because it could not allocate 128 * N * r bytes"};
  }
  if (error_number == EINVAL) {
    return {ErrorCode::malformed_hash, name + " hash: libxcrypt rejected its settings"};
  }
  return {ErrorCode::internal, "libxcrypt failed to compute a " + name + " hash: " +
                                   std::generic_category().message(error_number)};
}

// Runs crypt_rn on `password` and `setting`, returning the full output string.
Result<std::string> run_crypt(Algorithm algorithm, ByteView password, const std::string& setting,
                              CryptScratch& scratch) {
  SecretBytes phrase = SecretBytes::copy_of(password);
  const unsigned char terminator = 0;
  phrase.append(ByteView(&terminator, 1));

  errno = 0;
  const char* output = crypt_rn(reinterpret_cast<const char*>(phrase.data()), setting.c_str(),
                                scratch.get(), sizeof(crypt_data));
  const int error_number = errno;
  if (output == nullptr || output[0] == '*') {
    return tl::unexpected(crypt_failure(algorithm, error_number));
  }
  return std::string(output);
}

class CryptBackend final : public Backend {
 public:
  bool recognizes(std::string_view stored) const override {
    for (std::string_view prefix : {"$y$", "$7$", "$6$", "$5$", "$1$"}) {
      if (stored.starts_with(prefix)) {
        return true;
      }
    }
    return is_bcrypt_prefix(stored);
  }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth /*depth*/) const override {
    if (is_bcrypt_prefix(stored)) return parse_bcrypt(stored);
    if (stored.starts_with("$y$")) return parse_yescrypt(stored);
    if (stored.starts_with("$7$")) return parse_scrypt_crypt(stored);
    if (stored.starts_with("$6$")) return parse_sha_crypt(stored, k_sha512_crypt);
    if (stored.starts_with("$5$")) return parse_sha_crypt(stored, k_sha256_crypt);
    if (stored.starts_with("$1$")) return parse_sha_crypt(stored, k_md5_crypt);
    return fail(ErrorCode::unsupported, "not a crypt(3) hash");
  }

  // Hashes the password with the stored string as the setting and compares
  // the whole output, which repeats the setting, in constant time.
  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    if (auto rejected = check_password(password)) {
      return tl::unexpected(*rejected);
    }
    CryptScratch scratch;
    const auto output = run_crypt(parsed.algorithm, password, parsed.encoded, scratch);
    if (!output) {
      return tl::unexpected(output.error());
    }
    return constant_time_equal(as_bytes(*output), as_bytes(parsed.encoded));
  }

  bool creates(Algorithm algorithm) const override { return algorithm == Algorithm::bcrypt; }

  Result<std::string> hash(Algorithm algorithm, const ParamMap& params, ByteView salt,
                           ByteView password) const override {
    if (algorithm != Algorithm::bcrypt) {
      return Backend::hash(algorithm, params, salt, password);
    }
    const auto cost = params.find("cost");
    if (cost == params.end() || cost->second < k_bcrypt_min_cost ||
        cost->second > k_bcrypt_max_cost) {
      return fail(ErrorCode::invalid_argument, "bcrypt needs a cost parameter from 4 to 31");
    }
    if (salt.size() != k_bcrypt_salt_bytes) {
      return fail(ErrorCode::invalid_argument, "bcrypt takes a 16-byte salt, not " +
                                                   std::to_string(salt.size()) + " bytes");
    }
    if (auto rejected = check_bcrypt_password(password)) {
      return tl::unexpected(*rejected);
    }

    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    if (crypt_gensalt_rn("$2b$", cost->second, reinterpret_cast<const char*>(salt.data()),
                         static_cast<int>(salt.size()), setting.data(),
                         static_cast<int>(setting.size())) == nullptr) {
      return fail(ErrorCode::internal, "crypt_gensalt_rn failed to make a bcrypt setting: " +
                                           std::generic_category().message(errno));
    }

    CryptScratch scratch;
    auto output = run_crypt(algorithm, password, std::string(setting.data()), scratch);
    if (output && (output->size() != 60 || !output->starts_with("$2b$"))) {
      return fail(ErrorCode::internal, "libxcrypt returned a bcrypt hash of an unexpected form");
    }
    return output;
  }

 private:
  // bcrypt reads at most 72 bytes; a new hash of a longer password would
  // silently ignore the rest, so it is rejected instead.
  static std::optional<Error> check_bcrypt_password(ByteView password) {
    if (auto rejected = check_password(password)) {
      return rejected;
    }
    if (password.size() > k_bcrypt_max_password) {
      return Error{ErrorCode::invalid_argument,
                   "the password is " + std::to_string(password.size()) +
                       " bytes long; bcrypt uses only the first 72 bytes, so pwsvc rejects "
                       "longer passwords instead of ignoring the rest; choose another algorithm "
                       "such as argon2id"};
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Backend> make_crypt_backend() { return std::make_unique<CryptBackend>(); }

}  // namespace pwsvc

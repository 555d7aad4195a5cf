// Argon2 backend: PHC and Django strings, verified and created with libsodium or libargon2.
#include "argon2_backend.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#include <argon2.h>
#include <sodium.h>

#include "backend.hpp"
#include "encoding.hpp"
#include "pepper.hpp"

namespace pwsvc {

namespace {

constexpr std::size_t k_min_salt_bytes = ARGON2_MIN_SALT_LENGTH;
constexpr std::size_t k_min_tag_bytes = ARGON2_MIN_OUTLEN;
constexpr std::uint64_t k_max_lanes = ARGON2_MAX_LANES;
constexpr std::uint64_t k_max_uint32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t k_new_tag_bytes = 32;
constexpr std::uint32_t k_new_version = 19;

bool is_argon2(Algorithm algorithm) {
  return algorithm == Algorithm::argon2id || algorithm == Algorithm::argon2i ||
         algorithm == Algorithm::argon2d;
}

// Checks what both engines require, so that a library failure after this
// check can only mean a resource or library fault.
Result<void> check_params(const Argon2Params& params, ByteView password) {
  if (!is_argon2(params.algorithm)) {
    return fail(ErrorCode::invalid_argument, "argon2: the algorithm is not an Argon2 variant");
  }
  if (params.version != 16 && params.version != 19) {
    return fail(ErrorCode::invalid_argument,
                "argon2: version " + std::to_string(params.version) + " is invalid; use 16 or 19");
  }
  if (params.parallelism < 1 || params.parallelism > k_max_lanes) {
    return fail(ErrorCode::invalid_argument, "argon2: parallelism p must be 1 to 16777215");
  }
  if (params.iterations < 1) {
    return fail(ErrorCode::invalid_argument, "argon2: time cost t must be at least 1");
  }
  if (params.memory_kib < 8 * std::uint64_t{params.parallelism}) {
    return fail(ErrorCode::invalid_argument,
                "argon2: memory m must be at least 8 * p KiB (" +
                    std::to_string(8 * std::uint64_t{params.parallelism}) + ")");
  }
  if (params.salt.size() < k_min_salt_bytes || params.salt.size() > k_max_uint32) {
    return fail(ErrorCode::invalid_argument, "argon2: the salt must be 8 to 2^32 - 1 bytes long");
  }
  if (params.tag_size < k_min_tag_bytes || params.tag_size > k_max_uint32) {
    return fail(ErrorCode::invalid_argument, "argon2: the tag must be 4 to 2^32 - 1 bytes long");
  }
  if (password.size() > k_max_uint32) {
    return fail(ErrorCode::invalid_argument, "argon2: the password is longer than 2^32 - 1 bytes");
  }
  return {};
}

// sodium_init() selects the SIMD block functions for crypto_pwhash(), and
// until it runs libsodium uses portable code. Later calls return 1 and are
// harmless, and a function-local static makes the first call thread-safe.
Result<void> ensure_sodium_initialised() {
  static const int status = sodium_init();
  if (status < 0) {
    return fail(ErrorCode::internal, "argon2: libsodium failed to initialise (sodium_init)");
  }
  return {};
}

Result<SecretBytes> derive_with_libsodium(const Argon2Params& params, ByteView password) {
  if (!libsodium_supports(params)) {
    return fail(ErrorCode::invalid_argument,
                "argon2: libsodium cannot compute these parameters; use the libargon2 engine");
  }
  if (auto ready = ensure_sodium_initialised(); !ready) {
    return tl::unexpected(ready.error());
  }

  // crypto_pwhash() declares its password nonnull, also for length 0.
  static const char k_empty = '\0';
  const char* text = password.empty() ? &k_empty : reinterpret_cast<const char*>(password.data());
  const int algorithm = params.algorithm == Algorithm::argon2id ? crypto_pwhash_ALG_ARGON2ID13
                                                                 : crypto_pwhash_ALG_ARGON2I13;
  SecretBytes tag(params.tag_size);
  if (crypto_pwhash(tag.data(), tag.size(), text, password.size(), params.salt.data(),
                    params.iterations, std::size_t{params.memory_kib} * 1024, algorithm) != 0) {
    // libsodium_supports() has ruled out every invalid input, so the one
    // failure left is the allocation of m KiB.
    return fail(ErrorCode::resource_exhausted,
                "argon2: libsodium could not allocate " + std::to_string(params.memory_kib) +
                    " KiB");
  }
  return tag;
}

argon2_type library_type(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::argon2i: return Argon2_i;
    case Algorithm::argon2d: return Argon2_d;
    default: return Argon2_id;
  }
}

Result<SecretBytes> derive_with_libargon2(const Argon2Params& params, ByteView password,
                                          std::uint32_t threads) {
  SecretBytes tag(params.tag_size);
  argon2_context context{};
  context.out = tag.data();
  context.outlen = static_cast<std::uint32_t>(tag.size());
  // libargon2 writes to pwd only with ARGON2_FLAG_CLEAR_PASSWORD and never
  // to salt, so casting away const is safe with the default flags.
  context.pwd = const_cast<unsigned char*>(password.data());
  context.pwdlen = static_cast<std::uint32_t>(password.size());
  context.salt = const_cast<unsigned char*>(params.salt.data());
  context.saltlen = static_cast<std::uint32_t>(params.salt.size());
  context.t_cost = params.iterations;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  context.threads = std::clamp(threads, std::uint32_t{1}, params.parallelism);
  context.version = params.version == 16 ? ARGON2_VERSION_10 : ARGON2_VERSION_13;
  context.flags = ARGON2_DEFAULT_FLAGS;

  const int status = argon2_ctx(&context, library_type(params.algorithm));
  if (status != ARGON2_OK) {
    return tl::unexpected(argon2_library_error(status));
  }
  return tag;
}

}  // namespace

bool libsodium_supports(const Argon2Params& params) {
  const std::uint64_t memlimit = std::uint64_t{params.memory_kib} * 1024;
  switch (params.algorithm) {
    case Algorithm::argon2id:
      return params.parallelism == 1 && params.version == 19 &&
             params.salt.size() == crypto_pwhash_argon2id_SALTBYTES &&
             params.iterations >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
             memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
             memlimit <= crypto_pwhash_argon2id_MEMLIMIT_MAX &&
             params.tag_size >= crypto_pwhash_argon2id_BYTES_MIN &&
             params.tag_size <= crypto_pwhash_argon2id_BYTES_MAX;
    case Algorithm::argon2i:
      return params.parallelism == 1 && params.version == 19 &&
             params.salt.size() == crypto_pwhash_argon2i_SALTBYTES &&
             params.iterations >= crypto_pwhash_argon2i_OPSLIMIT_MIN &&
             memlimit >= crypto_pwhash_argon2i_MEMLIMIT_MIN &&
             memlimit <= crypto_pwhash_argon2i_MEMLIMIT_MAX &&
             params.tag_size >= crypto_pwhash_argon2i_BYTES_MIN &&
             params.tag_size <= crypto_pwhash_argon2i_BYTES_MAX;
    default:
      return false;
  }
}

// libsodium's SIMD code is the faster engine where it applies: 20.5 ms
// against libargon2's 24.2 ms for argon2id p=1, m=19456, t=2. p > 1 stays
// with libargon2, which libsodium cannot replace there, on min(p, cores)
// threads: for p=4, m=65536, t=3 it took 136 ms on 2 threads, 143 ms on 4
// and 188 ms on 1. Medians of 21 runs on a 2-core AMD EPYC VM with AVX2,
// libsodium 1.0.18 and libargon2 20171227 from Debian 12.
Argon2Engine choose_engine(const Argon2Params& params) {
  return libsodium_supports(params) ? Argon2Engine::libsodium : Argon2Engine::libargon2;
}

std::uint32_t default_argon2_threads(std::uint32_t parallelism) {
  const std::uint32_t cores = std::max(std::thread::hardware_concurrency(), 1u);
  return std::clamp(parallelism, std::uint32_t{1}, cores);
}

Result<SecretBytes> derive_argon2(Argon2Engine engine, const Argon2Params& params,
                                  ByteView password) {
  if (auto valid = check_params(params, password); !valid) {
    return tl::unexpected(valid.error());
  }
  if (engine == Argon2Engine::libsodium) {
    return derive_with_libsodium(params, password);
  }
  return derive_with_libargon2(params, password, default_argon2_threads(params.parallelism));
}

Result<SecretBytes> derive_argon2_threads(const Argon2Params& params, ByteView password,
                                          std::uint32_t threads) {
  if (auto valid = check_params(params, password); !valid) {
    return tl::unexpected(valid.error());
  }
  return derive_with_libargon2(params, password, threads);
}

Error argon2_library_error(int code) {
  const std::string reason = argon2_error_message(code);
  if (code == ARGON2_MEMORY_ALLOCATION_ERROR || code == ARGON2_THREAD_FAIL) {
    return Error{ErrorCode::resource_exhausted, "argon2: libargon2 failed: " + reason};
  }
  return Error{ErrorCode::internal,
               "argon2: libargon2 failed with code " + std::to_string(code) + ": " + reason};
}

namespace {

constexpr std::string_view k_phc_prefix = "$argon2";
constexpr std::string_view k_django_prefix = "argon2$";

struct Variant {
  std::string_view name;
  Algorithm algorithm;
};

constexpr std::array k_variants{
    Variant{"argon2id", Algorithm::argon2id},
    Variant{"argon2i", Algorithm::argon2i},
    Variant{"argon2d", Algorithm::argon2d},
};

tl::unexpected<Error> malformed(std::string_view problem) {
  return fail(ErrorCode::malformed_hash, "argon2 hash: " + std::string(problem));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

Result<Algorithm> parse_variant(std::string_view name) {
  for (const auto& variant : k_variants) {
    if (name == variant.name) {
      return variant.algorithm;
    }
  }
  for (const auto& variant : k_variants) {
    if (equals_ignoring_case(name, variant.name)) {
      return malformed("the variant name must be lowercase, as in $" +
                       std::string(variant.name) + "$");
    }
  }
  return malformed("unknown variant; expected argon2id, argon2i or argon2d");
}

Result<std::uint32_t> parse_version(std::string_view field) {
  const auto version = parse_decimal(field.substr(2));
  if (!version) {
    return malformed("version v must be a decimal number without sign or leading zeros");
  }
  if (*version != 16 && *version != 19) {
    return malformed("version v=" + std::to_string(*version) + " is unknown; expected 16 or 19");
  }
  return static_cast<std::uint32_t>(*version);
}

struct CostParams {
  std::optional<std::uint64_t> m;
  std::optional<std::uint64_t> t;
  std::optional<std::uint64_t> p;
  std::optional<std::string> key_id;  // pwsvc's HMAC pepper mode
};

// Stores one name=value pair. Values must be strict decimals within the
// ranges libargon2 accepts: m and t fit uint32, p at most 0xFFFFFF.
Result<void> store_param(CostParams& costs, std::string_view name, std::string_view value) {
  // pwsvc writes keyid for passwords keyed by HMAC under a pepper key; the
  // Argon2 secret input and associated data (data) are not supported.
  if (name == "data") {
    return fail(ErrorCode::unsupported,
                "argon2 hash: the data parameter (associated data) is not supported");
  }
  if (name == "keyid") {
    if (costs.key_id) {
      return malformed("parameter keyid appears more than once");
    }
    auto id = decode_key_id(value);
    if (!id) {
      return tl::unexpected(id.error());
    }
    costs.key_id = std::move(*id);
    return {};
  }

  std::optional<std::uint64_t>* slot = name == "m"   ? &costs.m
                                       : name == "t" ? &costs.t
                                       : name == "p" ? &costs.p
                                                     : nullptr;
  if (slot == nullptr) {
    return malformed("unknown parameter in the parameter list; expected m, t and p");
  }
  if (slot->has_value()) {
    return malformed("parameter " + std::string(name) + " appears more than once");
  }

  const auto number = parse_decimal(value);
  const std::uint64_t max = name == "p" ? k_max_lanes : k_max_uint32;
  if (!number) {
    return malformed("parameter " + std::string(name) + " must be a decimal number from 0 to " +
                     std::to_string(max) + " without sign or leading zeros");
  }
  if (*number > max) {
    return malformed("parameter " + std::string(name) + "=" + std::to_string(*number) +
                     " exceeds the maximum of " + std::to_string(max));
  }
  *slot = *number;
  return {};
}

Result<CostParams> parse_params(std::string_view field) {
  CostParams costs;
  for (std::string_view item : split(field, ',')) {
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return malformed("the parameter list must read m=<KiB>,t=<passes>,p=<lanes>");
    }
    if (auto stored = store_param(costs, item.substr(0, equals), item.substr(equals + 1));
        !stored) {
      return tl::unexpected(stored.error());
    }
  }

  if (!costs.m) {
    return malformed("parameter m is missing");
  }
  if (!costs.t) {
    return malformed("parameter t is missing");
  }
  if (!costs.p) {
    return malformed("parameter p is missing");
  }
  return costs;
}

// Checks the relations libargon2 requires between parameters.
Result<void> check_costs(const CostParams& costs) {
  if (*costs.t < 1) {
    return malformed("time cost t=0 is invalid; the minimum is 1");
  }
  if (*costs.p < 1) {
    return malformed("parallelism p=0 is invalid; the minimum is 1");
  }
  if (*costs.m < 8 * *costs.p) {
    return malformed("memory m=" + std::to_string(*costs.m) + " is below the minimum of 8 * p = " +
                     std::to_string(8 * *costs.p) + " KiB");
  }
  return {};
}

// Checks a salt or tag field and returns its size, decoding it into `bytes`
// when they are kept.
Result<std::size_t> read_field(std::string_view field, std::string_view name,
                               std::size_t min_size, std::vector<unsigned char>* bytes) {
  if (field.ends_with('=')) {
    return malformed(std::string(name) + " ends with '=' padding, which PHC strings do not use");
  }
  const auto size = read_base64(field, Base64::unpadded, bytes);
  if (!size) {
    return malformed(std::string(name) + " is not valid unpadded base64");
  }
  if (*size < min_size) {
    return malformed(std::string(name) + " is " + std::to_string(*size) +
                     " bytes long; the minimum is " + std::to_string(min_size));
  }
  return *size;
}

void fill_costs(ParsedHash& parsed, const CostParams& costs) {
  parsed.cost.memory_kib = *costs.m;
  parsed.cost.iterations = *costs.t;
  parsed.cost.parallelism = static_cast<std::uint32_t>(*costs.p);
  parsed.params = {{"v", std::to_string(parsed.version)},
                   {"m", std::to_string(*costs.m)},
                   {"t", std::to_string(*costs.t)},
                   {"p", std::to_string(*costs.p)}};
  if (costs.key_id) {
    parsed.key_id = *costs.key_id;
    parsed.params.emplace_back("keyid", *costs.key_id);
  }
}

// Checks that the parameter, salt and tag fields are all present, and no more.
Result<void> check_field_count(std::size_t count) {
  switch (count) {
    case 0: return malformed("the parameter, salt and tag fields are missing");
    case 1: return malformed("the salt and tag fields are missing");
    case 2: return malformed("the tag field is missing");
    case 3: return {};
    default: return malformed("too many '$'-separated fields after the parameters");
  }
}

// Splits `$variant$[v=N$]params$salt$tag` into its fields. A missing v=
// means version 16, as libargon2's decoder reads it.
Result<ParsedHash> parse_phc(std::string_view phc, ParseDepth depth) {
  std::vector<std::string_view> fields = split(phc, '$');
  ParsedHash parsed;
  auto algorithm = parse_variant(fields.size() > 1 ? fields[1] : std::string_view{});
  if (!algorithm) {
    return tl::unexpected(algorithm.error());
  }
  parsed.algorithm = *algorithm;

  std::size_t next = 2;
  parsed.version = 16;
  if (next < fields.size() && fields[next].starts_with("v=")) {
    auto version = parse_version(fields[next]);
    if (!version) {
      return tl::unexpected(version.error());
    }
    parsed.version = *version;
    ++next;
  }

  if (auto counted = check_field_count(fields.size() - next); !counted) {
    return tl::unexpected(counted.error());
  }
  auto costs = parse_params(fields[next]);
  if (!costs) {
    return tl::unexpected(costs.error());
  }
  if (auto checked = check_costs(*costs); !checked) {
    return tl::unexpected(checked.error());
  }
  fill_costs(parsed, *costs);

  const bool keep = depth == ParseDepth::full;
  auto salt = read_field(fields[next + 1], "salt", k_min_salt_bytes, keep ? &parsed.salt : nullptr);
  if (!salt) {
    return tl::unexpected(salt.error());
  }
  auto tag = read_field(fields[next + 2], "tag", k_min_tag_bytes, keep ? &parsed.digest : nullptr);
  if (!tag) {
    return tl::unexpected(tag.error());
  }
  parsed.salt_size = *salt;
  parsed.digest_size = *tag;
  return parsed;
}

Result<std::uint64_t> required_param(const ParamMap& params, const char* name,
                                     std::uint64_t max) {
  const auto found = params.find(name);
  if (found == params.end()) {
    return fail(ErrorCode::invalid_argument, std::string("argon2: parameter ") + name +
                                                 " is missing");
  }
  if (found->second > max) {
    return fail(ErrorCode::invalid_argument, std::string("argon2: parameter ") + name + "=" +
                                                 std::to_string(found->second) +
                                                 " exceeds the maximum of " + std::to_string(max));
  }
  return found->second;
}

Result<Argon2Params> params_for_new_hash(Algorithm algorithm, const ParamMap& params,
                                         ByteView salt) {
  auto m = required_param(params, "m", k_max_uint32);
  auto t = required_param(params, "t", k_max_uint32);
  auto p = required_param(params, "p", k_max_lanes);
  for (const auto* value : {&m, &t, &p}) {
    if (!*value) {
      return tl::unexpected(value->error());
    }
  }

  Argon2Params result;
  result.algorithm = algorithm;
  result.version = k_new_version;
  result.memory_kib = static_cast<std::uint32_t>(*m);
  result.iterations = static_cast<std::uint32_t>(*t);
  result.parallelism = static_cast<std::uint32_t>(*p);
  result.salt = salt;
  result.tag_size = k_new_tag_bytes;
  return result;
}

std::string encode_phc(const Argon2Params& params, const SecretBytes& tag) {
  std::string text = "$";
  text += algorithm_name(params.algorithm);
  text += "$v=" + std::to_string(params.version);
  text += "$m=" + std::to_string(params.memory_kib);
  text += ",t=" + std::to_string(params.iterations);
  text += ",p=" + std::to_string(params.parallelism);
  text += '$';
  text += encode_base64(params.salt, Base64::unpadded);
  text += '$';
  text += encode_base64(tag.view(), Base64::unpadded);
  return text;
}

class Argon2Backend final : public Backend {
 public:
  bool recognizes(std::string_view stored) const override {
    // Any capitalisation of "$argon2" is claimed, so that "$Argon2id$" is
    // reported as malformed instead of as an unknown format.
    return stored.starts_with(k_django_prefix) ||
           equals_ignoring_case(stored.substr(0, k_phc_prefix.size()), k_phc_prefix);
  }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth depth) const override {
    const bool django = stored.starts_with(k_django_prefix);
    // Django stores "argon2" followed by the PHC string, whose leading '$'
    // is the prefix's last character.
    auto parsed = parse_phc(django ? stored.substr(k_django_prefix.size() - 1) : stored, depth);
    if (!parsed) {
      return parsed;
    }
    parsed->format = django ? Format::django : Format::phc;
    parsed->encoded = std::string(stored);
    return parsed;
  }

  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    if (parsed.cost.memory_kib > k_max_uint32 || parsed.cost.iterations > k_max_uint32) {
      return fail(ErrorCode::invalid_argument, "argon2: m and t must fit in 32 bits");
    }

    Argon2Params params;
    params.algorithm = parsed.algorithm;
    params.version = parsed.version;
    params.memory_kib = static_cast<std::uint32_t>(parsed.cost.memory_kib);
    params.iterations = static_cast<std::uint32_t>(parsed.cost.iterations);
    params.parallelism = parsed.cost.parallelism;
    params.salt = parsed.salt;
    params.tag_size = parsed.digest.size();

    // The tag is derived here and compared in constant time, instead of
    // letting a library verify, so that a library error never reads as a
    // wrong password.
    auto tag = derive_argon2(choose_engine(params), params, password);
    if (!tag) {
      return tl::unexpected(tag.error());
    }
    return constant_time_equal(tag->view(), parsed.digest);
  }

  bool creates(Algorithm algorithm) const override {
    return algorithm == Algorithm::argon2id || algorithm == Algorithm::argon2i;
  }

  Result<std::string> hash(Algorithm algorithm, const ParamMap& params, ByteView salt,
                           ByteView password) const override {
    if (!creates(algorithm)) {
      return fail(ErrorCode::unsupported, "cannot create " +
                                              std::string(algorithm_name(algorithm)) +
                                              " hashes; choose argon2id or argon2i");
    }
    auto inputs = params_for_new_hash(algorithm, params, salt);
    if (!inputs) {
      return tl::unexpected(inputs.error());
    }
    auto tag = derive_argon2(choose_engine(*inputs), *inputs, password);
    if (!tag) {
      return tl::unexpected(tag.error());
    }
    return encode_phc(*inputs, *tag);
  }
};

}  // namespace

std::unique_ptr<Backend> make_argon2_backend() { return std::make_unique<Argon2Backend>(); }

}  // namespace pwsvc

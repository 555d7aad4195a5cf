// Policy defaults, limit checks and validation of hash-request parameters.
#include "pwsvc/policy.hpp"

#include <string>

namespace pwsvc {

std::map<Algorithm, ParamMap> Policy::default_params() {
  // OWASP Password Storage Cheat Sheet minimums, which double as the floors
  // below which a stored hash of the same algorithm needs a rehash.
  return {
      {Algorithm::argon2id, {{"m", 19456}, {"t", 2}, {"p", 1}}},
      {Algorithm::argon2i, {{"m", 19456}, {"t", 2}, {"p", 1}}},
      {Algorithm::argon2d, {{"m", 19456}, {"t", 2}, {"p", 1}}},
      {Algorithm::scrypt, {{"ln", 17}, {"r", 8}, {"p", 1}}},
      {Algorithm::bcrypt, {{"cost", 10}}},
      {Algorithm::pbkdf2_sha1, {{"rounds", 1300000}}},
      {Algorithm::pbkdf2_sha256, {{"rounds", 600000}}},
      {Algorithm::pbkdf2_sha512, {{"rounds", 210000}}},
      {Algorithm::sha512_crypt, {{"rounds", 5000}}},
      {Algorithm::sha256_crypt, {{"rounds", 5000}}},
  };
}

std::set<Algorithm> Policy::default_deprecated() {
  return {Algorithm::md5_crypt, Algorithm::apr1, Algorithm::ldap_sha1, Algorithm::ldap_ssha1,
          Algorithm::pbkdf2_sha1};
}

namespace {

bool is_argon2(Algorithm algorithm) {
  return algorithm == Algorithm::argon2id || algorithm == Algorithm::argon2i ||
         algorithm == Algorithm::argon2d;
}

std::string over(std::string_view what, std::uint64_t value, std::uint64_t limit,
                 std::string_view key) {
  return std::string(what) + " " + std::to_string(value) + " exceeds the limit of " +
         std::to_string(limit) + " (limits." + std::string(key) + ")";
}

Result<void> check_argon2(const Cost& cost, const Limits& limits) {
  if (cost.memory_kib > limits.argon2_max_memory_kib) {
    return fail(ErrorCode::limit_exceeded, over("argon2 memory m (KiB)", cost.memory_kib,
                                                limits.argon2_max_memory_kib,
                                                "argon2_max_memory_kib"));
  }
  if (cost.iterations > limits.argon2_max_time_cost) {
    return fail(ErrorCode::limit_exceeded, over("argon2 time cost t", cost.iterations,
                                                limits.argon2_max_time_cost,
                                                "argon2_max_time_cost"));
  }
  if (cost.parallelism > limits.argon2_max_parallelism) {
    return fail(ErrorCode::limit_exceeded, over("argon2 parallelism p", cost.parallelism,
                                                limits.argon2_max_parallelism,
                                                "argon2_max_parallelism"));
  }
  return {};
}

Result<void> check_scrypt(const Cost& cost, const Limits& limits) {
  if (cost.memory_kib > limits.scrypt_max_memory_kib) {
    return fail(ErrorCode::limit_exceeded, over("scrypt memory 128*N*r (KiB)", cost.memory_kib,
                                                limits.scrypt_max_memory_kib,
                                                "scrypt_max_memory_kib"));
  }
  if (cost.parallelism > limits.scrypt_max_parallelism) {
    return fail(ErrorCode::limit_exceeded, over("scrypt parallelism p", cost.parallelism,
                                                limits.scrypt_max_parallelism,
                                                "scrypt_max_parallelism"));
  }
  return {};
}

}  // namespace

Result<void> check_limits(const ParsedHash& parsed, const Limits& limits) {
  const Cost& cost = parsed.cost;
  switch (parsed.algorithm) {
    case Algorithm::argon2id:
    case Algorithm::argon2i:
    case Algorithm::argon2d:
      return check_argon2(cost, limits);
    case Algorithm::scrypt:
    case Algorithm::yescrypt:
      return check_scrypt(cost, limits);
    case Algorithm::bcrypt:
      if (cost.log2_rounds > limits.bcrypt_max_cost) {
        return fail(ErrorCode::limit_exceeded, over("bcrypt cost", cost.log2_rounds,
                                                    limits.bcrypt_max_cost, "bcrypt_max_cost"));
      }
      return {};
    case Algorithm::pbkdf2_sha1:
    case Algorithm::pbkdf2_sha256:
    case Algorithm::pbkdf2_sha512:
      if (cost.iterations > limits.pbkdf2_max_iterations) {
        return fail(ErrorCode::limit_exceeded, over("PBKDF2 iterations", cost.iterations,
                                                    limits.pbkdf2_max_iterations,
                                                    "pbkdf2_max_iterations"));
      }
      return {};
    case Algorithm::sha512_crypt:
    case Algorithm::sha256_crypt:
      if (cost.iterations > limits.sha_crypt_max_rounds) {
        return fail(ErrorCode::limit_exceeded, over("sha-crypt rounds", cost.iterations,
                                                    limits.sha_crypt_max_rounds,
                                                    "sha_crypt_max_rounds"));
      }
      return {};
    default:
      return {};
  }
}

namespace {

struct ParamRange {
  std::string_view key;
  std::uint64_t min;
  std::uint64_t max;
};

std::vector<ParamRange> param_ranges(Algorithm algorithm) {
  if (is_argon2(algorithm)) {
    return {{"m", 8, UINT32_MAX}, {"t", 1, UINT32_MAX}, {"p", 1, 0xFFFFFF}};
  }
  switch (algorithm) {
    case Algorithm::scrypt: return {{"ln", 1, 63}, {"r", 1, 1u << 20}, {"p", 1, 1u << 20}};
    case Algorithm::bcrypt: return {{"cost", 4, 31}};
    case Algorithm::pbkdf2_sha256:
    case Algorithm::pbkdf2_sha512: return {{"rounds", 1, UINT32_MAX}};
    default: return {};
  }
}

std::string key_list(const std::vector<ParamRange>& ranges) {
  std::string keys;
  for (const auto& range : ranges) {
    keys += keys.empty() ? "" : ", ";
    keys += range.key;
  }
  return keys;
}

// Translates resolved parameters into a Cost so the limits apply to new
// hashes exactly as they do to stored ones.
Cost cost_of(Algorithm algorithm, const ParamMap& params) {
  Cost cost;
  if (is_argon2(algorithm)) {
    cost.memory_kib = params.at("m");
    cost.iterations = params.at("t");
    cost.parallelism = static_cast<std::uint32_t>(params.at("p"));
  } else if (algorithm == Algorithm::scrypt) {
    const std::uint64_t ln = params.at("ln");
    const std::uint64_t r = params.at("r");
    cost.log2_rounds = static_cast<std::uint32_t>(ln);
    cost.block_size = static_cast<std::uint32_t>(r);
    cost.parallelism = static_cast<std::uint32_t>(params.at("p"));
    cost.memory_kib = scrypt_memory_kib(cost.log2_rounds, r, params.at("p"));
  } else if (algorithm == Algorithm::bcrypt) {
    cost.log2_rounds = static_cast<std::uint32_t>(params.at("cost"));
  } else {
    cost.iterations = params.at("rounds");
  }
  return cost;
}

}  // namespace

Result<ParamMap> resolve_params(Algorithm algorithm, const ParamMap& requested,
                                const Policy& policy, const Limits& limits) {
  const auto ranges = param_ranges(algorithm);
  ParamMap params;
  if (const auto found = policy.params.find(algorithm); found != policy.params.end()) {
    params = found->second;
  }
  if (params.empty()) {
    params = Policy::default_params().at(algorithm);
  }

  for (const auto& [key, value] : requested) {
    if (!params.contains(key)) {
      return fail(ErrorCode::invalid_argument,
                  "unknown parameter '" + key + "' for " + std::string(algorithm_name(algorithm)) +
                      "; expected one of: " + key_list(ranges));
    }
    params[key] = value;
  }

  for (const auto& range : ranges) {
    const std::uint64_t value = params.at(std::string(range.key));
    if (value < range.min || value > range.max) {
      return fail(ErrorCode::invalid_argument,
                  std::string(algorithm_name(algorithm)) + " parameter " + std::string(range.key) +
                      "=" + std::to_string(value) + " is out of range; use " +
                      std::to_string(range.min) + " to " + std::to_string(range.max));
    }
  }
  if (is_argon2(algorithm) && params.at("m") < 8 * params.at("p")) {
    return fail(ErrorCode::invalid_argument,
                "argon2 memory m=" + std::to_string(params.at("m")) +
                    " KiB is below 8 * p; use at least " + std::to_string(8 * params.at("p")));
  }

  ParsedHash probe;
  probe.algorithm = algorithm;
  probe.cost = cost_of(algorithm, params);
  if (auto checked = check_limits(probe, limits); !checked) {
    return tl::unexpected(checked.error());
  }
  return params;
}

}  // namespace pwsvc

// KdfEstimate: linear cost models per algorithm, measured rather than assumed.
#include "kdf_estimate.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "json_body.hpp"

namespace pwsvc::lambda {

namespace {

struct Probe {
  Algorithm algorithm;
  ParamMap params;
};

// Small enough to take about a millisecond each, large enough that the key
// derivation outweighs the call overhead.
const std::array<Probe, 7> k_probes{{
    {Algorithm::argon2id, {{"m", 512}, {"t", 1}, {"p", 1}}},
    {Algorithm::scrypt, {{"ln", 9}, {"r", 8}, {"p", 1}}},
    {Algorithm::bcrypt, {{"cost", 4}}},
    {Algorithm::pbkdf2_sha1, {{"rounds", 2000}}},
    {Algorithm::pbkdf2_sha256, {{"rounds", 2000}}},
    {Algorithm::pbkdf2_sha512, {{"rounds", 1000}}},
    {Algorithm::sha512_crypt, {{"rounds", 1000}}},
}};

// Algorithms that cannot hash, or hash like another one, use its rate.
Algorithm rate_key(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::argon2i:
    case Algorithm::argon2d:
      return Algorithm::argon2id;
    case Algorithm::yescrypt:
      return Algorithm::scrypt;
    case Algorithm::sha256_crypt:
      return Algorithm::sha512_crypt;
    default:
      return algorithm;
  }
}

// Units in which run time is linear for one algorithm. md5-crypt, apr1 and
// the LDAP SHA-1 schemes have a fixed, sub-millisecond cost and count as zero.
double work_units(Algorithm algorithm, const Cost& cost) {
  switch (algorithm) {
    case Algorithm::argon2id:
    case Algorithm::argon2i:
    case Algorithm::argon2d:
      return static_cast<double>(cost.memory_kib) * static_cast<double>(cost.iterations);
    case Algorithm::scrypt:
    case Algorithm::yescrypt:
      return static_cast<double>(cost.memory_kib) * std::max(1u, cost.parallelism);
    case Algorithm::bcrypt:
      return static_cast<double>(std::uint64_t{1} << std::min(cost.log2_rounds, 40u));
    case Algorithm::pbkdf2_sha1:
    case Algorithm::pbkdf2_sha256:
    case Algorithm::pbkdf2_sha512:
    case Algorithm::sha512_crypt:
    case Algorithm::sha256_crypt:
      return static_cast<double>(cost.iterations);
    default:
      return 0;
  }
}

Cost cost_of_params(Algorithm algorithm, const ParamMap& params) {
  const auto value = [&params](const char* key) {
    const auto found = params.find(key);
    return found == params.end() ? std::uint64_t{0} : found->second;
  };
  Cost cost;
  cost.memory_kib = value("m");
  cost.iterations = value("t") != 0 ? value("t") : value("rounds");
  cost.parallelism = static_cast<std::uint32_t>(value("p"));
  if (algorithm == Algorithm::scrypt) {
    cost.memory_kib = scrypt_memory_kib(static_cast<std::uint32_t>(value("ln")), value("r"),
                                        value("p"));
  }
  if (algorithm == Algorithm::bcrypt) {
    cost.log2_rounds = static_cast<std::uint32_t>(value("cost"));
  }
  return cost;
}

std::optional<KdfWork> hash_work(const daemon::Request& request, const daemon::ServiceState& state) {
  auto body = daemon::parse_hash_body(request.body);
  if (!body) {
    return std::nullopt;
  }
  const Policy& policy = state.settings.policy;
  const Algorithm algorithm = body->request.algorithm.value_or(policy.algorithm);
  auto params = resolve_params(algorithm, body->request.params, policy, state.settings.limits);
  if (!params) {
    return std::nullopt;
  }
  return KdfWork{algorithm, work_units(algorithm, cost_of_params(algorithm, *params))};
}

std::optional<KdfWork> verify_work(const daemon::Request& request,
                                   const daemon::ServiceState& state) {
  auto body = daemon::parse_verify_body(request.body);
  if (!body) {
    return std::nullopt;
  }
  const std::string& stored = body->hash ? *body->hash : state.dummy_hash;
  const Identification found = state.engine.identify(stored);
  if (!found.parsed || found.verdict == Verdict::over_limit) {
    return std::nullopt;
  }
  const Algorithm algorithm = found.parsed->algorithm;
  KdfWork work{algorithm, work_units(algorithm, found.parsed->cost)};

  // A rehash runs a second derivation; counting it whenever one may happen
  // errs on the side of rejecting.
  const Policy& policy = state.settings.policy;
  const auto params = policy.params.find(policy.algorithm);
  if (body->rehash && found.needs_rehash && params != policy.params.end() &&
      rate_key(policy.algorithm) == rate_key(algorithm)) {
    work.units += work_units(policy.algorithm, cost_of_params(policy.algorithm, params->second));
  }
  return work;
}

}  // namespace

std::optional<KdfWork> kdf_work(const daemon::Request& request, const daemon::ServiceState& state) {
  const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (path == "/v1/hash" || path == "/v1/api/encrypt") {
    return hash_work(request, state);
  }
  if (path == "/v1/verify" || path == "/v1/api/verify") {
    return verify_work(request, state);
  }
  return std::nullopt;
}

void KdfEstimate::measure(Algorithm algorithm) {
  const auto probe = std::find_if(k_probes.begin(), k_probes.end(),
                                  [algorithm](const Probe& known) { return known.algorithm == algorithm; });
  if (probe == k_probes.end()) {
    return;
  }

  const Engine engine;
  constexpr std::string_view k_password = "calibration password";
  const ByteView password(reinterpret_cast<const unsigned char*>(k_password.data()),
                          k_password.size());
  HashRequest request;
  request.algorithm = probe->algorithm;
  request.params = probe->params;
  const auto started = std::chrono::steady_clock::now();
  if (!engine.hash(password, request)) {
    return;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double units = work_units(algorithm, cost_of_params(algorithm, probe->params));
  seconds_per_unit_[algorithm] = seconds / units;
}

void KdfEstimate::observe(const KdfWork& work, double seconds) {
  if (work.units <= 0) {
    return;
  }
  const double rate = seconds / work.units;
  auto [entry, inserted] = seconds_per_unit_.try_emplace(rate_key(work.algorithm), rate);
  if (!inserted) {
    entry->second = 0.5 * entry->second + 0.5 * rate;
  }
}

double KdfEstimate::seconds(const KdfWork& work) {
  const Algorithm key = rate_key(work.algorithm);
  if (work.units > 0 && !seconds_per_unit_.contains(key)) {
    measure(key);
  }
  const auto found = seconds_per_unit_.find(key);
  return found == seconds_per_unit_.end() ? 0.0 : found->second * work.units;
}

}  // namespace pwsvc::lambda

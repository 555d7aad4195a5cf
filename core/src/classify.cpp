// Engine::classify: identify's verdict for bulk audits, without reason strings.
#include "pwsvc/engine.hpp"

#include "pepper.hpp"
#include "registry.hpp"

namespace pwsvc {

namespace {

// Returns the stored hash's value for a policy parameter key, or nothing when
// the key does not apply. It matches the lookup engine.cpp makes for rehash
// reasons, and a test checks that classify and identify agree on every vector.
std::optional<std::uint64_t> cost_value(const Cost& cost, std::string_view key) {
  if (key == "m") return cost.memory_kib;
  if (key == "t" || key == "rounds") return cost.iterations;
  if (key == "p") return cost.parallelism;
  if (key == "cost" || key == "ln") return cost.log2_rounds;
  if (key == "r") return cost.block_size;
  return std::nullopt;
}

// Results of the rehash check, as flags instead of reason strings.
struct RehashFlags {
  bool needs_rehash = false;
  bool below_floor = false;
};

RehashFlags rehash_flags(const ParsedHash& parsed, const Policy& policy) {
  RehashFlags flags;
  flags.needs_rehash = policy.deprecated.contains(parsed.algorithm) ||
                       parsed.algorithm != policy.algorithm ||
                       (parsed.version != 0 && parsed.version < 19);

  const auto floor = policy.params.find(parsed.algorithm);
  if (floor == policy.params.end()) {
    return flags;
  }
  for (const auto& [key, wanted] : floor->second) {
    const auto have = cost_value(parsed.cost, key);
    if (!have || *have == wanted) {
      continue;
    }
    // Argon2's p only splits the same work into lanes, so a smaller p is no
    // weakness; scrypt's p multiplies the work.
    const bool strength_key = key != "p" || parsed.algorithm == Algorithm::scrypt;
    if (*have < wanted && strength_key) {
      flags.below_floor = true;
      flags.needs_rehash = true;
    } else if (policy.rehash_stronger == RehashStronger::yes &&
               parsed.algorithm == policy.algorithm) {
      flags.needs_rehash = true;
    }
  }
  return flags;
}

Classification unparsed(Verdict verdict, std::string_view stored) {
  Classification result;
  result.verdict = verdict;
  result.family = guess_family(stored);
  return result;
}

}  // namespace

Classification Engine::classify(std::string_view stored) const {
  if (!is_sealed(stored) || stored.size() > limits_.max_hash_length) {
    return classify_unsealed(stored, {});
  }
  auto unsealed = unseal(stored);
  if (!unsealed) {
    Classification result;
    result.verdict = Verdict::invalid;
    result.family = std::string(k_sealed_prefix);
    return result;
  }
  return classify_unsealed(unsealed->inner, unsealed->key_id);
}

Classification Engine::classify_unsealed(std::string_view stored,
                                         std::string_view seal_key) const {
  if (stored.size() > limits_.max_hash_length) {
    return unparsed(Verdict::over_limit, stored);
  }
  if (const auto rejection = screen(stored)) {
    return unparsed(rejection->verdict, stored);
  }
  const Backend* backend = Registry::instance().find(stored);
  if (backend == nullptr) {
    return unparsed(Verdict::unknown, stored);
  }
  auto parsed = backend->parse(stored, ParseDepth::fields);
  if (!parsed) {
    const bool unsupported = parsed.error().code == ErrorCode::unsupported;
    return unparsed(unsupported ? Verdict::unknown : Verdict::invalid, stored);
  }

  Classification result;
  result.algorithm = parsed->algorithm;
  result.format = parsed->format;
  result.verdict = check_limits(*parsed, limits_) ? Verdict::ok : Verdict::over_limit;

  const std::string key_id = parsed->key_id;
  const Algorithm algorithm = parsed->algorithm;
  const RehashFlags flags = rehash_flags(*parsed, policy_);
  result.params = std::move(parsed->params);
  if (!seal_key.empty()) {
    result.params.emplace_back("sealed", std::string(seal_key));
  }

  // As in identify(), a missing pepper key matters only for a hash within
  // the limits, and the hash keeps its scheme and parameters.
  const bool key_missing = !key_id.empty() && (!keyring_ || !keyring_->contains(key_id));
  if (result.verdict == Verdict::ok && key_missing) {
    result.verdict = Verdict::invalid;
    return result;
  }

  const PepperFinding pepper = check_pepper(seal_key, key_id);
  result.needs_rehash =
      flags.needs_rehash || !pepper.reason.empty() || result.verdict == Verdict::over_limit;
  result.verdict = final_verdict(result.verdict, algorithm, flags.below_floor, pepper.verdict);
  return result;
}

}  // namespace pwsvc

// Engine: the order of checks around every hash, verify and identify call.
#include "pwsvc/engine.hpp"

#include <algorithm>

#include <sodium.h>

#include "pepper.hpp"
#include "registry.hpp"

namespace pwsvc {

Result<std::string> Backend::hash(Algorithm algorithm, const ParamMap&, ByteView,
                                  ByteView) const {
  return fail(ErrorCode::unsupported,
              "cannot create " + std::string(algorithm_name(algorithm)) + " hashes");
}

namespace {

// bcrypt reads at most this many password bytes and ignores the rest.
constexpr std::size_t k_bcrypt_max_password = 72;

// A stored hash after screening, parsing and the limit check.
struct Examined {
  const Backend* backend = nullptr;
  std::optional<ParsedHash> parsed;
  Verdict verdict = Verdict::ok;
  std::optional<Error> error;
};

Error hash_too_long(std::size_t size, const Limits& limits) {
  return {ErrorCode::limit_exceeded, "the stored hash is " + std::to_string(size) +
                                         " characters long; the limit is " +
                                         std::to_string(limits.max_hash_length) +
                                         " (limits.max_hash_length)"};
}

Examined examine(std::string_view stored, const Limits& limits) {
  Examined result;
  if (stored.size() > limits.max_hash_length) {
    result.verdict = Verdict::over_limit;
    result.error = hash_too_long(stored.size(), limits);
    return result;
  }
  if (auto rejection = screen(stored)) {
    result.verdict = rejection->verdict;
    result.error = std::move(rejection->error);
    return result;
  }

  result.backend = Registry::instance().find(stored);
  if (result.backend == nullptr) {
    result.verdict = Verdict::unknown;
    const std::string family = guess_family(stored);
    result.error = Error{ErrorCode::unsupported,
                         "unrecognised hash format" +
                             (family == "unknown" ? "" : " (starts with '" + family + "')") +
                             "; pwsvc never compares a stored value as plaintext"};
    return result;
  }

  auto parsed = result.backend->parse(stored);
  if (!parsed) {
    const bool unsupported = parsed.error().code == ErrorCode::unsupported;
    result.verdict = unsupported ? Verdict::unknown : Verdict::invalid;
    result.error = parsed.error();
    return result;
  }
  result.parsed = std::move(*parsed);

  if (auto checked = check_limits(*result.parsed, limits); !checked) {
    result.verdict = Verdict::over_limit;
    result.error = checked.error();
  }
  return result;
}

Result<void> check_password_size(ByteView password, const Limits& limits) {
  if (password.size() > limits.max_password_bytes) {
    return fail(ErrorCode::invalid_argument,
                "the password is " + std::to_string(password.size()) +
                    " bytes long; the limit is " + std::to_string(limits.max_password_bytes) +
                    " (limits.max_password_bytes)");
  }
  return {};
}

std::string param_text(std::string_view key, std::uint64_t value) {
  return std::string(key) + "=" + std::to_string(value);
}

// Returns the stored hash's value for a policy parameter key, or nothing when
// the key does not apply to its format.
std::optional<std::uint64_t> stored_value(const ParsedHash& parsed, std::string_view key) {
  const Cost& cost = parsed.cost;
  if (key == "m") return cost.memory_kib;
  if (key == "t" || key == "rounds") return cost.iterations;
  if (key == "p") return cost.parallelism;
  if (key == "cost" || key == "ln") return cost.log2_rounds;
  if (key == "r") return cost.block_size;
  return std::nullopt;
}

// Parameters where a larger value costs an attacker more. Argon2's p is the
// exception, because it only splits the same memory and passes into lanes.
bool is_strength_key(Algorithm algorithm, std::string_view key) {
  return key != "p" || algorithm == Algorithm::scrypt;
}

}  // namespace

Engine::Engine(Policy policy, Limits limits, std::shared_ptr<const Keyring> keyring,
               std::shared_ptr<const BreachIndex> breach)
    : policy_(std::move(policy)),
      limits_(std::move(limits)),
      keyring_(std::move(keyring)),
      checker_(policy_.password, std::move(breach)) {}

Result<PasswordReport> Engine::check_password(ByteView password,
                                              const std::vector<std::string>& context) const {
  if (auto sized = check_password_size(password, limits_); !sized) {
    return tl::unexpected(sized.error());
  }
  return checker_.check(password, context);
}

Result<ByteView> Engine::pepper_key(std::string_view key_id) const {
  if (!keyring_) {
    return fail(ErrorCode::missing_key, "the hash is peppered with key '" + std::string(key_id) +
                                            "', but no keyring is configured; set "
                                            "pepper.keyring");
  }
  const auto key = keyring_->key(key_id);
  if (!key) {
    return fail(ErrorCode::missing_key, "the hash is peppered with key '" + std::string(key_id) +
                                            "', which the keyring does not have; restore that "
                                            "key to the keyring");
  }
  return *key;
}

Result<Engine::Unsealed> Engine::unseal(std::string_view stored) const {
  auto parts = parse_sealed(stored);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  auto key = pepper_key(parts->key_id);
  if (!key) {
    return tl::unexpected(key.error());
  }
  auto inner = open_sealed(*parts, *key);
  if (!inner) {
    return tl::unexpected(inner.error());
  }
  if (is_sealed(*inner)) {
    return fail(ErrorCode::malformed_hash, "sealed hash: it contains another sealed hash");
  }
  return Unsealed{std::move(*inner), std::move(parts->key_id)};
}

PepperFinding Engine::check_pepper(std::string_view seal_key, std::string_view hmac_key) const {
  const std::string_view key_id = seal_key.empty() ? hmac_key : seal_key;
  if (key_id.empty()) {
    if (keyring_ && policy_.pepper_required) {
      return {Verdict::unpeppered,
              "the hash has no pepper, and the policy requires one (pepper.required)"};
    }
    return {};
  }
  if (keyring_ && key_id != keyring_->active_id()) {
    return {Verdict::old_key, "peppered with key '" + std::string(key_id) +
                                  "'; the active key is '" + keyring_->active_id() + "'"};
  }
  const bool sealed = !seal_key.empty();
  if (keyring_ && sealed != (policy_.pepper_mode == PepperMode::encrypt)) {
    return {Verdict::ok, std::string("peppered in ") + (sealed ? "encrypt" : "hmac") +
                             " mode; the policy's pepper.mode is " +
                             (sealed ? "hmac" : "encrypt")};
  }
  return {};
}

// Ranks the verdicts of a parsed hash within the limits. old-key comes
// first, so that an audit counts every hash that still needs the old key
// before that key is retired.
Verdict Engine::final_verdict(Verdict limits_verdict, Algorithm algorithm, bool below_floor,
                              Verdict pepper_verdict) const {
  if (limits_verdict != Verdict::ok) {
    return limits_verdict;
  }
  if (pepper_verdict == Verdict::old_key) {
    return Verdict::old_key;
  }
  if (policy_.deprecated.contains(algorithm)) {
    return Verdict::legacy;
  }
  if (below_floor) {
    return Verdict::weak;
  }
  return pepper_verdict;
}

RehashCheck Engine::check_rehash(const ParsedHash& parsed) const {
  RehashCheck check;
  if (policy_.deprecated.contains(parsed.algorithm)) {
    check.reasons.push_back(std::string(algorithm_name(parsed.algorithm)) +
                            " is deprecated by the policy");
  } else if (parsed.algorithm != policy_.algorithm) {
    check.reasons.push_back("algorithm " + std::string(algorithm_name(parsed.algorithm)) +
                            " differs from the policy's " +
                            std::string(algorithm_name(policy_.algorithm)));
  }
  if (parsed.version != 0 && parsed.version < 19) {
    check.reasons.push_back("argon2 version " + std::to_string(parsed.version) +
                            " is older than the current 19");
  }

  // The policy's parameters for the stored hash's own algorithm are its
  // floor, also when the policy makes new hashes with another algorithm.
  const auto floor = policy_.params.find(parsed.algorithm);
  if (floor == policy_.params.end()) {
    return check;
  }
  for (const auto& [key, wanted] : floor->second) {
    const auto have = stored_value(parsed, key);
    if (!have || *have == wanted) {
      continue;
    }
    if (*have < wanted && is_strength_key(parsed.algorithm, key)) {
      check.below_floor = true;
      check.reasons.push_back(param_text(key, *have) + " is below the policy's " +
                              std::to_string(wanted));
    } else if (policy_.rehash_stronger == RehashStronger::yes &&
               parsed.algorithm == policy_.algorithm) {
      check.reasons.push_back(param_text(key, *have) + " differs from the policy's " +
                              std::to_string(wanted));
    }
  }
  return check;
}

Result<std::string> Engine::hash(ByteView password, const HashRequest& request) const {
  const Algorithm algorithm = request.algorithm.value_or(policy_.algorithm);
  if (!can_hash(algorithm)) {
    return fail(ErrorCode::invalid_argument,
                "cannot create " + std::string(algorithm_name(algorithm)) +
                    " hashes; choose argon2id, argon2i, scrypt, bcrypt, pbkdf2-sha256 or "
                    "pbkdf2-sha512");
  }
  if (auto sized = check_password_size(password, limits_); !sized) {
    return tl::unexpected(sized.error());
  }

  auto params = resolve_params(algorithm, request.params, policy_, limits_);
  if (!params) {
    return tl::unexpected(params.error());
  }

  if (request.new_password && policy_.password.enabled) {
    const PasswordReport report = checker_.check(password, request.context);
    if (const RuleOutcome* failed = report.first_failure()) {
      return fail(password_rule_error(failed->rule), failed->detail);
    }
  }
  const SecretBytes prepared = checker_.prepare(password);

  // bcrypt salts are always 16 bytes, and the other algorithms take the policy's size.
  const std::size_t salt_size = algorithm == Algorithm::bcrypt ? 16 : policy_.salt_bytes;
  std::vector<unsigned char> salt(salt_size);
  randombytes_buf(salt.data(), salt.size());

  const Backend* backend = Registry::instance().creator(algorithm);
  if (backend == nullptr) {
    return fail(ErrorCode::internal,
                "no backend creates " + std::string(algorithm_name(algorithm)) + " hashes");
  }
  if (!keyring_) {
    return backend->hash(algorithm, *params, salt, prepared.view());
  }

  const std::string& key_id = keyring_->active_id();
  const ByteView key = *keyring_->key(key_id);
  if (policy_.pepper_mode == PepperMode::encrypt) {
    auto inner = backend->hash(algorithm, *params, salt, prepared.view());
    if (!inner) {
      return inner;
    }
    return seal_hash(*inner, key_id, key);
  }

  // Only Argon2's PHC string has a place to name the key.
  if (algorithm != Algorithm::argon2id && algorithm != Algorithm::argon2i) {
    return fail(ErrorCode::invalid_argument,
                "pepper.mode \"hmac\" works only with argon2id and argon2i, whose hashes name "
                "the key; use pepper.mode \"encrypt\" to pepper " +
                    std::string(algorithm_name(algorithm)) + " hashes");
  }
  const SecretBytes keyed = hmac_password(key, prepared.view());
  auto stored = backend->hash(algorithm, *params, salt, keyed.view());
  if (!stored) {
    return stored;
  }
  return add_phc_keyid(*stored, key_id);
}

Result<VerifyResult> Engine::verify(ByteView password, std::string_view stored) const {
  if (auto sized = check_password_size(password, limits_); !sized) {
    return tl::unexpected(sized.error());
  }

  const SecretBytes prepared = checker_.prepare(password);
  auto result = verify_prepared(prepared.view(), stored);
  const bool changed = prepared.size() != password.size() ||
                       !std::equal(password.begin(), password.end(), prepared.data());
  if ((result && result->match) || !changed || !policy_.password.verify_unnormalized) {
    return result;
  }

  // The bytes as sent are tried after a mismatch and also after an error,
  // because normalization can make a password too long for a legacy scheme
  // that hashed it as typed (NFKC turns U+FDFA into 18 characters).
  // NOTE: a password that normalization changes costs a second key
  // derivation when it does not match, which its response time shows.
  auto unnormalized = verify_prepared(password, stored);
  if (!unnormalized || !unnormalized->match) {
    return result;
  }
  unnormalized->needs_rehash = true;
  unnormalized->rehash_reasons.push_back(
      "the password matched only as sent, before NFKC normalization");
  return unnormalized;
}

Result<VerifyResult> Engine::verify_prepared(ByteView password, std::string_view stored) const {
  if (!is_sealed(stored)) {
    return verify_unsealed(password, stored, {});
  }
  if (stored.size() > limits_.max_hash_length) {
    return tl::unexpected(hash_too_long(stored.size(), limits_));
  }
  auto unsealed = unseal(stored);
  if (!unsealed) {
    return tl::unexpected(unsealed.error());
  }
  return verify_unsealed(password, unsealed->inner, unsealed->key_id);
}

Result<VerifyResult> Engine::verify_unsealed(ByteView password, std::string_view stored,
                                             std::string_view seal_key) const {
  Examined examined = examine(stored, limits_);
  if (examined.error) {
    return tl::unexpected(*examined.error);
  }

  // An HMAC-keyed hash was made from HMAC(key, password), not the password.
  const ParsedHash& parsed = *examined.parsed;
  SecretBytes keyed;
  ByteView input = password;
  if (!parsed.key_id.empty()) {
    auto key = pepper_key(parsed.key_id);
    if (!key) {
      return tl::unexpected(key.error());
    }
    keyed = hmac_password(*key, password);
    input = keyed.view();
  }

  auto match = examined.backend->verify(parsed, input);
  if (!match) {
    return tl::unexpected(match.error());
  }

  VerifyResult result;
  result.algorithm = parsed.algorithm;
  result.match = *match;
  if (!result.match) {
    return result;
  }

  result.rehash_reasons = check_rehash(parsed).reasons;
  if (parsed.algorithm == Algorithm::bcrypt && password.size() > k_bcrypt_max_password) {
    result.rehash_reasons.push_back("the password is longer than 72 bytes, and bcrypt used only "
                                    "the first 72");
  }
  if (PepperFinding pepper = check_pepper(seal_key, parsed.key_id); !pepper.reason.empty()) {
    result.rehash_reasons.push_back(std::move(pepper.reason));
  }
  result.needs_rehash = !result.rehash_reasons.empty();
  return result;
}

Identification Engine::identify(std::string_view stored) const {
  if (!is_sealed(stored) || stored.size() > limits_.max_hash_length) {
    return identify_unsealed(stored, {});
  }
  auto unsealed = unseal(stored);
  if (!unsealed) {
    Identification result;
    result.verdict = Verdict::invalid;
    result.family = std::string(k_sealed_prefix);
    result.reasons.push_back(unsealed.error().message);
    return result;
  }
  return identify_unsealed(unsealed->inner, unsealed->key_id);
}

Identification Engine::identify_unsealed(std::string_view stored,
                                         std::string_view seal_key) const {
  Examined examined = examine(stored, limits_);
  Identification result;
  result.verdict = examined.verdict;
  result.family = examined.parsed ? std::string(algorithm_name(examined.parsed->algorithm))
                                  : guess_family(stored);
  if (examined.error) {
    result.reasons.push_back(examined.error->message);
  }
  result.parsed = std::move(examined.parsed);
  if (!result.parsed) {
    return result;
  }

  if (!seal_key.empty()) {
    result.parsed->params.emplace_back("sealed", std::string(seal_key));
  }
  const std::string& hmac_key = result.parsed->key_id;
  if (!hmac_key.empty() && result.verdict == Verdict::ok) {
    if (auto key = pepper_key(hmac_key); !key) {
      result.verdict = Verdict::invalid;
      result.reasons.push_back(key.error().message);
      return result;
    }
  }

  RehashCheck check = check_rehash(*result.parsed);
  PepperFinding pepper = check_pepper(seal_key, hmac_key);
  if (!pepper.reason.empty()) {
    check.reasons.push_back(std::move(pepper.reason));
  }
  result.needs_rehash = !check.reasons.empty() || result.verdict == Verdict::over_limit;
  result.verdict = final_verdict(result.verdict, result.parsed->algorithm, check.below_floor,
                                 pepper.verdict);
  result.reasons.insert(result.reasons.end(), check.reasons.begin(), check.reasons.end());
  return result;
}

}  // namespace pwsvc

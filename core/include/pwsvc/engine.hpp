// Engine: hash, verify and identify passwords under one policy and set of limits.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pwsvc/breach_index.hpp"
#include "pwsvc/keyring.hpp"
#include "pwsvc/password_rules.hpp"
#include "pwsvc/policy.hpp"
#include "pwsvc/result.hpp"
#include "pwsvc/scheme.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// Verdict: a stored hash judged against the policy and the limits.
enum class Verdict {
  ok,          // a supported scheme at or above the policy's floor
  weak,        // below the policy's floor for its algorithm
  legacy,      // an algorithm the policy deprecates
  over_limit,  // costs above the verification limits
  locked,      // an account-locking placeholder such as '*', '!' or '!!'
  invalid,     // a recognised format that does not parse
  unknown,     // no format pwsvc recognises
  old_key,     // peppered with a key that is no longer the active one
  unpeppered,  // no pepper, where the policy requires one
};

std::string_view verdict_name(Verdict verdict);

// The outcome of a verification that ran. A wrong password is match == false.
struct VerifyResult {
  bool match = false;
  bool needs_rehash = false;  // only ever true together with match
  Algorithm algorithm{};
  std::vector<std::string> rehash_reasons;
};

// The result of identify: the parsed hash when it parses, and the verdict.
struct Identification {
  std::optional<ParsedHash> parsed;
  Verdict verdict = Verdict::unknown;
  bool needs_rehash = false;
  std::string family;                // best guess of the scheme, also for invalid hashes
  std::vector<std::string> reasons;  // why the verdict or the rehash
};

// The verdict of a stored hash without reason strings, for bulk audits.
struct Classification {
  Verdict verdict = Verdict::unknown;
  bool needs_rehash = false;
  std::optional<Algorithm> algorithm;  // set when the hash parses
  std::optional<Format> format;        // set when the hash parses
  std::vector<std::pair<std::string, std::string>> params;  // as ParsedHash::params
  std::string family;  // Identification::family, only for hashes that do not parse
};

// The reasons a stored hash needs a rehash. below_floor marks a `weak` hash.
struct RehashCheck {
  std::vector<std::string> reasons;
  bool below_floor = false;
};

// Options of one hash call; empty fields take the policy's values.
struct HashRequest {
  std::optional<Algorithm> algorithm;
  ParamMap params;
  // Set by the front ends for a password a user chose: the password policy's
  // rules then run first. Rehashes and internal hashes leave it unset.
  bool new_password = false;
  std::vector<std::string> context{};  // words such as the username, for the rules
};

// A pepper finding on a stored hash: the verdict it earns and why.
struct PepperFinding {
  Verdict verdict = Verdict::ok;  // ok, old_key or unpeppered
  std::string reason;             // empty when nothing needs a rehash
};

// Hashes and verifies passwords. Immutable after construction, so one Engine
// may serve any number of threads at once. With a keyring, new hashes are
// peppered as policy.pepper_mode sets, and peppered stored hashes verify.
class Engine {
 public:
  Engine() = default;
  Engine(Policy policy, Limits limits, std::shared_ptr<const Keyring> keyring = nullptr,
         std::shared_ptr<const BreachIndex> breach = nullptr);

  // Hashes `password` with a fresh salt from libsodium's CSPRNG, after
  // normalizing it as policy.password.unicode sets. With request.new_password
  // and the password policy enabled, a password that breaks a rule fails with
  // that rule's error code. Fails with invalid_argument for bad parameters or
  // a password the algorithm cannot take (bcrypt: over 72 bytes or a NUL
  // byte), limit_exceeded for costs above the limits.
  Result<std::string> hash(ByteView password, const HashRequest& request = {}) const;

  // Verifies `password`, normalized as hash() does, against `stored`. When
  // normalization changed the password and policy.password.verify_unnormalized
  // is set, a mismatch is retried with the bytes as sent, and a match that way
  // needs a rehash. Fails, without running any key derivation, for a
  // malformed, unsupported or over-limit hash and for a locked-account
  // placeholder.
  Result<VerifyResult> verify(ByteView password, std::string_view stored) const;

  // Runs every rule of the password policy on `password`, also when the
  // policy is disabled; never runs a key derivation. Fails only for a
  // password over limits.max_password_bytes.
  Result<PasswordReport> check_password(ByteView password,
                                        const std::vector<std::string>& context) const;

  // Parses `stored` and judges it against the policy; never runs a key
  // derivation and never fails.
  Identification identify(std::string_view stored) const;

  // Returns identify()'s verdict, needs_rehash, algorithm and parameters
  // without building reason strings, so that millions of stored hashes can be
  // judged quickly. Never runs a key derivation and never fails.
  Classification classify(std::string_view stored) const;

  const Policy& policy() const { return policy_; }
  const Limits& limits() const { return limits_; }
  const std::shared_ptr<const Keyring>& keyring() const { return keyring_; }

 private:
  struct Unsealed {
    std::string inner;
    std::string key_id;
  };

  RehashCheck check_rehash(const ParsedHash& parsed) const;
  Verdict final_verdict(Verdict limits_verdict, Algorithm algorithm, bool below_floor,
                        Verdict pepper_verdict) const;
  Result<Unsealed> unseal(std::string_view stored) const;
  Result<ByteView> pepper_key(std::string_view key_id) const;
  PepperFinding check_pepper(std::string_view seal_key, std::string_view hmac_key) const;
  Result<VerifyResult> verify_prepared(ByteView password, std::string_view stored) const;
  Result<VerifyResult> verify_unsealed(ByteView password, std::string_view stored,
                                       std::string_view seal_key) const;
  Identification identify_unsealed(std::string_view stored, std::string_view seal_key) const;
  Classification classify_unsealed(std::string_view stored, std::string_view seal_key) const;

  Policy policy_;
  Limits limits_;
  std::shared_ptr<const Keyring> keyring_;
  PasswordChecker checker_;
};

}  // namespace pwsvc

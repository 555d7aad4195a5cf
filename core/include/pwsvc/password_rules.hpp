// Password rules: what a new password must satisfy before it is hashed.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pwsvc/breach_index.hpp"
#include "pwsvc/result.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// The reading of password bytes as text.
enum class UnicodeMode {
  nfkc,   // valid UTF-8 required; normalized to NFKC before hashing
  utf8,   // valid UTF-8 required; hashed as sent
  bytes,  // any bytes, hashed as sent; lengths count bytes
};

std::string_view unicode_mode_name(UnicodeMode mode);

// The minimum code points of a context word. Shorter words occur in too many
// good passwords to reject them, so the checker skips them and the config
// rejects them.
inline constexpr std::size_t k_min_context_word = 3;

// The [password_policy] settings. They apply to new passwords only; a stored
// hash always verifies whatever rules were in force when it was made.
struct PasswordRules {
  bool enabled = true;
  UnicodeMode unicode = UnicodeMode::nfkc;
  // When NFKC changes a password, verify also tries the bytes as sent, for
  // hashes made before normalization, and flags a match as needing a rehash.
  bool verify_unnormalized = true;
  std::uint32_t min_length = 8;    // code points (bytes in bytes mode)
  std::uint32_t max_length = 256;  // at least 64, as NIST SP 800-63B requires
  std::uint32_t min_strength = 2;  // zxcvbn score 0 to 4; 0 turns the check off
  std::string breach_index;        // path of a `pwsvc breach-index build` file; empty: none
  std::uint32_t breach_min_count = 1;      // times seen before a password counts as breached
  std::vector<std::string> context_words;  // such as the service's name, for every request
};

// The checks, in the order they run and are reported.
enum class PasswordRule { invalid_utf8, too_short, too_long, context_word, breached, weak };

std::string_view password_rule_name(PasswordRule rule);

// The error code a failed rule is reported with.
ErrorCode password_rule_error(PasswordRule rule);

// One rule's outcome. `detail` gives why it failed, or what was measured.
struct RuleOutcome {
  PasswordRule rule = PasswordRule::too_short;
  bool passed = true;
  std::string detail;
};

// Every rule's outcome for one password, with the strength estimate. Holds
// no part of the password.
struct PasswordReport {
  std::vector<RuleOutcome> outcomes;  // the rules that ran, in PasswordRule order
  std::size_t length = 0;             // code points, or bytes when not read as UTF-8
  bool normalized = false;            // NFKC changed the password
  int strength = -1;                  // zxcvbn score 0 to 4; -1 when not estimated
  double entropy_bits = 0;            // zxcvbn's estimate, log2 of the guesses
  std::vector<std::string> feedback;  // what makes the password guessable, and what to do
  std::optional<std::uint32_t> breach_count;  // set when the breach list has the password

  bool acceptable() const;
  const RuleOutcome* first_failure() const;
};

// Checks new passwords against the rules. Immutable after construction and
// safe to share between threads.
class PasswordChecker {
 public:
  PasswordChecker() = default;
  PasswordChecker(PasswordRules rules, std::shared_ptr<const BreachIndex> breach);

  // Runs every rule on `password`. `context` contains words from the request,
  // such as a username or an email address, checked with the configured ones.
  PasswordReport check(ByteView password, const std::vector<std::string>& context) const;

  // Returns the bytes to hash or verify first: the NFKC form of a valid UTF-8
  // password in nfkc mode, else the password as sent. A password longer than
  // max_length characters can be in UTF-8 (4 bytes each) is never normalized.
  // NOTE: code points unassigned in utf8proc's Unicode version (15 in
  // utf8proc 2.8) pass through unchanged. A later version that gives one a
  // compatibility mapping changes the hash of a password that contains it,
  // and only the verify_unnormalized fallback then matches it.
  SecretBytes prepare(ByteView password) const;

  const PasswordRules& rules() const { return rules_; }

 // Folded context words, with the text an error may quote: empty for a
  // word from a request.
  struct ContextWords {
    std::vector<std::string> folded;
    std::vector<std::string> shown;
  };

 private:
  void check_oversized(PasswordReport& report, ByteView password, bool utf8) const;
  void check_length(PasswordReport& report, bool utf8) const;
  void check_context(PasswordReport& report, ByteView password, bool utf8,
                     const ContextWords& words) const;
  void check_breach(PasswordReport& report, std::initializer_list<ByteView> forms) const;
  void check_strength(PasswordReport& report, ByteView password, bool text,
                      const std::vector<std::string>& words) const;

  PasswordRules rules_;
  std::shared_ptr<const BreachIndex> breach_;
};

}  // namespace pwsvc

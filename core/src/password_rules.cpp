// PasswordChecker: the length, Unicode, context, breach and strength rules.
#include "pwsvc/password_rules.hpp"

#include <algorithm>
#include <cctype>

#include "strength.hpp"
#include "unicode.hpp"

namespace pwsvc {

namespace {

// Whole context words count from 3 code points and their parts, split at
// punctuation, from 4. Shorter parts, such as "com" of an email address,
// would reject too many good passwords.
constexpr std::size_t k_min_context_word = 3;
constexpr std::size_t k_min_context_part = 4;

std::string text_of(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void add_word(std::vector<std::string>& words, ByteView folded, std::size_t min_length) {
  if (count_code_points(folded) < min_length) {
    return;
  }
  std::string word = text_of(folded);
  if (std::find(words.begin(), words.end(), word) == words.end()) {
    words.push_back(std::move(word));
  }
}

// Adds the case-folded word and its parts between ASCII punctuation, so that
// "alice.smith@example.org" also yields "alice", "smith" and "example".
void add_context_word(std::vector<std::string>& words, std::string_view word) {
  const auto folded = normalize(as_bytes(word), Normalization::nfkc_casefold);
  if (!folded) {
    return;
  }
  const ByteView text = folded->view();
  add_word(words, text, k_min_context_word);

  std::size_t start = 0;
  for (std::size_t at = 0; at <= text.size(); ++at) {
    const bool split = at == text.size() || (text[at] < 0x80 && std::isalnum(text[at]) == 0);
    if (split) {
      add_word(words, text.subspan(start, at - start), k_min_context_part);
      start = at + 1;
    }
  }
}

// Folds case for the context check: Unicode case folding for UTF-8, ASCII
// only for other bytes.
SecretBytes fold_case(ByteView password, bool utf8) {
  if (utf8) {
    if (auto folded = normalize(password, Normalization::nfkc_casefold)) {
      return std::move(*folded);
    }
  }
  SecretBytes folded = SecretBytes::copy_of(password);
  for (std::size_t i = 0; i < folded.size(); ++i) {
    folded.data()[i] = static_cast<unsigned char>(std::tolower(folded.data()[i]));
  }
  return folded;
}

std::string count_text(std::size_t count, bool utf8) {
  return std::to_string(count) + (utf8 ? " characters" : " bytes");
}

}  // namespace

std::string_view unicode_mode_name(UnicodeMode mode) {
  switch (mode) {
    case UnicodeMode::nfkc: return "nfkc";
    case UnicodeMode::utf8: return "utf8";
    case UnicodeMode::bytes: return "bytes";
  }
  return "nfkc";
}

std::string_view password_rule_name(PasswordRule rule) {
  switch (rule) {
    case PasswordRule::invalid_utf8: return "invalid_utf8";
    case PasswordRule::too_short: return "too_short";
    case PasswordRule::too_long: return "too_long";
    case PasswordRule::context_word: return "context_word";
    case PasswordRule::breached: return "breached";
    case PasswordRule::weak: return "weak";
  }
  return "weak";
}

ErrorCode password_rule_error(PasswordRule rule) {
  switch (rule) {
    case PasswordRule::invalid_utf8: return ErrorCode::invalid_utf8;
    case PasswordRule::too_short: return ErrorCode::too_short;
    case PasswordRule::too_long: return ErrorCode::too_long;
    case PasswordRule::context_word: return ErrorCode::context_word;
    case PasswordRule::breached: return ErrorCode::breached;
    case PasswordRule::weak: return ErrorCode::weak;
  }
  return ErrorCode::weak;
}

bool PasswordReport::acceptable() const { return first_failure() == nullptr; }

const RuleOutcome* PasswordReport::first_failure() const {
  for (const RuleOutcome& outcome : outcomes) {
    if (!outcome.passed) {
      return &outcome;
    }
  }
  return nullptr;
}

PasswordChecker::PasswordChecker(PasswordRules rules, std::shared_ptr<const BreachIndex> breach)
    : rules_(std::move(rules)), breach_(std::move(breach)) {}

SecretBytes PasswordChecker::prepare(ByteView password) const {
  if (rules_.unicode == UnicodeMode::nfkc) {
    if (auto normalized = normalize(password, Normalization::nfkc)) {
      return std::move(*normalized);
    }
  }
  return SecretBytes::copy_of(password);
}

PasswordReport PasswordChecker::check(ByteView password,
                                      const std::vector<std::string>& context) const {
  PasswordReport report;
  const bool text_mode = rules_.unicode != UnicodeMode::bytes;
  const bool utf8 = text_mode && valid_utf8(password);
  if (text_mode) {
    report.outcomes.push_back(
        {PasswordRule::invalid_utf8, utf8,
         utf8 ? "valid UTF-8"
              : "the password is not valid UTF-8; send it as UTF-8 text, or set "
                "password_policy.unicode = \"bytes\" for a system that stores other encodings"});
  }

  const SecretBytes checked = prepare(password);
  report.normalized = checked.size() != password.size() ||
                      !std::equal(password.begin(), password.end(), checked.data());
  report.length = utf8 ? count_code_points(checked.view()) : checked.size();
  const std::string length = count_text(report.length, utf8);

  report.outcomes.push_back(
      {PasswordRule::too_short, report.length >= rules_.min_length,
       report.length >= rules_.min_length
           ? length
           : "the password has " + length + "; the minimum is " +
                 std::to_string(rules_.min_length) + " (password_policy.min_length)"});
  report.outcomes.push_back(
      {PasswordRule::too_long, report.length <= rules_.max_length,
       report.length <= rules_.max_length
           ? length
           : "the password has " + length + "; the maximum is " +
                 std::to_string(rules_.max_length) + " (password_policy.max_length)"});

  std::vector<std::string> words;
  for (const std::string& word : rules_.context_words) {
    add_context_word(words, word);
  }
  for (const std::string& word : context) {
    add_context_word(words, word);
  }
  check_context(report, checked.view(), utf8, words);
  check_breach(report, password, checked.view());
  check_strength(report, checked.view(), words);
  return report;
}

void PasswordChecker::check_context(PasswordReport& report, ByteView password, bool utf8,
                                    const std::vector<std::string>& words) const {
  if (words.empty()) {
    return;
  }
  const SecretBytes folded = fold_case(password, utf8);
  const ByteView haystack = folded.view();
  for (const std::string& word : words) {
    const ByteView needle = as_bytes(word);
    if (std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
        haystack.end()) {
      report.outcomes.push_back({PasswordRule::context_word, false,
                                 "the password contains '" + word +
                                     "', a word from the account or the service; choose one "
                                     "without it"});
      return;
    }
  }
  report.outcomes.push_back({PasswordRule::context_word, true,
                             "no context word (" + std::to_string(words.size()) + " checked)"});
}

void PasswordChecker::check_breach(PasswordReport& report, ByteView raw, ByteView checked) const {
  if (!breach_) {
    return;
  }
  // Breach lists hold passwords as people typed them, so the form as sent is
  // looked up too when normalization changed it.
  auto count = breach_->contains_password(checked);
  if (!count && report.normalized) {
    count = breach_->contains_password(raw);
  }
  report.breach_count = count;
  const bool breached = count && *count >= rules_.breach_min_count;
  report.outcomes.push_back(
      {PasswordRule::breached, !breached,
       breached ? "the password is in a list of breached passwords (seen " +
                      std::to_string(*count) +
                      " times), so attackers try it early; choose another"
                : "not in the breach list of " + std::to_string(breach_->entry_count()) +
                      " entries"});
}

void PasswordChecker::check_strength(PasswordReport& report, ByteView password,
                                     const std::vector<std::string>& words) const {
  if (rules_.min_strength == 0) {
    return;
  }
  StrengthEstimate estimate = estimate_strength(password, words);
  report.strength = estimate.score;
  report.entropy_bits = estimate.entropy_bits;
  report.feedback = std::move(estimate.feedback);

  const bool strong = estimate.score >= static_cast<int>(rules_.min_strength);
  std::string detail = "strength " + std::to_string(estimate.score) + " of 4";
  if (!strong) {
    detail = "the password is too easy to guess (" + detail + "; the minimum is " +
             std::to_string(rules_.min_strength) + ", password_policy.min_strength)";
    for (const std::string& hint : report.feedback) {
      detail += "; " + hint;
    }
  }
  report.outcomes.push_back({PasswordRule::weak, strong, std::move(detail)});
}

}  // namespace pwsvc

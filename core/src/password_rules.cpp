// PasswordChecker: the length, Unicode, context, breach and strength rules.
#include "pwsvc/password_rules.hpp"

#include <algorithm>
#include <cctype>

#include "strength.hpp"
#include "unicode.hpp"

namespace pwsvc {

namespace {

// Parts of a context word, split at punctuation, count from 4 code points
// (whole words from k_min_context_word). Shorter parts, such as "com" of an
// email address, would reject too many good passwords.
constexpr std::size_t k_min_context_part = 4;

// Normalization's canonical ordering of combining marks takes time
// quadratic in their number, so passwords longer than max_length characters
// can be in UTF-8 are measured in bytes and not normalized.
constexpr std::size_t k_max_utf8_bytes_per_code_point = 4;

std::string text_of(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void add_word(PasswordChecker::ContextWords& words, ByteView folded, std::size_t min_length,
              std::string_view shown) {
  if (count_code_points(folded) < min_length) {
    return;
  }
  std::string word = text_of(folded);
  if (std::find(words.folded.begin(), words.folded.end(), word) == words.folded.end()) {
    words.folded.push_back(std::move(word));
    words.shown.emplace_back(shown);
  }
}

// Adds the folded word and its parts between ASCII punctuation, so that
// "alice.smith@example.org" also yields "alice", "smith" and "example".
// `shown` is the text an error may quote: a configured word, never one from
// a request, which may be the user's own password.
void add_context_word(PasswordChecker::ContextWords& words, std::string_view word,
                      std::string_view shown) {
  const auto folded = normalize(as_bytes(word), Normalization::nfkc_folded);
  if (!folded) {
    return;
  }
  const ByteView text = folded->view();
  add_word(words, text, k_min_context_word, shown);

  std::size_t start = 0;
  for (std::size_t at = 0; at <= text.size(); ++at) {
    const bool split = at == text.size() || (text[at] < 0x80 && std::isalnum(text[at]) == 0);
    if (split) {
      add_word(words, text.subspan(start, at - start), k_min_context_part, shown);
      start = at + 1;
    }
  }
}

// Folds the password as context words are folded: Unicode case folding with
// accents and invisible characters removed for UTF-8, ASCII case only for
// other bytes.
SecretBytes fold_case(ByteView password, bool utf8) {
  if (utf8) {
    if (auto folded = normalize(password, Normalization::nfkc_folded)) {
      return std::move(*folded);
    }
  }
  SecretBytes folded = SecretBytes::copy_of(password);
  for (std::size_t i = 0; i < folded.size(); ++i) {
    folded.data()[i] = static_cast<unsigned char>(std::tolower(folded.data()[i]));
  }
  return folded;
}

// Returns `form` of a valid UTF-8 password, or a copy when it is not.
SecretBytes form_of(ByteView password, bool utf8, Normalization form) {
  if (utf8) {
    if (auto normalized = normalize(password, form)) {
      return std::move(*normalized);
    }
  }
  return SecretBytes::copy_of(password);
}

bool same_bytes(ByteView a, ByteView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

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
  const bool normalizes = rules_.unicode == UnicodeMode::nfkc &&
                          password.size() <= k_max_utf8_bytes_per_code_point * rules_.max_length;
  if (normalizes) {
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
  if (password.size() > k_max_utf8_bytes_per_code_point * rules_.max_length) {
    check_oversized(report, password, utf8);
    return report;
  }

  // Lengths count the visible code points a user typed. NFC makes a
  // ligature one character and an accent typed apart part of its letter,
  // and invisible characters such as U+200B are left out.
  const SecretBytes hashed = prepare(password);
  report.normalized = !same_bytes(hashed.view(), password);
  const SecretBytes typed = form_of(password, utf8, Normalization::nfc_visible);
  report.length = utf8 ? count_code_points(typed.view()) : password.size();
  check_length(report, utf8);

  ContextWords words;
  for (const std::string& word : rules_.context_words) {
    add_context_word(words, word, word);
  }
  for (const std::string& word : context) {
    add_context_word(words, word, {});
  }
  check_context(report, password, utf8, words);

  // Breach lists and zxcvbn see the password without invisible characters,
  // which would otherwise hide a listed or common password. In bytes mode a
  // password that happens to be UTF-8 is read as text here too, because
  // these forms are only looked up, never hashed.
  const bool text = utf8 || (!text_mode && valid_utf8(password));
  const SecretBytes visible = form_of(password, text, Normalization::nfkc_visible);
  check_breach(report, {visible.view(), hashed.view(), password});
  check_strength(report, visible.view(), text, words.folded);
  return report;
}

void PasswordChecker::check_oversized(PasswordReport& report, ByteView password,
                                      bool utf8) const {
  report.length = utf8 ? count_code_points(password) : password.size();
  report.outcomes.push_back({PasswordRule::too_short, true, count_text(report.length, utf8)});
  report.outcomes.push_back(
      {PasswordRule::too_long, false,
       "the password is " + std::to_string(password.size()) + " bytes long, more than " +
           std::to_string(rules_.max_length) +
           " characters can be (password_policy.max_length)"});
}

void PasswordChecker::check_length(PasswordReport& report, bool utf8) const {
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
}

void PasswordChecker::check_context(PasswordReport& report, ByteView password, bool utf8,
                                    const ContextWords& words) const {
  if (words.folded.empty()) {
    return;
  }
  const SecretBytes folded = fold_case(password, utf8);
  const ByteView haystack = folded.view();
  for (std::size_t i = 0; i < words.folded.size(); ++i) {
    const ByteView needle = as_bytes(words.folded[i]);
    if (std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) ==
        haystack.end()) {
      continue;
    }
    const std::string& shown = words.shown[i];
    report.outcomes.push_back(
        {PasswordRule::context_word, false,
         shown.empty() ? "the password contains a word from the request's context, such as "
                         "the username or email address; choose one without it"
                       : "the password contains '" + shown +
                             "' from password_policy.context_words; choose one without it"});
    return;
  }
  report.outcomes.push_back(
      {PasswordRule::context_word, true,
       "no context word or part of one (" + std::to_string(words.folded.size()) +
           " checked)"});
}

void PasswordChecker::check_breach(PasswordReport& report,
                                   std::initializer_list<ByteView> forms) const {
  if (!breach_) {
    return;
  }
  // Breach lists hold passwords as people typed them, so every form that
  // differs is looked up: without invisible characters, normalized, as sent.
  std::optional<std::uint32_t> count;
  const ByteView* previous = nullptr;
  for (const ByteView& form : forms) {
    if (!count && (previous == nullptr || !same_bytes(form, *previous))) {
      count = breach_->contains_password(form);
    }
    previous = &form;
  }
  report.breach_count = count;
  const bool breached = count && *count >= rules_.breach_min_count;
  report.outcomes.push_back(
      {PasswordRule::breached, !breached,
       breached ? "the password is in a list of breached passwords (seen " +
                      (*count == 1 ? std::string("once") : std::to_string(*count) + " times") +
                      "), so attackers try it early; choose another"
                : "not in the breach list of " + std::to_string(breach_->entry_count()) +
                      " entries"});
}

// zxcvbn-c matches its dictionaries and keyboard patterns on ASCII, so
// "pásswörd" would count as random. The password without its accents is
// estimated too, and the lower score counts.
// NOTE: other non-ASCII characters still count as random, so a password such
// as eight copies of one Hangul syllable scores 2 and passes the default minimum.
void PasswordChecker::check_strength(PasswordReport& report, ByteView password, bool text,
                                     const std::vector<std::string>& words) const {
  if (rules_.min_strength == 0) {
    return;
  }
  StrengthEstimate estimate = estimate_strength(password, words);
  const SecretBytes unmarked = form_of(password, text, Normalization::nfkc_unmarked);
  if (!same_bytes(unmarked.view(), password)) {
    StrengthEstimate plain = estimate_strength(unmarked.view(), words);
    // The score is a band of the entropy, so a lower entropy never scores higher.
    if (plain.entropy_bits < estimate.entropy_bits) {
      if (plain.score < estimate.score) {
        plain.feedback.insert(
            plain.feedback.begin(),
            "accents added to a guessable password do not hide it from guessing tools");
      }
      estimate = std::move(plain);
    }
  }
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

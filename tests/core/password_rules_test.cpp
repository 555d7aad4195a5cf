// Tests of the password policy: each rule, Unicode forms, and the engine's use of them.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pwsvc/engine.hpp"
#include "pwsvc/password_rules.hpp"
#include "unicode.hpp"

namespace fs = std::filesystem;
using namespace pwsvc;

namespace {

const std::string k_strong = "plum-kettle-47-orbit";

// "Crème brûlée" in NFC (precomposed) and NFD (base letters and combining marks).
const std::string k_nfc = "Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e at noon 7";
const std::string k_nfd = "Cre\xCC\x80me bru\xCC\x82le\xCC\x81" "e at noon 7";
// Fullwidth "ｐａｓｓｗｏｒｄ", which NFKC folds to ASCII "password".
const std::string k_fullwidth =
    "\xEF\xBD\x90\xEF\xBD\x81\xEF\xBD\x93\xEF\xBD\x93\xEF\xBD\x97\xEF\xBD\x8F\xEF\xBD\x92"
    "\xEF\xBD\x84";

// A cheap policy, so the engine tests run fast.
Policy cheap_policy() {
  Policy policy;
  policy.params[Algorithm::argon2id] = {{"m", 64}, {"t", 1}, {"p", 1}};
  return policy;
}

const RuleOutcome* outcome(const PasswordReport& report, PasswordRule rule) {
  for (const RuleOutcome& found : report.outcomes) {
    if (found.rule == rule) {
      return &found;
    }
  }
  return nullptr;
}

bool fails(const PasswordReport& report, PasswordRule rule) {
  const RuleOutcome* found = outcome(report, rule);
  return found != nullptr && !found->passed;
}

PasswordReport check(const PasswordRules& rules, const std::string& password,
                     const std::vector<std::string>& context = {}) {
  return PasswordChecker(rules, nullptr).check(as_bytes(password), context);
}

std::string text_of(const SecretBytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_CASE("password rules: a strong password passes every rule", "[password]") {
  const PasswordReport report = check(PasswordRules{}, k_strong);
  CHECK(report.acceptable());
  CHECK(report.strength >= 2);
  CHECK(report.length == k_strong.size());
  for (PasswordRule rule : {PasswordRule::invalid_utf8, PasswordRule::too_short,
                            PasswordRule::too_long, PasswordRule::weak}) {
    REQUIRE(outcome(report, rule) != nullptr);
    CHECK(outcome(report, rule)->passed);
  }
}

TEST_CASE("password rules: length counts code points at both ends", "[password]") {
  PasswordRules rules;
  rules.min_strength = 0;

  CHECK(fails(check(rules, "seven77"), PasswordRule::too_short));
  CHECK_FALSE(fails(check(rules, "eight888"), PasswordRule::too_short));

  // Eight two-byte letters are 16 bytes but only 8 code points.
  const std::string greek = "\xCE\xB1\xCE\xB2\xCE\xB3\xCE\xB4\xCE\xB5\xCE\xB6\xCE\xB7\xCE\xB8";
  CHECK(check(rules, greek).length == 8);
  CHECK_FALSE(fails(check(rules, greek), PasswordRule::too_short));
  CHECK(fails(check(rules, greek.substr(0, 14)), PasswordRule::too_short));

  rules.max_length = 64;
  CHECK_FALSE(fails(check(rules, std::string(64, 'x')), PasswordRule::too_long));
  const PasswordReport over = check(rules, std::string(65, 'x'));
  CHECK(fails(over, PasswordRule::too_long));
  CHECK_THAT(outcome(over, PasswordRule::too_long)->detail,
             Catch::Contains("65 characters") && Catch::Contains("password_policy.max_length"));
}

TEST_CASE("password rules: length counts typed characters", "[password][unicode]") {
  PasswordRules rules;
  rules.min_strength = 0;
  rules.max_length = 64;

  // U+FDFA is one character that NFKC expands to 18.
  const std::string ligature = "\xEF\xB7\xBA";
  CHECK(check(rules, ligature).length == 1);
  CHECK(fails(check(rules, ligature), PasswordRule::too_short));
  std::string many;
  for (int i = 0; i < 15; ++i) {
    many += ligature;
  }
  CHECK_FALSE(fails(check(rules, many), PasswordRule::too_long));

  // Invisible characters do not count.
  std::string invisible;
  for (int i = 0; i < 8; ++i) {
    invisible += "\xE2\x80\x8B";
  }
  CHECK(check(rules, invisible).length == 0);
  CHECK(fails(check(rules, invisible), PasswordRule::too_short));
}

TEST_CASE("password rules: oversized passwords skip normalization", "[password][unicode]") {
  PasswordRules rules;
  rules.max_length = 64;
  // "a" and then combining marks, whose canonical ordering is quadratic.
  std::string marks = "a";
  while (marks.size() <= 4 * 64) {
    marks += "\xCD\x85\xCC\x80";
  }
  const PasswordReport report = check(rules, marks);
  REQUIRE(fails(report, PasswordRule::too_long));
  CHECK_THAT(outcome(report, PasswordRule::too_long)->detail, Catch::Contains("bytes long"));
  CHECK(outcome(report, PasswordRule::weak) == nullptr);
  const PasswordChecker checker(rules, nullptr);
  CHECK(text_of(checker.prepare(as_bytes(marks))) == marks);
}

TEST_CASE("password rules: invalid UTF-8 is rejected unless in bytes mode", "[password][unicode]") {
  for (const std::string& bad : {std::string("\xFF\xFE" "abcdefgh"), std::string("abc\xC0\xAF" "defgh"),
                                std::string("abcdefg\xED\xA0\x80"), std::string("abcdefgh\xF4\x90\x80\x80"),
                                std::string("abcdefgh\xE2\x82")}) {
    INFO("bytes: " << bad.size());
    const PasswordReport report = check(PasswordRules{}, bad);
    CHECK(fails(report, PasswordRule::invalid_utf8));
    CHECK(report.length == bad.size());
  }

  PasswordRules bytes;
  bytes.unicode = UnicodeMode::bytes;
  const PasswordReport report = check(bytes, "\xFF\xFE-plum-kettle-47-orbit");
  CHECK(outcome(report, PasswordRule::invalid_utf8) == nullptr);
  CHECK(report.acceptable());
}

TEST_CASE("password rules: NFC, NFD and NFKC forms", "[password][unicode]") {
  const PasswordChecker checker(PasswordRules{}, nullptr);

  // NFD and NFC of the same text normalize to the same bytes.
  CHECK(text_of(checker.prepare(as_bytes(k_nfd))) == k_nfc);
  CHECK(text_of(checker.prepare(as_bytes(k_nfc))) == k_nfc);
  CHECK(checker.check(as_bytes(k_nfd), {}).normalized);
  CHECK_FALSE(checker.check(as_bytes(k_nfc), {}).normalized);
  CHECK(checker.check(as_bytes(k_nfd), {}).length == checker.check(as_bytes(k_nfc), {}).length);

  // Compatibility forms fold, so a fullwidth common password is still weak.
  CHECK(text_of(checker.prepare(as_bytes(k_fullwidth))) == "password");
  CHECK(fails(checker.check(as_bytes(k_fullwidth), {}), PasswordRule::weak));
  // The ligature "ﬁ" becomes "fi".
  CHECK(text_of(checker.prepare(as_bytes("\xEF\xAC\x81"))) == "fi");

  // utf8 mode checks the text but hashes it as sent.
  PasswordRules utf8;
  utf8.unicode = UnicodeMode::utf8;
  CHECK(text_of(PasswordChecker(utf8, nullptr).prepare(as_bytes(k_nfd))) == k_nfd);
  // Invalid UTF-8 is left as it is in every mode.
  CHECK(text_of(checker.prepare(as_bytes("\xFF" "abc"))) == "\xFF" "abc");
}

TEST_CASE("password rules: context words from the request and the config", "[password]") {
  PasswordRules rules;
  rules.min_strength = 0;
  rules.context_words = {"Acme Shop"};

  // A word from the request may be the password itself, so it is not quoted.
  const auto report = check(rules, "my-ALICE-secret-9", {"alice"});
  REQUIRE(fails(report, PasswordRule::context_word));
  CHECK_THAT(outcome(report, PasswordRule::context_word)->detail,
             !Catch::Contains("alice") && Catch::Contains("request's context"));

  // Invisible characters, accents and dotted capitals do not hide a word.
  CHECK(fails(check(rules, "al\xE2\x80\x8Bice-Xk9q", {"alice"}), PasswordRule::context_word));
  CHECK(fails(check(rules, "AL\xC4\xB0" "CE-Xk9q2zr", {"alice"}), PasswordRule::context_word));
  CHECK(fails(check(rules, "my-\xC3\xA1lice-42", {"alice"}), PasswordRule::context_word));

  // Parts of an email address count, but not short ones such as "com".
  CHECK(fails(check(rules, "smith-river-42", {"john.smith@example.com"}),
              PasswordRule::context_word));
  CHECK(fails(check(rules, "Example-river-42", {"john.smith@example.com"}),
              PasswordRule::context_word));
  CHECK_FALSE(fails(check(rules, "welcome-river-42", {"john.smith@example.com"}),
                    PasswordRule::context_word));

  // The configured service name, in any case and as a part, is quoted.
  const auto configured = check(rules, "i-love-SHOPPING-42");
  REQUIRE(fails(configured, PasswordRule::context_word));
  CHECK_THAT(outcome(configured, PasswordRule::context_word)->detail,
             Catch::Contains("'Acme Shop'"));
  CHECK(fails(check(rules, "acme shop forever"), PasswordRule::context_word));

  // Case folding is Unicode-aware: "Straße" folds to "strasse".
  CHECK(fails(check(rules, "my-STRASSE-river-7", {"Stra\xC3\x9F" "e"}),
              PasswordRule::context_word));

  PasswordRules none;
  CHECK(outcome(check(none, k_strong), PasswordRule::context_word) == nullptr);
}

TEST_CASE("password rules: strength uses zxcvbn's score and gives feedback", "[password]") {
  PasswordRules rules;
  rules.min_length = 1;
  rules.min_strength = 3;

  // An invisible character inside a common password does not hide it.
  CHECK(fails(check(rules, "pass\xE2\x80\x8Bword-1"), PasswordRule::weak));

  const PasswordReport weak = check(rules, "qwertyuiop");
  CHECK(fails(weak, PasswordRule::weak));
  CHECK(weak.strength < 3);
  CHECK_FALSE(weak.feedback.empty());
  CHECK_THAT(outcome(weak, PasswordRule::weak)->detail,
             Catch::Contains("password_policy.min_strength"));

  CHECK(check(rules, "password").strength == 0);
  CHECK_FALSE(fails(check(rules, "correct horse battery staple"), PasswordRule::weak));

  // Accents, composed or typed as combining marks, do not hide a common password.
  const PasswordReport accented = check(rules, "P\xC3\xA1ssw\xC3\xB6rd1!");
  CHECK(fails(accented, PasswordRule::weak));
  CHECK(accented.strength == 0);
  REQUIRE_FALSE(accented.feedback.empty());
  CHECK_THAT(accented.feedback.front(), Catch::Contains("accents"));
  CHECK(check(rules, "Pa\xCC\x81ssword1!").strength == 0);

  // Bytes mode scores a password that is valid UTF-8 the same way.
  PasswordRules bytes_mode = rules;
  bytes_mode.unicode = UnicodeMode::bytes;
  CHECK(check(bytes_mode, "P\xC3\xA1ssw\xC3\xB6rd1!").strength == 0);

  // A long passphrase with accents stays strong.
  const PasswordReport phrase = check(rules, "\xC3\x87" "a fait tr\xC3\xA8s longtemps, mon ami");
  CHECK_FALSE(fails(phrase, PasswordRule::weak));
  CHECK(phrase.strength == 4);

  rules.min_strength = 0;
  const PasswordReport off = check(rules, "password");
  CHECK(outcome(off, PasswordRule::weak) == nullptr);
  CHECK(off.strength == -1);
}

TEST_CASE("password rules: the breach index refuses listed passwords", "[password][breach]") {
  std::random_device seed;
  const fs::path directory =
      fs::temp_directory_path() / ("pwsvc-rules-test-" + std::to_string(seed()));
  fs::create_directories(directory);
  {
    std::ofstream list(directory / "list.txt");
    list << "plum-kettle-47-orbit\n" << "Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e at noon 7\n";
  }
  const std::string index_path = (directory / "list.idx").string();
  REQUIRE(build_breach_index((directory / "list.txt").string(), index_path, {}));
  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  const auto shared = std::make_shared<const BreachIndex>(std::move(*index));

  PasswordRules rules;
  const PasswordChecker checker(rules, shared);
  const PasswordReport listed = checker.check(as_bytes(k_strong), {});
  CHECK(fails(listed, PasswordRule::breached));
  CHECK(listed.breach_count == 1U);
  // The NFD form of a listed NFC password is found through normalization.
  CHECK(fails(checker.check(as_bytes(k_nfd), {}), PasswordRule::breached));
  CHECK_FALSE(fails(checker.check(as_bytes("violet-tractor-harbour-72"), {}),
                    PasswordRule::breached));

  rules.breach_min_count = 2;
  CHECK_FALSE(fails(PasswordChecker(rules, shared).check(as_bytes(k_strong), {}),
                    PasswordRule::breached));
  fs::remove_all(directory);
}

TEST_CASE("engine: new passwords obey the policy, other hashes do not", "[password][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  HashRequest request;
  request.new_password = true;

  const auto rejected = engine.hash(as_bytes("hunter2"), request);
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().code == ErrorCode::too_short);
  CHECK(is_password_rule(rejected.error().code));

  request.context = {"orbit"};
  const auto context = engine.hash(as_bytes(k_strong), request);
  REQUIRE_FALSE(context);
  CHECK(context.error().code == ErrorCode::context_word);

  const auto invalid = engine.hash(as_bytes("\xFF\xFE plum kettle orbit"), request);
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().code == ErrorCode::invalid_utf8);

  // Without new_password (rehashes, imports with --no-policy) nothing is rejected.
  CHECK(engine.hash(as_bytes("hunter2")));

  Policy disabled = cheap_policy();
  disabled.password.enabled = false;
  request.context.clear();
  CHECK(Engine(disabled, Limits{}).hash(as_bytes("hunter2"), request));
}

TEST_CASE("engine: hashes the NFKC form and verifies either form", "[password][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  const auto stored = engine.hash(as_bytes(k_nfd));
  REQUIRE(stored);

  for (const std::string& form : {k_nfc, k_nfd}) {
    const auto result = engine.verify(as_bytes(form), *stored);
    REQUIRE(result);
    CHECK(result->match);
    CHECK_FALSE(result->needs_rehash);
  }
  CHECK_FALSE(engine.verify(as_bytes("Creme brulee at noon 7"), *stored)->match);
}

TEST_CASE("engine: a hash of unnormalized bytes verifies and asks for a rehash",
          "[password][engine]") {
  Policy bytes_policy = cheap_policy();
  bytes_policy.password.unicode = UnicodeMode::bytes;
  const auto old_hash = Engine(bytes_policy, Limits{}).hash(as_bytes(k_nfd));
  REQUIRE(old_hash);

  const Engine engine(cheap_policy(), Limits{});
  const auto result = engine.verify(as_bytes(k_nfd), *old_hash);
  REQUIRE(result);
  CHECK(result->match);
  CHECK(result->needs_rehash);
  REQUIRE_FALSE(result->rehash_reasons.empty());
  CHECK_THAT(result->rehash_reasons.back(), Catch::Contains("normalization"));

  // The NFC form was never hashed, so it cannot match the NFD bytes.
  CHECK_FALSE(engine.verify(as_bytes(k_nfc), *old_hash)->match);

  Policy strict = cheap_policy();
  strict.password.verify_unnormalized = false;
  CHECK_FALSE(Engine(strict, Limits{}).verify(as_bytes(k_nfd), *old_hash)->match);
}

TEST_CASE("engine: check_password refuses a password over the byte limit", "[password][engine]") {
  Limits limits;
  limits.max_password_bytes = 16;
  const Engine engine(cheap_policy(), limits);
  CHECK(engine.check_password(as_bytes(std::string(16, 'x')), {}));
  const auto over = engine.check_password(as_bytes(std::string(17, 'x')), {});
  REQUIRE_FALSE(over);
  CHECK(over.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("unicode: validation matches RFC 3629", "[unicode]") {
  CHECK(valid_utf8(as_bytes("plain ascii")));
  CHECK(valid_utf8(as_bytes("\xF0\x9F\x94\x91")));
  CHECK_FALSE(valid_utf8(as_bytes("\xC0\x80")));          // overlong NUL
  CHECK_FALSE(valid_utf8(as_bytes("\xED\xA0\x80")));      // surrogate
  CHECK_FALSE(valid_utf8(as_bytes("\xF4\x90\x80\x80")));  // above U+10FFFF
  CHECK_FALSE(valid_utf8(as_bytes("\x80")));              // lone continuation
  CHECK(count_code_points(as_bytes("\xF0\x9F\x94\x91" "ab")) == 3);
}

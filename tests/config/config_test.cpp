// Tests of pwsvc.toml parsing: values, unknown keys and error positions.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "config.hpp"

using namespace pwsvc;

TEST_CASE("config: empty text gives the defaults", "[config]") {
  const auto settings = parse_config("");
  REQUIRE(settings);
  CHECK(settings->policy.algorithm == Algorithm::argon2id);
  CHECK(settings->policy.params.at(Algorithm::argon2id).at("m") == 19456);
  CHECK(settings->limits.bcrypt_max_cost == Limits{}.bcrypt_max_cost);
}

TEST_CASE("config: policy, limits and logging are read", "[config]") {
  const auto settings = parse_config(R"(
[policy]
algorithm = "bcrypt"
rehash_stronger = true
deprecated = ["md5-crypt"]

[policy.bcrypt]
cost = 12

[policy.pbkdf2-sha256]
rounds = 700000

[limits]
bcrypt_max_cost = 14
max_password_bytes = 256

[logging]
level = "debug"
)");
  REQUIRE(settings);
  CHECK(settings->policy.algorithm == Algorithm::bcrypt);
  CHECK(settings->policy.rehash_stronger == RehashStronger::yes);
  CHECK(settings->policy.deprecated == std::set<Algorithm>{Algorithm::md5_crypt});
  CHECK(settings->policy.params.at(Algorithm::bcrypt).at("cost") == 12);
  CHECK(settings->policy.params.at(Algorithm::pbkdf2_sha256).at("rounds") == 700000);
  CHECK(settings->limits.bcrypt_max_cost == 14);
  CHECK(settings->limits.max_password_bytes == 256);
  CHECK(settings->logging.level == LogLevel::debug);
}

TEST_CASE("config: every unknown key is reported with its position", "[config]") {
  const auto settings = parse_config("[policy]\nalgoritm = \"bcrypt\"\n\n[limits]\nmax_cost = 3\n");
  REQUIRE_FALSE(settings);
  const auto& issues = settings.error();
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "policy.algoritm");
  CHECK(issues[0].line == 2);
  CHECK(issues[0].column == 1);
  CHECK(issues[1].key == "limits.max_cost");
  CHECK(issues[1].line == 5);
}

TEST_CASE("config: wrong types and ranges are errors", "[config]") {
  const auto settings = parse_config(R"(
[policy]
algorithm = "md5-crypt"
salt_bytes = 2
[policy.argon2id]
m = "big"
[logging]
level = "loud"
)");
  REQUIRE_FALSE(settings);
  const auto& issues = settings.error();
  REQUIRE(issues.size() == 4);
  CHECK(issues[0].key == "policy.algorithm");
  CHECK(issues[1].key == "policy.salt_bytes");
  CHECK(issues[2].key == "policy.argon2id.m");
  CHECK(issues[3].key == "logging.level");
}

TEST_CASE("config: listen address forms", "[config]") {
  for (const char* address : {"unix:/run/pwsvcd.sock", "127.0.0.1:0", "0.0.0.0:8080",
                              "[::1]:443", "[::]:65535"}) {
    CHECK(valid_listen_address(address));
  }
  for (const char* address : {"unix:relative.sock", "unix:", "localhost:80", "::1:80",
                              "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:-1", ":80",
                              "[127.0.0.1]:80", "300.1.1.1:80"}) {
    CHECK_FALSE(valid_listen_address(address));
  }

  const auto settings = parse_config("[daemon]\nlisten = [\"localhost:80\"]\n");
  REQUIRE_FALSE(settings);
  CHECK(settings.error()[0].key == "daemon.listen");
}

TEST_CASE("config: deprecated policy algorithm", "[config]") {
  const auto own = parse_config("[policy]\ndeprecated = [\"argon2id\"]\n");
  REQUIRE_FALSE(own);
  REQUIRE(own.error().size() == 1);
  CHECK(own.error()[0].key == "policy.deprecated");
  CHECK(own.error()[0].line == 2);

  const auto other =
      parse_config("[policy]\nalgorithm = \"bcrypt\"\ndeprecated = [\"argon2id\"]\n");
  CHECK(other);
}

TEST_CASE("config: NaN rate limit is an error", "[config]") {
  const auto settings = parse_config("[daemon.rate_limit]\nrequests_per_second = nan\n");
  REQUIRE_FALSE(settings);
  REQUIRE(settings.error().size() == 1);
  CHECK(settings.error()[0].key == "daemon.rate_limit.requests_per_second");
}

TEST_CASE("config: float for an integer setting", "[config]") {
  // 1e40 does not fit in 64 bits, and 17.0 fits but is still not an integer.
  for (const char* number : {"1e40", "-1e40", "17.0", "nan", "inf"}) {
    const auto settings =
        parse_config(std::string("[policy.scrypt]\nln = ") + number + "\n");
    REQUIRE_FALSE(settings);
    REQUIRE(settings.error().size() == 1);
    CHECK(settings.error()[0].key == "policy.scrypt.ln");
    CHECK(settings.error()[0].message == "must be an integer");
  }
}

TEST_CASE("config: a policy above the limits is rejected", "[config]") {
  const auto settings = parse_config(R"(
[policy.argon2id]
m = 1048576
)");
  REQUIRE_FALSE(settings);
  CHECK(settings.error().at(0).key == "policy.argon2id");
  CHECK_THAT(settings.error().at(0).message, Catch::Contains("argon2_max_memory_kib"));
}

TEST_CASE("config: syntax errors carry line and column", "[config]") {
  const auto settings = parse_config("[policy\nalgorithm = 1\n");
  REQUIRE_FALSE(settings);
  CHECK(settings.error().at(0).line == 1);
  CHECK_THAT(settings.error().at(0).message, Catch::Contains("syntax"));
}

TEST_CASE("config: issues format as file, line, column and key", "[config]") {
  const ConfigIssue issue{"policy.algorithm", 3, 13, "must be a name"};
  CHECK(format_issue(issue, "pwsvc.toml") == "pwsvc.toml:3:13: policy.algorithm: must be a name");
}

TEST_CASE("config: missing file is one issue", "[config]") {
  const auto settings = load_config("/nonexistent/pwsvc.toml");
  REQUIRE_FALSE(settings);
  CHECK(settings.error().size() == 1);
}

TEST_CASE("config: relative paths follow the config file", "[config]") {
  const std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("pwsvc-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory / "etc");
  const std::filesystem::path file = directory / "etc" / "pwsvc.toml";
  std::ofstream(file) << "[pepper]\nkeyring = \"keys/ring\"\n"
                         "[password_policy]\nbreach_index = \"../data/breached.idx\"\n"
                         "[daemon]\ntls_certificate = \"/abs/cert.pem\"\n"
                         "tls_private_key = \"tls/key.pem\"\n";

  const auto settings = load_config(file);
  std::filesystem::remove_all(directory);

  REQUIRE(settings);
  CHECK(settings->pepper.keyring == (directory / "etc" / "keys" / "ring").string());
  CHECK(settings->policy.password.breach_index == (directory / "data" / "breached.idx").string());
  CHECK(settings->daemon.tls_certificate == "/abs/cert.pem");
  CHECK(settings->daemon.tls_private_key == (directory / "etc" / "tls" / "key.pem").string());
}

// toml++ 3.3.0 reaches __builtin_unreachable() when it tests these
// characters as whitespace; parse_config must reject them before toml++ runs.
TEST_CASE("config: non-ASCII outside strings is an error", "[config]") {
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"[\xEF\xB3\xBFpolicy]\nalgorithm = \"bcrypt\"\n", 1},
      {"[policy]\nalgorithm = \"bcrypt\" \xC2\xA7\n", 2},
      {"s = \"\"\"\\\n\xC2\xA7\"\"\"\n", 2},
      {"\xCC\xAA", 1},
      {"s = \"\"\"\"\n\"\\\xC2\xA7\"\"", 2},
      {"s = \"\\\xC2\xA7\"", 1},
      {"s = 2\"\xC2\xA7" "d\"\"", 1},
  };
  for (const auto& [text, line] : cases) {
    INFO("config text: " << text);
    const auto settings = parse_config(text);
    REQUIRE_FALSE(settings);
    REQUIRE(settings.error().size() == 1);
    CHECK(settings.error()[0].line == line);
    CHECK_THAT(settings.error()[0].message, Catch::Contains("non-ASCII character"));
  }
}

TEST_CASE("config: non-ASCII in strings and comments is read", "[config]") {
  const auto settings = parse_config(
      "# Größe der Schlüssel \xEF\xB3\xBF\n"
      "[daemon]\n"
      "tls_certificate = '/etc/pwsvc/zertifikat-ä.pem'\n"
      "tls_private_key = \"\"\"\n/etc/pwsvc/schlüssel.pem\"\"\"\n"
      "[[daemon.api_keys]]\n"
      "name = \"Schlüssel \xEF\xB3\xBF\"\n"
      "hash = \"sha256:" + std::string(64, 'a') + "\"\n");
  REQUIRE(settings);
  CHECK(settings->daemon.api_keys.at(0).name == "Schlüssel \xEF\xB3\xBF");
  CHECK(settings->daemon.tls_certificate == "/etc/pwsvc/zertifikat-ä.pem");
}

TEST_CASE("config: the pepper table is read", "[config]") {
  const auto settings = parse_config(R"(
[pepper]
keyring = "/etc/pwsvc/keyring"
mode = "hmac"
required = true
)");
  REQUIRE(settings.has_value());
  CHECK(settings->pepper.keyring == "/etc/pwsvc/keyring");
  CHECK(settings->policy.pepper_mode == PepperMode::hmac);
  CHECK(settings->policy.pepper_required);
}

TEST_CASE("config: bad pepper settings are errors", "[config]") {
  const std::pair<std::string, std::string> cases[] = {
      {"[pepper]\nmode = \"xor\"\n", "pepper.mode"},
      {"[pepper]\nrequired = \"yes\"\n", "pepper.required"},
      {"[pepper]\nkeyring = \"\"\n", "pepper.keyring"},
      {"[pepper]\nkeyfile = \"x\"\n", "pepper.keyfile"},
      {"[policy]\nalgorithm = \"bcrypt\"\n[pepper]\nmode = \"hmac\"\n", "pepper.mode"},
  };
  for (const auto& [text, key] : cases) {
    CAPTURE(text);
    const auto settings = parse_config(text);
    REQUIRE_FALSE(settings.has_value());
    REQUIRE(settings.error().size() == 1);
    CHECK(settings.error()[0].key == key);
  }
}

TEST_CASE("config: a required pepper needs a keyring", "[config]") {
  auto settings = parse_config("[pepper]\nrequired = true\n");
  REQUIRE(settings.has_value());
  ::unsetenv("CREDENTIALS_DIRECTORY");
  ::unsetenv("PWSVC_KEYRING");

  auto keyring = load_keyring(*settings);
  REQUIRE_FALSE(keyring.has_value());
  CHECK_THAT(keyring.error().message, Catch::Contains("no keyring"));

  ::setenv("PWSVC_KEYRING",
           "active k1\nkey k1 2026-12-01T10:00:00Z AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n",
           1);
  keyring = load_keyring(*settings);
  ::unsetenv("PWSVC_KEYRING");
  REQUIRE(keyring.has_value());
  REQUIRE(*keyring != nullptr);
  CHECK((*keyring)->active_id() == "k1");
}

TEST_CASE("config: the password_policy table is read", "[config][password]") {
  const auto defaults = parse_config("");
  REQUIRE(defaults);
  const PasswordRules& rules = defaults->policy.password;
  CHECK(rules.enabled);
  CHECK(rules.unicode == UnicodeMode::nfkc);
  CHECK(rules.min_length == 8);
  CHECK(rules.max_length >= 64);

  const auto settings = parse_config(R"(
[password_policy]
enabled = false
unicode = "bytes"
verify_unnormalized = false
min_length = 12
max_length = 128
min_strength = 3
breach_index = "/var/lib/pwsvc/breached.idx"
breach_min_count = 10
context_words = ["Acme", "acme.example"]
)");
  REQUIRE(settings);
  const PasswordRules& read = settings->policy.password;
  CHECK_FALSE(read.enabled);
  CHECK(read.unicode == UnicodeMode::bytes);
  CHECK_FALSE(read.verify_unnormalized);
  CHECK(read.min_length == 12);
  CHECK(read.max_length == 128);
  CHECK(read.min_strength == 3);
  CHECK(read.breach_index == "/var/lib/pwsvc/breached.idx");
  CHECK(read.breach_min_count == 10);
  CHECK(read.context_words == std::vector<std::string>{"Acme", "acme.example"});
}

TEST_CASE("config: bad password_policy values are errors", "[config][password]") {
  const auto settings = parse_config(R"(
[password_policy]
unicode = "nfc"
max_length = 32
min_strength = 5
context_words = ["ok", 3, ""]
breach_index = ""
minimum = 8
)");
  REQUIRE_FALSE(settings);
  std::vector<std::string> keys;
  std::string messages;
  for (const auto& issue : settings.error()) {
    keys.push_back(issue.key);
    messages += issue.message + "\n";
  }
  CHECK(keys == std::vector<std::string>{
                    "password_policy.unicode", "password_policy.max_length",
                    "password_policy.min_strength", "password_policy.context_words",
                    "password_policy.context_words", "password_policy.context_words",
                    "password_policy.breach_index", "password_policy.minimum"});
  CHECK_THAT(messages, Catch::Contains("(not \"nfc\")"));
  CHECK_THAT(messages, Catch::Contains("\"ok\" is too short"));

  const auto crossed = parse_config("[password_policy]\nmin_length = 100\nmax_length = 64\n");
  REQUIRE_FALSE(crossed);
  CHECK(crossed.error().front().key == "password_policy.min_length");
}

TEST_CASE("config: a missing breach index fails when the engine is made", "[config][password]") {
  auto settings = parse_config("[password_policy]\nbreach_index = \"/nonexistent/breach.idx\"\n");
  REQUIRE(settings);
  const auto engine = make_engine(*settings);
  REQUIRE_FALSE(engine);
  CHECK_THAT(engine.error().message, Catch::Contains("password_policy.breach_index"));
}

// Every row of the third-party vector files, checked through the Engine.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "encoding.hpp"
#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

std::vector<boost::json::object> read_rows(const std::string& name) {
  std::ifstream file(std::string(PWSVC_VECTORS_DIR) + "/" + name);
  REQUIRE(file);
  std::vector<boost::json::object> rows;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty()) {
      rows.push_back(boost::json::parse(line).as_object());
    }
  }
  return rows;
}

std::string text(const boost::json::object& row, const char* key) {
  return std::string(row.at(key).as_string());
}

std::vector<unsigned char> password_of(const boost::json::object& row) {
  auto bytes = decode_base64(text(row, "password_b64"), Base64::padded);
  if (!bytes) {
    bytes = decode_base64(text(row, "password_b64"), Base64::unpadded);
  }
  REQUIRE(bytes);
  return *bytes;
}

}  // namespace

TEST_CASE("interop vectors: every row verifies byte for byte in bytes mode",
          "[vectors][interop]") {
  Policy policy;
  policy.password.unicode = UnicodeMode::bytes;
  const Engine engine(policy, Limits{});
  const auto rows = read_rows("interop.jsonl");
  REQUIRE(rows.size() >= 300);

  for (const auto& row : rows) {
    INFO(text(row, "id") << " " << text(row, "scheme") << ": " << text(row, "note"));
    const auto password = password_of(row);
    const auto result = engine.verify(password, text(row, "hash"));
    INFO("error: " << (result ? std::string("none") : result.error().message));
    REQUIRE(result);
    CHECK(result->match == row.at("expect_verify").as_bool());
  }
}

// The vectors mark the candidates that only a normalizing verifier accepts:
// the other normal form of the text the hash was made from. Under NFKC those
// whose form NFKC changes match; a match found only through the bytes as
// sent must ask for a rehash.
TEST_CASE("interop vectors: NFKC mode accepts exactly the normalizing cases",
          "[vectors][interop]") {
  const Engine engine;
  const PasswordChecker checker(PasswordRules{}, nullptr);
  int normalizing_matches = 0;

  for (const auto& row : read_rows("interop.jsonl")) {
    INFO(text(row, "id") << " " << text(row, "scheme") << ": " << text(row, "note"));
    const auto password = password_of(row);
    const SecretBytes prepared = checker.prepare(password);
    const bool changed = !std::equal(password.begin(), password.end(), prepared.data(),
                                     prepared.data() + prepared.size());
    const bool normalizing =
        text(row, "note").find("only a normalizing service would accept") != std::string::npos;
    const bool expected = row.at("expect_verify").as_bool() || (normalizing && changed);

    const auto result = engine.verify(password, text(row, "hash"));
    REQUIRE(result);
    CHECK(result->match == expected);
    if (result->match && changed && !normalizing) {
      CHECK(result->needs_rehash);
    }
    normalizing_matches += normalizing && changed && result->match ? 1 : 0;
  }
  CHECK(normalizing_matches >= 10);
}

TEST_CASE("interop vectors: every hash is identified", "[vectors][interop]") {
  const Engine engine;
  for (const auto& row : read_rows("interop.jsonl")) {
    INFO(text(row, "id") << " " << text(row, "hash"));
    const Identification found = engine.identify(text(row, "hash"));
    REQUIRE(found.parsed);
    CHECK(found.verdict != Verdict::invalid);
    CHECK(found.verdict != Verdict::unknown);
    CHECK(found.verdict != Verdict::over_limit);
  }
}

TEST_CASE("hostile vectors: every row is rejected with a reason", "[vectors][hostile]") {
  const Engine engine;
  const auto rows = read_rows("hostile.jsonl");
  REQUIRE(rows.size() >= 57);

  for (const auto& row : rows) {
    INFO(text(row, "id") << ": " << text(row, "reason"));
    const auto password = password_of(row);
    const auto result = engine.verify(password, text(row, "hash"));
    INFO("unexpected result: match=" << (result ? result->match : false));
    REQUIRE_FALSE(result);
    CHECK_FALSE(result.error().message.empty());
    CHECK(result.error().code != ErrorCode::internal);

    const Identification found = engine.identify(text(row, "hash"));
    CHECK(found.verdict != Verdict::ok);
    CHECK(found.verdict != Verdict::weak);
    CHECK(found.verdict != Verdict::legacy);
  }
}

// Tests of the daemon's JSON request body decoders, including inputs that
// the fuzz targets found.
#include <string>

#include <catch2/catch.hpp>

#include "json_body.hpp"

using namespace pwsvc;
using namespace pwsvc::daemon;

TEST_CASE("json body: hash body with options", "[daemon][json]") {
  const auto body = parse_hash_body(
      R"({"password": "pw", "algorithm": "bcrypt", "params": {"cost": 4}})");
  REQUIRE(body);
  CHECK(body->password.size() == 2);
  CHECK(body->request.algorithm == Algorithm::bcrypt);
  CHECK(body->request.params.at("cost") == 4);
}

TEST_CASE("json body: empty password_b64 is the empty password", "[daemon][json]") {
  // Found by the json_body fuzz target: the empty buffer was passed to
  // libsodium as a null pointer, which UBSan reports as undefined behaviour.
  const auto body = parse_verify_body(R"({"password_b64": "", "hash": "$1$ab$cd"})");
  REQUIRE(body);
  CHECK(body->password.empty());
  CHECK(body->hash == "$1$ab$cd");
}

TEST_CASE("json body: failed parse frees keys it allocated", "[daemon][json]") {
  // Found by the json_body fuzz target: Boost.JSON frees the key of a value
  // whose string fails to parse with another alignment than it allocated it
  // with, which ASan reports as a new-delete type mismatch.
  for (const std::string text : {R"({"password": "\u0000\ud800"})",
                                 R"({"password_b64": "AA==", "hash": "x\ud800"})",
                                 R"({"a": {"b": "\udc00"}})"}) {
    INFO("body: " << text);
    const auto body = parse_verify_body(text);
    REQUIRE_FALSE(body);
    CHECK(body.error().code == ErrorCode::invalid_argument);
  }
}

TEST_CASE("json body: errors do not repeat the password", "[daemon][json]") {
  const auto body = parse_verify_body(R"({"password": "Sentinel#Secret", "hash": 5})");
  REQUIRE_FALSE(body);
  CHECK(body.error().message.find("Sentinel#Secret") == std::string::npos);
}

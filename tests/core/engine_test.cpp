// Tests of the Engine: policy, rehash decisions, limits and screening.
#include <catch2/catch.hpp>

#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

// A cheap policy so that full hash and verify round trips stay fast.
Policy cheap_policy() {
  Policy policy;
  policy.params[Algorithm::argon2id] = {{"m", 64}, {"t", 1}, {"p", 1}};
  policy.params[Algorithm::bcrypt] = {{"cost", 4}};
  policy.params[Algorithm::scrypt] = {{"ln", 4}, {"r", 8}, {"p", 1}};
  policy.params[Algorithm::pbkdf2_sha256] = {{"rounds", 1000}};
  policy.params[Algorithm::pbkdf2_sha512] = {{"rounds", 1000}};
  return policy;
}

const ByteView k_password = as_bytes("correct horse battery staple");

}  // namespace

TEST_CASE("engine: default policy hashes argon2id at the OWASP minimum", "[core][engine]") {
  const Engine engine;
  const auto hashed = engine.hash(k_password);
  REQUIRE(hashed);
  CHECK(hashed->starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

  const auto result = engine.verify(k_password, *hashed);
  REQUIRE(result);
  CHECK(result->match);
  CHECK_FALSE(result->needs_rehash);
}

TEST_CASE("engine: every creatable algorithm round-trips", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  for (auto algorithm : {Algorithm::argon2id, Algorithm::argon2i, Algorithm::scrypt,
                         Algorithm::bcrypt, Algorithm::pbkdf2_sha256, Algorithm::pbkdf2_sha512}) {
    INFO(algorithm_name(algorithm));
    HashRequest request;
    request.algorithm = algorithm;
    if (algorithm == Algorithm::argon2i) {
      request.params = {{"m", 64}, {"t", 3}};
    }
    const auto hashed = engine.hash(k_password, request);
    REQUIRE(hashed);

    const auto right = engine.verify(k_password, *hashed);
    REQUIRE(right);
    CHECK(right->match);
    CHECK(right->algorithm == algorithm);

    const auto wrong = engine.verify(as_bytes("correct horse battery stapler"), *hashed);
    REQUIRE(wrong);
    CHECK_FALSE(wrong->match);
    CHECK_FALSE(wrong->needs_rehash);
  }
}

TEST_CASE("engine: two hashes of one password differ by salt", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  const auto first = engine.hash(k_password);
  const auto second = engine.hash(k_password);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);
}

TEST_CASE("engine: hash rejects unknown and out-of-range parameters", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  HashRequest request;
  request.params = {{"x", 1}};
  auto hashed = engine.hash(k_password, request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(hashed.error().message, Catch::Contains("'x'"));

  request.params = {{"m", 4}};
  hashed = engine.hash(k_password, request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);

  request.params = {{"m", 1048576}};
  hashed = engine.hash(k_password, request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::limit_exceeded);
  CHECK_THAT(hashed.error().message, Catch::Contains("argon2_max_memory_kib"));
}

TEST_CASE("engine: hash rejects algorithms it only verifies", "[core][engine]") {
  const Engine engine;
  HashRequest request;
  request.algorithm = Algorithm::md5_crypt;
  const auto hashed = engine.hash(k_password, request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("engine: bcrypt hash rejects long and NUL passwords", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  HashRequest request;
  request.algorithm = Algorithm::bcrypt;

  const std::string long_password(73, 'a');
  auto hashed = engine.hash(as_bytes(long_password), request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(hashed.error().message, Catch::Contains("72"));

  const std::string with_nul("abc\0def", 7);
  hashed = engine.hash(as_bytes(with_nul), request);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);

  CHECK(engine.hash(as_bytes(std::string(72, 'a')), request));
}

TEST_CASE("engine: verify flags weaker parameters for rehash", "[core][engine]") {
  Policy policy = cheap_policy();
  const Engine weak_engine(policy, Limits{});
  const auto hashed = weak_engine.hash(k_password);
  REQUIRE(hashed);

  policy.params[Algorithm::argon2id] = {{"m", 128}, {"t", 1}, {"p", 1}};
  const Engine engine(policy, Limits{});
  const auto result = engine.verify(k_password, *hashed);
  REQUIRE(result);
  CHECK(result->match);
  CHECK(result->needs_rehash);
  CHECK_THAT(result->rehash_reasons.at(0), Catch::Contains("m=64"));

  const Identification found = engine.identify(*hashed);
  CHECK(found.verdict == Verdict::weak);
}

TEST_CASE("engine: stronger hashes follow rehash_stronger", "[core][engine]") {
  Policy policy = cheap_policy();
  policy.params[Algorithm::argon2id] = {{"m", 128}, {"t", 1}, {"p", 1}};
  const auto hashed = Engine(policy, Limits{}).hash(k_password);
  REQUIRE(hashed);

  policy = cheap_policy();
  const auto kept = Engine(policy, Limits{}).verify(k_password, *hashed);
  REQUIRE(kept);
  CHECK_FALSE(kept->needs_rehash);

  policy.rehash_stronger = RehashStronger::yes;
  const auto rehashed = Engine(policy, Limits{}).verify(k_password, *hashed);
  REQUIRE(rehashed);
  CHECK(rehashed->needs_rehash);
}

TEST_CASE("engine: another algorithm than the policy's needs rehash", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  HashRequest request;
  request.algorithm = Algorithm::bcrypt;
  const auto hashed = engine.hash(k_password, request);
  REQUIRE(hashed);

  const auto result = engine.verify(k_password, *hashed);
  REQUIRE(result);
  CHECK(result->needs_rehash);
  CHECK_THAT(result->rehash_reasons.at(0), Catch::Contains("bcrypt"));

  const auto wrong = engine.verify(as_bytes("nope"), *hashed);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->needs_rehash);
}

TEST_CASE("engine: bcrypt match past 72 bytes needs rehash", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  HashRequest request;
  request.algorithm = Algorithm::bcrypt;
  const std::string prefix(72, 'p');
  const auto hashed = engine.hash(as_bytes(prefix), request);
  REQUIRE(hashed);

  const auto result = engine.verify(as_bytes(prefix + "tail"), *hashed);
  REQUIRE(result);
  CHECK(result->match);
  CHECK(result->needs_rehash);
  CHECK_THAT(result->rehash_reasons.back(), Catch::Contains("72 bytes"));
}

TEST_CASE("engine: limits reject stored hashes before any work", "[core][engine]") {
  Limits limits;
  limits.argon2_max_memory_kib = 32;
  const Engine engine(cheap_policy(), limits);
  const auto result = engine.verify(
      k_password, "$argon2id$v=19$m=64,t=2,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::limit_exceeded);
  CHECK_THAT(result.error().message, Catch::Contains("argon2_max_memory_kib"));
  CHECK(engine.identify("$argon2id$v=19$m=64,t=2,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA")
            .verdict == Verdict::over_limit);
}

TEST_CASE("engine: password longer than the limit is rejected", "[core][engine]") {
  Limits limits;
  limits.max_password_bytes = 8;
  const Engine engine(cheap_policy(), limits);
  const auto hashed = engine.hash(as_bytes("123456789"));
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(hashed.error().message, Catch::Contains("max_password_bytes"));
}

TEST_CASE("engine: placeholders are locked, never plaintext", "[core][engine]") {
  const Engine engine;
  for (const char* stored : {"*", "!", "!!", "*LK*", "!$6$abc$def"}) {
    INFO(stored);
    CHECK(engine.identify(stored).verdict == Verdict::locked);
    const auto result = engine.verify(as_bytes(stored), stored);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::malformed_hash);
  }

  const auto plaintext = engine.verify(k_password, "correct horse battery staple");
  REQUIRE_FALSE(plaintext);
  CHECK(engine.identify("password").verdict == Verdict::unknown);
}

TEST_CASE("engine: trailing newline in a stored hash is rejected", "[core][engine]") {
  const Engine engine(cheap_policy(), Limits{});
  const auto hashed = engine.hash(k_password);
  REQUIRE(hashed);
  const auto result = engine.verify(k_password, *hashed + "\n");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::malformed_hash);
  CHECK_THAT(result.error().message, Catch::Contains("line endings"));
}

TEST_CASE("engine: Spring prefixes and $2x$ are unsupported", "[core][engine]") {
  const Engine engine;
  for (const char* stored : {"{bcrypt}$2b$04$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4y",
                             "{noop}password",
                             "$2x$05$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4y"}) {
    INFO(stored);
    const auto result = engine.verify(k_password, stored);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::unsupported);
    CHECK(engine.identify(stored).verdict == Verdict::unknown);
  }
}

TEST_CASE("engine: deprecated algorithms are legacy", "[core][engine]") {
  const Engine engine;
  const Identification found = engine.identify("$1$Ljogq/gB$XT.zgp5a0XiQEhIzH1oS.1");
  CHECK(found.verdict == Verdict::legacy);
  CHECK(found.needs_rehash);
}

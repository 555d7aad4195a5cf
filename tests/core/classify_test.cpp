// Engine::classify must agree with Engine::identify on every stored hash.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

std::vector<std::string> hashes_of(const std::string& name) {
  std::ifstream file(std::string(PWSVC_VECTORS_DIR) + "/" + name);
  REQUIRE(file);
  std::vector<std::string> hashes;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty()) {
      hashes.emplace_back(boost::json::parse(line).as_object().at("hash").as_string());
    }
  }
  return hashes;
}

// Placeholders, blanks and garbage as they appear in shadow files and dumps.
std::vector<std::string> odd_values() {
  return {"",         "!",       "*",        "!!",        "!$6$rounds=5000$salt$x",
          "*LK*",     " ",       "\t",       "$6$abc$def ", "garbage",
          "$",        "$$",      "{SSHA}",   "{MD5}abc",  "$2x$10$abcdefghijklmnopqrstuv",
          "pbkdf2:",  "argon2$", "\xff\xfe", std::string(2000, 'a')};
}

// Engines whose policies and limits give every verdict on the vectors.
std::vector<Engine> engines() {
  std::vector<Engine> result;
  result.emplace_back();

  Policy strict;
  strict.rehash_stronger = RehashStronger::yes;
  strict.params[Algorithm::bcrypt]["cost"] = 11;
  strict.params[Algorithm::argon2id]["m"] = 8192;
  strict.deprecated.insert(Algorithm::sha256_crypt);
  Limits tight;
  tight.argon2_max_memory_kib = 16384;
  tight.bcrypt_max_cost = 10;
  tight.max_hash_length = 100;
  result.emplace_back(strict, tight);

  Policy bcrypt_first;
  bcrypt_first.algorithm = Algorithm::bcrypt;
  bcrypt_first.deprecated.clear();
  result.emplace_back(bcrypt_first, Limits{});
  return result;
}

void check_agreement(const Engine& engine, const std::string& stored) {
  INFO("stored hash: " << stored);
  const Identification identified = engine.identify(stored);
  const Classification classified = engine.classify(stored);

  CHECK(classified.verdict == identified.verdict);
  CHECK(classified.needs_rehash == identified.needs_rehash);
  REQUIRE(classified.algorithm.has_value() == identified.parsed.has_value());
  if (identified.parsed) {
    CHECK(*classified.algorithm == identified.parsed->algorithm);
    CHECK(*classified.format == identified.parsed->format);
    CHECK(classified.params == identified.parsed->params);
    CHECK(classified.family.empty());
  } else {
    CHECK(classified.family == identified.family);
    CHECK(classified.params.empty());
  }
}

}  // namespace

TEST_CASE("classify: agrees with identify on interop vectors", "[core][classify]") {
  const auto hashes = hashes_of("interop.jsonl");
  REQUIRE(hashes.size() >= 300);
  for (const Engine& engine : engines()) {
    for (const auto& stored : hashes) {
      check_agreement(engine, stored);
    }
  }
}

TEST_CASE("classify: agrees with identify on hostile vectors", "[core][classify]") {
  const auto hashes = hashes_of("hostile.jsonl");
  REQUIRE(hashes.size() >= 57);
  for (const Engine& engine : engines()) {
    for (const auto& stored : hashes) {
      check_agreement(engine, stored);
    }
  }
}

TEST_CASE("classify: agrees with identify on placeholders and garbage", "[core][classify]") {
  for (const Engine& engine : engines()) {
    for (const auto& stored : odd_values()) {
      check_agreement(engine, stored);
    }
  }
}

TEST_CASE("classify: agrees on a keyid without keyring", "[core][classify]") {
  // Found by the identify fuzzer: classify dropped the scheme that identify kept.
  for (const Engine& engine : engines()) {
    check_agreement(engine, "$argon2id$v=19$m=31,t=2,p=1,keyid=a1VvZQ$MehZM/PVvZQ$on2MehY");
  }
}

TEST_CASE("classify: the test engines give every verdict", "[core][classify]") {
  // Guards the agreement tests above against policies that exercise too little.
  std::set<Verdict> seen;
  auto hashes = hashes_of("interop.jsonl");
  for (const auto& stored : hashes_of("hostile.jsonl")) {
    hashes.push_back(stored);
  }
  for (const auto& stored : odd_values()) {
    hashes.push_back(stored);
  }
  for (const Engine& engine : engines()) {
    for (const auto& stored : hashes) {
      seen.insert(engine.classify(stored).verdict);
    }
  }
  for (Verdict verdict : {Verdict::ok, Verdict::weak, Verdict::legacy, Verdict::over_limit,
                          Verdict::locked, Verdict::invalid, Verdict::unknown}) {
    INFO("verdict: " << verdict_name(verdict));
    CHECK(seen.contains(verdict));
  }
}

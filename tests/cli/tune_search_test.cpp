// Tests of the pwsvc tune search against a latency model instead of real hashing.
#include <catch2/catch.hpp>

#include <functional>

#include "tune_search.hpp"

using pwsvc::Algorithm;
using pwsvc::ParamMap;
using pwsvc::cli::Measurer;
using pwsvc::cli::TuneGoal;
using pwsvc::cli::TuneOutcome;
using pwsvc::cli::search_params;

namespace {

// Returns latencies from a model of the parameters and records every call.
class FakeMeasurer final : public Measurer {
 public:
  explicit FakeMeasurer(std::function<double(const ParamMap&)> model) : model_(std::move(model)) {}

  pwsvc::Result<double> median_ms(const ParamMap& params, int samples) override {
    calls.push_back(params);
    const double ms = model_(params);
    simulated_ms += ms * samples;
    return ms;
  }

  std::vector<ParamMap> calls;
  double simulated_ms = 0;  // the wall time real hashing would have taken

 private:
  std::function<double(const ParamMap&)> model_;
};

// Argon2 time grows with m * t: 1 ms per 10 MiB-pass plus 0.5 ms overhead.
double argon2_model(const ParamMap& params) {
  return 0.5 + static_cast<double>(params.at("m") * params.at("t")) / 10240.0;
}

// PBKDF2: 0.25 ms per 1000 rounds.
double pbkdf2_model(const ParamMap& params) {
  return static_cast<double>(params.at("rounds")) / 4000.0;
}

// bcrypt: 60 ms at cost 10, doubling with each step.
double bcrypt_model(const ParamMap& params) {
  return 60.0 * std::pow(2.0, static_cast<double>(params.at("cost")) - 10);
}

TuneGoal goal_for(Algorithm algorithm, double target_ms) {
  TuneGoal goal;
  goal.algorithm = algorithm;
  goal.target_ms = target_ms;
  return goal;
}

}  // namespace

TEST_CASE("tune search: PBKDF2 finds the largest rounds within 10%", "[cli][tune]") {
  FakeMeasurer measurer(pbkdf2_model);
  auto result = search_params(goal_for(Algorithm::pbkdf2_sha256, 500), measurer);
  REQUIRE(result);

  // The model reaches 550 ms, the bound, at 2,200,000 rounds.
  const auto rounds = result->params.at("rounds");
  CHECK(result->outcome == TuneOutcome::within_target);
  CHECK(rounds <= 2200000);
  CHECK(static_cast<double>(rounds) >= 2200000 * 0.98);
  CHECK(rounds % 1000 == 0);
  CHECK(pbkdf2_model(result->params) <= 550);
}

TEST_CASE("tune search: Argon2 raises memory before passes", "[cli][tune]") {
  SECTION("target reachable with memory alone") {
    FakeMeasurer measurer(argon2_model);
    auto result = search_params(goal_for(Algorithm::argon2id, 20), measurer);
    REQUIRE(result);
    CHECK(result->params.at("t") == 2);
    CHECK(result->params.at("m") > 19456);
    CHECK(argon2_model(result->params) <= 22);
    CHECK(argon2_model(result->params) >= 22 * 0.96);
    for (const auto& call : measurer.calls) {
      CHECK(call.at("t") == 2);
    }
  }
  SECTION("memory capped, passes added") {
    FakeMeasurer measurer(argon2_model);
    TuneGoal goal = goal_for(Algorithm::argon2id, 100);
    goal.max_memory_kib = 65536;
    auto result = search_params(goal, measurer);
    REQUIRE(result);
    CHECK(result->params.at("m") == 65536);
    // 65536 KiB * t / 10240 + 0.5 <= 110 allows t = 17, above the limit of 16.
    CHECK(result->params.at("t") == 16);
    CHECK(result->outcome == TuneOutcome::capped);
    CHECK(result->cap == "limits.argon2_max_time_cost");

    // Every probe with t above the floor already has m at the cap.
    bool raising_passes = false;
    for (const auto& call : measurer.calls) {
      if (call.at("t") > 2) {
        raising_passes = true;
      }
      if (raising_passes) {
        CHECK(call.at("m") == 65536);
      }
    }
    CHECK(raising_passes);
  }
}

TEST_CASE("tune search: memory cap is never exceeded", "[cli][tune]") {
  FakeMeasurer measurer(argon2_model);
  TuneGoal goal = goal_for(Algorithm::argon2id, 40);
  goal.max_memory_kib = 40000;
  auto result = search_params(goal, measurer);
  REQUIRE(result);
  for (const auto& call : measurer.calls) {
    CHECK(call.at("m") <= 40000);
  }
  CHECK(result->params.at("m") == 40000);
  CHECK(result->params.at("t") > 2);
  CHECK(argon2_model(result->params) <= 44);
}

TEST_CASE("tune search: floor above memory cap fails", "[cli][tune]") {
  FakeMeasurer measurer(argon2_model);
  TuneGoal goal = goal_for(Algorithm::argon2id, 40);
  goal.max_memory_kib = 16384;
  auto result = search_params(goal, measurer);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == pwsvc::ErrorCode::invalid_argument);
  CHECK_THAT(result.error().message, Catch::Contains("--max-memory"));
  CHECK(measurer.calls.empty());
}

TEST_CASE("tune search: scrypt respects the memory cap", "[cli][tune]") {
  // 20 ms at ln=17, doubling per step: only the cap stops it.
  FakeMeasurer measurer([](const ParamMap& params) {
    return 20.0 * std::pow(2.0, static_cast<double>(params.at("ln")) - 17);
  });
  auto result = search_params(goal_for(Algorithm::scrypt, 1000), measurer);
  REQUIRE(result);
  // The default limit of 256 MiB admits ln=17 (128 MiB) but not ln=18.
  CHECK(result->params.at("ln") == 17);
  CHECK(result->outcome == TuneOutcome::capped);
  CHECK(result->cap == "limits.scrypt_max_memory_kib");
}

TEST_CASE("tune search: floor kept when target too low", "[cli][tune]") {
  FakeMeasurer measurer(bcrypt_model);
  auto result = search_params(goal_for(Algorithm::bcrypt, 20), measurer);
  REQUIRE(result);
  CHECK(result->outcome == TuneOutcome::floor_above_target);
  CHECK(result->params.at("cost") == 10);
  CHECK(result->median_ms == Approx(60));
  // One probe at the floor and the re-measurement, nothing below the floor.
  CHECK(measurer.calls.size() == 2);
  for (const auto& call : measurer.calls) {
    CHECK(call.at("cost") >= 10);
  }
}

TEST_CASE("tune search: bcrypt stops before a doubling", "[cli][tune]") {
  FakeMeasurer measurer(bcrypt_model);
  auto result = search_params(goal_for(Algorithm::bcrypt, 250), measurer);
  REQUIRE(result);
  // Cost 12 takes 240 ms; cost 13 would take 480 ms, above 275.
  CHECK(result->params.at("cost") == 12);
  CHECK(result->outcome == TuneOutcome::within_target);
  for (const auto& call : measurer.calls) {
    CHECK(call.at("cost") <= 12);
  }
}

TEST_CASE("tune search: few probes and bounded time", "[cli][tune]") {
  const std::vector<std::pair<Algorithm, double>> cases = {
      {Algorithm::argon2id, 50},      {Algorithm::argon2id, 250},
      {Algorithm::argon2id, 1000},    {Algorithm::pbkdf2_sha256, 200},
      {Algorithm::pbkdf2_sha512, 1000}, {Algorithm::bcrypt, 1000},
  };
  for (const auto& [algorithm, target_ms] : cases) {
    FakeMeasurer measurer(algorithm == Algorithm::bcrypt ? bcrypt_model
                          : algorithm == Algorithm::argon2id ? argon2_model
                                                             : pbkdf2_model);
    auto result = search_params(goal_for(algorithm, target_ms), measurer);
    INFO(pwsvc::algorithm_name(algorithm) << " at " << target_ms << " ms");
    REQUIRE(result);
    CHECK(measurer.calls.size() <= 10);
    CHECK(measurer.simulated_ms <= 30 * target_ms);
  }
}

TEST_CASE("tune search: unsupported algorithm rejected", "[cli][tune]") {
  FakeMeasurer measurer(pbkdf2_model);
  CHECK_FALSE(search_params(goal_for(Algorithm::md5_crypt, 100), measurer));
  CHECK_FALSE(search_params(goal_for(Algorithm::pbkdf2_sha256, 0), measurer));
  CHECK(measurer.calls.empty());
}

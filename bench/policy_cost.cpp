// Measures what the password policy adds to a hash request, for
// bench/password_policy_bench.sh.
//
//   policy_cost [INDEX]   times the rules on four kinds of password, with the
//                         breach index at INDEX when given, then the default
//                         policy's hash with and without the rules, alternated
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "pwsvc/engine.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  std::string name;
  std::string password;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<Sample> samples() {
  std::string long_text;
  while (long_text.size() < 256) {
    long_text += "violet tractor harbour ";
  }
  long_text.resize(256);
  return {
      {"ascii_12", "Zq8-wLm4!pR2"},
      {"passphrase_40", "correct horse battery staple orbit plum"},
      {"ascii_256", long_text},
      // NFD text, so normalization has work to do.
      {"nfd_24", "Cre\xCC\x80me bru\xCC\x82le\xCC\x81" "e at noon 7"},
  };
}

void time_rules(const pwsvc::Engine& engine) {
  constexpr int k_runs = 2000;
  for (const Sample& sample : samples()) {
    std::vector<double> runs;
    for (int i = 0; i < k_runs; ++i) {
      const auto start = Clock::now();
      auto report = engine.check_password(pwsvc::as_bytes(sample.password), {"alice"});
      runs.push_back(seconds_since(start));
      if (!report) {
        std::cerr << "policy_cost: error: " << report.error().message << "\n";
        return;
      }
    }
    std::cout << "rules_us " << sample.name << " " << median(runs) * 1e6 << "\n";
  }
}

// Alternates hashes with and without the rules, so both see the same machine.
void time_hash(const pwsvc::Engine& engine) {
  constexpr int k_pairs = 40;
  const std::string password = "correct horse battery staple orbit plum";
  pwsvc::HashRequest with_rules;
  with_rules.new_password = true;
  with_rules.context = {"alice"};
  std::vector<double> plain;
  std::vector<double> checked;
  for (int i = 0; i < k_pairs; ++i) {
    auto start = Clock::now();
    const bool made_plain = engine.hash(pwsvc::as_bytes(password)).has_value();
    plain.push_back(seconds_since(start));
    start = Clock::now();
    const bool made_checked = engine.hash(pwsvc::as_bytes(password), with_rules).has_value();
    checked.push_back(seconds_since(start));
    if (!made_plain || !made_checked) {
      std::cerr << "policy_cost: error: a hash failed\n";
      return;
    }
  }
  const double base = median(plain);
  const double with = median(checked);
  std::cout << "hash_ms without_rules " << base * 1e3 << "\n";
  std::cout << "hash_ms with_rules " << with * 1e3 << "\n";
  std::cout << "hash_added_percent " << (with - base) / base * 100 << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::shared_ptr<const pwsvc::BreachIndex> breach;
  if (argc > 1) {
    auto index = pwsvc::BreachIndex::open(argv[1]);
    if (!index) {
      std::cerr << "policy_cost: error: " << index.error().message << "\n";
      return 1;
    }
    breach = std::make_shared<const pwsvc::BreachIndex>(std::move(*index));
  }
  const pwsvc::Engine engine(pwsvc::Policy{}, pwsvc::Limits{}, nullptr, breach);
  std::cout << "breach_entries " << (breach ? breach->entry_count() : 0) << "\n";
  time_rules(engine);
  time_hash(engine);
  return 0;
}

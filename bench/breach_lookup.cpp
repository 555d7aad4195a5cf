// Generates breach lists and times BreachIndex lookups for bench/breach_index_bench.sh.
//
//   breach_lookup generate N SEED          N HIBP lines on stdout: SHA-1 of "SEED:i"
//   breach_lookup measure INDEX N SEED LOOKUPS
//                                          times LOOKUPS lookups, half of them members
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "pwsvc/breach_index.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Returns the i-th member of a generated list, so no list has to stay in memory.
pwsvc::Sha1Digest member_digest(const std::string& seed, std::uint64_t i) {
  return pwsvc::sha1_digest(pwsvc::as_bytes(seed + ":" + std::to_string(i)));
}

pwsvc::Sha1Digest non_member_digest(const std::string& seed, std::uint64_t i) {
  return pwsvc::sha1_digest(pwsvc::as_bytes(seed + ":absent:" + std::to_string(i)));
}

int generate(std::uint64_t count, const std::string& seed) {
  static const char digits[] = "0123456789ABCDEF";
  char line[64];
  for (std::uint64_t i = 0; i < count; ++i) {
    const pwsvc::Sha1Digest digest = member_digest(seed, i);
    for (std::size_t j = 0; j < digest.size(); ++j) {
      line[2 * j] = digits[digest[j] >> 4];
      line[2 * j + 1] = digits[digest[j] & 0x0f];
    }
    const int length = std::snprintf(line + 40, sizeof line - 40, ":%llu\n",
                                     static_cast<unsigned long long>(i % 1000 + 1));
    std::fwrite(line, 1, 40 + static_cast<std::size_t>(length), stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

std::uint64_t percentile(std::vector<std::uint64_t>& sorted, double fraction) {
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
  return sorted[rank];
}

int measure(const std::string& index_path, std::uint64_t count, const std::string& seed,
            std::uint64_t lookups) {
  auto index = pwsvc::BreachIndex::open(index_path);
  if (!index) {
    std::cerr << "breach_lookup: error: " << index.error().message << "\n";
    return 1;
  }

  // Digests are computed before timing, so only the lookup is measured.
  std::mt19937_64 random(1);
  std::vector<pwsvc::Sha1Digest> queries;
  queries.reserve(lookups);
  for (std::uint64_t i = 0; i < lookups; ++i) {
    queries.push_back(i % 2 == 0 ? member_digest(seed, random() % count) : non_member_digest(seed, i));
  }

  std::vector<std::uint64_t> nanoseconds;
  nanoseconds.reserve(lookups);
  std::uint64_t hits = 0;
  for (const auto& query : queries) {
    const auto start = Clock::now();
    const auto found = index->contains(query);
    const auto stop = Clock::now();
    hits += found ? 1 : 0;
    nanoseconds.push_back(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
  }

  std::sort(nanoseconds.begin(), nanoseconds.end());
  std::cout << "lookups: " << lookups << "\nhits: " << hits
            << "\nmedian_ns: " << percentile(nanoseconds, 0.5)
            << "\np99_ns: " << percentile(nanoseconds, 0.99)
            << "\nmax_ns: " << nanoseconds.back() << "\n";
  return hits == (lookups + 1) / 2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "generate") {
    return generate(std::stoull(args[1]), args[2]);
  }
  if (args.size() == 5 && args[0] == "measure") {
    return measure(args[1], std::stoull(args[2]), args[3], std::stoull(args[4]));
  }
  std::cerr << "usage: breach_lookup generate N SEED\n"
               "       breach_lookup measure INDEX N SEED LOOKUPS\n";
  return 2;
}

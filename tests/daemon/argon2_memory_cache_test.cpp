// Tests of Argon2MemoryCache: tags through reused memory equal libsodium's
// own and libargon2's, the kept region is wiped, and WorkerPool workers use it.
#include <algorithm>
#include <array>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <argon2.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sodium.h>

#include "argon2_memory_cache.hpp"
#include "pwsvc/engine.hpp"
#include "worker_pool.hpp"

using namespace pwsvc::daemon;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t k_mib = 1024 * 1024;
constexpr std::size_t k_cache_bytes = 32 * k_mib;
constexpr std::uint32_t k_over_cap_kib = 40960;
constexpr std::uint32_t k_iterations = 2;

using Tag = std::array<unsigned char, 32>;

// One derivation's inputs; the salt and password vary with `seed`.
struct Derivation {
  std::uint32_t memory_kib;
  int seed;
};

std::string password_of(int seed) {
  return "correct horse battery staple " + std::to_string(seed);
}

std::array<unsigned char, crypto_pwhash_SALTBYTES> salt_of(int seed) {
  std::array<unsigned char, crypto_pwhash_SALTBYTES> salt{};
  salt.fill(static_cast<unsigned char>(seed));
  return salt;
}

// Derives with crypto_pwhash() on the calling thread, through its cache if
// it has one.
Tag derive_here(const Derivation& derivation) {
  const std::string password = password_of(derivation.seed);
  const auto salt = salt_of(derivation.seed);
  Tag tag{};
  const int status = crypto_pwhash(tag.data(), tag.size(), password.data(), password.size(),
                                   salt.data(), k_iterations,
                                   std::size_t{derivation.memory_kib} * 1024,
                                   crypto_pwhash_ALG_ARGON2ID13);
  REQUIRE(status == 0);
  return tag;
}

// Derives on a new thread without a cache: libsodium's own mmap and munmap.
Tag derive_uncached(const Derivation& derivation) {
  Tag tag{};
  std::thread([&] { tag = derive_here(derivation); }).join();
  return tag;
}

// Derives with libargon2, an implementation independent of libsodium's.
Tag derive_reference(const Derivation& derivation) {
  const std::string password = password_of(derivation.seed);
  const auto salt = salt_of(derivation.seed);
  Tag tag{};
  REQUIRE(argon2id_hash_raw(k_iterations, derivation.memory_kib, 1, password.data(),
                            password.size(), salt.data(), salt.size(), tag.data(),
                            tag.size()) == ARGON2_OK);
  return tag;
}

std::uint64_t cache_calls() {
  const auto stats = argon2_memory_cache_stats();
  return stats.reused + stats.mapped;
}

std::vector<boost::json::object> argon2_vector_rows() {
  std::ifstream file(std::string(PWSVC_VECTORS_DIR) + "/interop.jsonl");
  REQUIRE(file);
  std::vector<boost::json::object> rows;
  std::string line;
  while (std::getline(file, line)) {
    auto row = boost::json::parse(line).as_object();
    if (std::string_view(row.at("scheme").as_string()).starts_with("argon2")) {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::vector<unsigned char> decode_password(const boost::json::object& row) {
  const auto& text = row.at("password_b64").as_string();
  if (text.empty()) {
    return {};  // sodium_base642bin() declares its output nonnull
  }
  std::vector<unsigned char> bytes(text.size());
  std::size_t size = 0;
  int status = sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr,
                                 &size, nullptr, sodium_base64_VARIANT_ORIGINAL);
  if (status != 0) {
    status = sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr,
                               &size, nullptr, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  }
  REQUIRE(status == 0);
  bytes.resize(size);
  return bytes;
}

}  // namespace

TEST_CASE("argon2 memory cache: one thread's tags equal libsodium's", "[daemon][argon2]") {
  REQUIRE(sodium_init() >= 0);
  const std::vector<Derivation> derivations = {
      {19456, 1}, {19456, 2}, {8, 3}, {4096, 4}, {4096, 5}, {k_over_cap_kib, 6}, {19456, 7},
  };
  const auto before = argon2_memory_cache_stats();
  std::vector<Tag> cached;
  {
    const Argon2MemoryCache cache(k_cache_bytes);
    for (const auto& derivation : derivations) {
      cached.push_back(derive_here(derivation));
    }
  }
  const auto after = argon2_memory_cache_stats();

  for (std::size_t i = 0; i < derivations.size(); ++i) {
    INFO("m=" << derivations[i].memory_kib << " KiB, seed " << derivations[i].seed);
    CHECK(cached[i] == derive_uncached(derivations[i]));
    CHECK(cached[i] == derive_reference(derivations[i]));
  }
#if PWSVC_ARGON2_MEMORY_CACHE_LINKED
  // Reused: the second 19456 KiB and the second 4096 KiB call. Mapped and
  // kept: the first of each size; the call over the cap is not kept.
  CHECK(after.reused - before.reused == 2);
  CHECK(after.mapped - before.mapped == 4);
#else
  CHECK(after.reused + after.mapped == before.reused + before.mapped);
#endif
}

TEST_CASE("argon2 memory cache: the kept region is wiped", "[daemon][argon2]") {
  REQUIRE(sodium_init() >= 0);
  const Argon2MemoryCache cache(k_cache_bytes);

  derive_here({19456, 8});
  const auto region = cache.idle_region();

#if PWSVC_ARGON2_MEMORY_CACHE_LINKED
  REQUIRE(region.size() == std::size_t{19456} * 1024);
  const auto nonzero = std::count_if(region.begin(), region.end(),
                                     [](std::byte value) { return value != std::byte{0}; });
  CHECK(nonzero == 0);
#else
  CHECK(region.empty());
#endif
}

TEST_CASE("argon2 memory cache: a call over the cap releases the region", "[daemon][argon2]") {
  REQUIRE(sodium_init() >= 0);
  const Argon2MemoryCache cache(k_cache_bytes);

  derive_here({4096, 9});
#if PWSVC_ARGON2_MEMORY_CACHE_LINKED
  CHECK(cache.idle_region().size() == std::size_t{4096} * 1024);
#endif
  derive_here({k_over_cap_kib, 10});

  CHECK(cache.idle_region().empty());
}

TEST_CASE("argon2 memory cache: a thread without a cache keeps nothing", "[daemon][argon2]") {
  REQUIRE(sodium_init() >= 0);
  const auto before = cache_calls();

  derive_here({4096, 11});

  CHECK(cache_calls() == before);
}

TEST_CASE("worker pool: cached workers derive libsodium's tags", "[daemon][pool][argon2]") {
  REQUIRE(sodium_init() >= 0);
  std::vector<Derivation> derivations;
  for (int seed = 0; seed < 12; ++seed) {
    const std::uint32_t sizes[] = {19456, 4096, 19456, 8};
    derivations.push_back({sizes[seed % 4], seed});
  }
  derivations.push_back({k_over_cap_kib, 12});
  // Same-size calls last: each of the 2 workers maps at most once among them.
  for (int seed = 13; seed < 19; ++seed) {
    derivations.push_back({19456, seed});
  }
  const auto before = argon2_memory_cache_stats();

  std::vector<std::future<Tag>> results;
  {
    WorkerPool pool(2, 1024 * k_mib, 64, k_cache_bytes);
    for (const auto& derivation : derivations) {
      auto promise = std::make_shared<std::promise<Tag>>();
      results.push_back(promise->get_future());
      const auto admission =
          pool.submit(std::uint64_t{derivation.memory_kib} * 1024, Clock::now() + 60s,
                      [promise, derivation](bool) { promise->set_value(derive_here(derivation)); });
      REQUIRE(admission == Admission::accepted);
    }
    pool.drain();
  }
  const auto after = argon2_memory_cache_stats();

  for (std::size_t i = 0; i < derivations.size(); ++i) {
    INFO("m=" << derivations[i].memory_kib << " KiB, seed " << derivations[i].seed);
    CHECK(results[i].get() == derive_uncached(derivations[i]));
  }
#if PWSVC_ARGON2_MEMORY_CACHE_LINKED
  // Every call within the cap went through a worker's cache.
  CHECK((after.reused + after.mapped) - (before.reused + before.mapped) ==
        derivations.size() - 1);
  CHECK(after.reused - before.reused >= 4);
#else
  CHECK(after.reused + after.mapped == before.reused + before.mapped);
#endif
}

TEST_CASE("worker pool: cached workers verify Argon2 vectors as uncached ones",
          "[daemon][pool][argon2][vectors]") {
  REQUIRE(sodium_init() >= 0);
  const pwsvc::Engine engine;
  const auto rows = argon2_vector_rows();
  REQUIRE(rows.size() >= 50);
  const auto before = cache_calls();

  std::vector<std::future<bool>> verdicts;
  {
    WorkerPool pool(2, 8192 * k_mib, rows.size(), k_cache_bytes);
    for (const auto& row : rows) {
      auto promise = std::make_shared<std::promise<bool>>();
      verdicts.push_back(promise->get_future());
      const std::string hash(row.at("hash").as_string());
      const auto admission = pool.submit(
          k_mib, Clock::now() + 60s, [promise, &engine, hash, password = decode_password(row)](bool) {
            const auto result = engine.verify(password, hash);
            promise->set_value(result && result->match);
          });
      REQUIRE(admission == Admission::accepted);
    }
    pool.drain();
  }

  // The Engine may normalize passwords, and then some wrong candidates
  // match. So each verdict is compared with the same Engine's verdict on a
  // thread without a cache, and every right password must match either way.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(rows[i].at("id").as_string() << ": " << rows[i].at("note").as_string());
    const bool cached = verdicts[i].get();
    const auto password = decode_password(rows[i]);
    const std::string hash(rows[i].at("hash").as_string());
    bool uncached = false;
    std::thread([&] {
      const auto result = engine.verify(password, hash);
      uncached = result && result->match;
    }).join();
    CHECK(cached == uncached);
    if (rows[i].at("expect_verify").as_bool()) {
      CHECK(cached);
    }
  }
#if PWSVC_ARGON2_MEMORY_CACHE_LINKED
  CHECK(cache_calls() > before);
#else
  CHECK(cache_calls() == before);
#endif
}

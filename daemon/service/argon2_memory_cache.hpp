// Argon2MemoryCache: lets a thread reuse libsodium's Argon2 block memory from one call to the next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pwsvc::daemon {

// Keeps the block memory of the calling thread's last libsodium Argon2
// derivation mapped, so that the next derivation of the same size skips
// mapping, populating and unmapping it. This works only in a binary linked
// with the libsodium copy whose Argon2 core calls the hooks in
// argon2_memory_cache.cpp (see daemon/CMakeLists.txt). With any other
// libsodium it does nothing. The thread keeps at most one region, of at most
// `max_bytes`, and the region is wiped after every call. Destroying the cache
// unmaps the region. Create at most one per thread, and use it on that thread.
class Argon2MemoryCache {
 public:
  explicit Argon2MemoryCache(std::size_t max_bytes);
  Argon2MemoryCache(const Argon2MemoryCache&) = delete;
  Argon2MemoryCache& operator=(const Argon2MemoryCache&) = delete;
  ~Argon2MemoryCache();

  // Returns the region kept between calls, empty when there is none, so
  // that tests can check that it was wiped.
  std::span<const std::byte> idle_region() const;
};

// Counts of block-memory requests from libsodium's Argon2 core on threads
// with a cache, since the process started. Thread-safe.
struct Argon2MemoryCacheStats {
  std::uint64_t reused = 0;  // served from the thread's kept region
  std::uint64_t mapped = 0;  // newly mapped and kept afterwards
};

Argon2MemoryCacheStats argon2_memory_cache_stats();

// The source of a libsodium Argon2 derivation's memory on a thread with a cache.
enum class Argon2MemoryUse {
  none,    // no derivation since the last take_argon2_memory_use()
  reused,  // the thread's kept region
  mapped,  // a new mapping, kept afterwards
  unkept,  // a new mapping above the cap, unmapped afterwards
};

// Returns how the calling thread's last derivation got its memory since the
// previous call on this thread, and starts over at none.
Argon2MemoryUse take_argon2_memory_use();

// Returns "reused", "mapped" or "unkept", and "" for none.
std::string_view argon2_memory_use_name(Argon2MemoryUse use);

// Returns the Argon2 memory each of `workers` threads may keep between
// derivations: at most 64 MiB, and together at most `memory_budget`.
std::size_t argon2_memory_cache_size(std::uint64_t memory_budget, std::size_t workers);

}  // namespace pwsvc::daemon

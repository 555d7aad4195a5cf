// Argon2MemoryCache: per-thread reuse of libsodium's Argon2 block memory.
//
// libsodium 1.0.18 maps each derivation's blocks with mmap(MAP_POPULATE) and
// unmaps them when the call ends. For the default policy (19 MiB) a perf
// profile of bench/kdf_rate put 43% of the thread's time in the kernel.
// Reusing the memory raised one thread's rate from about 60 to about 112
// hashes a second on a 2-core AMD EPYC VM (docs/benchmarks.md, section
// "pwsvcd with reused Argon2 memory"). pwsvcd links a copy of
// libsodium.a whose Argon2 core object alone calls pwsvc_argon2_mmap and
// pwsvc_argon2_munmap below instead of mmap and munmap
// (daemon/redirect_argon2_memory.cmake). Every other mapping in libsodium,
// among them sodium_malloc's guarded pages, still goes to the kernel directly.
#include "argon2_memory_cache.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include <sodium.h>

namespace pwsvc::daemon {
namespace {

// The one region a thread keeps. Argon2 calls on a thread never nest, so
// `lent` is only a guard: a second request while the region is lent gets a
// mapping of its own.
struct ThreadRegion {
  std::size_t max_bytes = 0;  // 0: this thread keeps nothing
  void* base = nullptr;
  std::size_t size = 0;
  bool lent = false;

  void release() {
    if (base != nullptr && !lent) {
      ::munmap(base, size);
      base = nullptr;
      size = 0;
    }
  }

  ~ThreadRegion() { release(); }
};

// 64 MiB covers the common Argon2 policies (19, 46 and 64 MiB) while keeping
// the memory that idle workers hold bounded.
constexpr std::uint64_t k_max_cache_bytes = std::uint64_t{64} << 20;

thread_local ThreadRegion t_region;
thread_local Argon2MemoryUse t_last_use = Argon2MemoryUse::none;
std::atomic<std::uint64_t> g_reused{0};
std::atomic<std::uint64_t> g_mapped{0};

}  // namespace

Argon2MemoryCache::Argon2MemoryCache(std::size_t max_bytes) {
  t_region.max_bytes = max_bytes;
}

Argon2MemoryCache::~Argon2MemoryCache() {
  t_region.max_bytes = 0;
  t_region.release();
}

std::span<const std::byte> Argon2MemoryCache::idle_region() const {
  if (t_region.base == nullptr || t_region.lent) {
    return {};
  }
  return {static_cast<const std::byte*>(t_region.base), t_region.size};
}

Argon2MemoryCacheStats argon2_memory_cache_stats() {
  return {g_reused.load(std::memory_order_relaxed), g_mapped.load(std::memory_order_relaxed)};
}

Argon2MemoryUse take_argon2_memory_use() {
  return std::exchange(t_last_use, Argon2MemoryUse::none);
}

std::string_view argon2_memory_use_name(Argon2MemoryUse use) {
  switch (use) {
    case Argon2MemoryUse::none: return "";
    case Argon2MemoryUse::reused: return "reused";
    case Argon2MemoryUse::mapped: return "mapped";
    case Argon2MemoryUse::unkept: return "unkept";
  }
  return "";
}

std::size_t argon2_memory_cache_size(std::uint64_t memory_budget, std::size_t workers) {
  const std::uint64_t share = memory_budget / std::max<std::size_t>(workers, 1);
  return static_cast<std::size_t>(std::min(k_max_cache_bytes, share));
}

}  // namespace pwsvc::daemon

// Called by libsodium's Argon2 core in place of mmap, with its arguments.
// Lends the thread's region when its size matches. Otherwise the kept region
// is unmapped first, so that a thread never keeps two, and a new mapping
// within the cap is kept after the call.
extern "C" void* pwsvc_argon2_mmap(void* address, std::size_t length, int protection, int flags,
                                   int fd, off_t offset) {
  auto& region = pwsvc::daemon::t_region;
  auto& use = pwsvc::daemon::t_last_use;
  if (region.lent) {
    use = pwsvc::daemon::Argon2MemoryUse::unkept;
    return ::mmap(address, length, protection, flags, fd, offset);
  }
  if (region.base != nullptr && region.size == length) {
    region.lent = true;
    use = pwsvc::daemon::Argon2MemoryUse::reused;
    pwsvc::daemon::g_reused.fetch_add(1, std::memory_order_relaxed);
    return region.base;
  }

  region.release();
  void* base = ::mmap(address, length, protection, flags, fd, offset);
  use = pwsvc::daemon::Argon2MemoryUse::unkept;
  if (base != MAP_FAILED && length <= region.max_bytes) {
    region.base = base;
    region.size = length;
    region.lent = true;
    use = pwsvc::daemon::Argon2MemoryUse::mapped;
    pwsvc::daemon::g_mapped.fetch_add(1, std::memory_order_relaxed);
  }
  return base;
}

// Called by libsodium's Argon2 core in place of munmap. The wipe is needed:
// crypto_pwhash() in libsodium 1.0.18 runs Argon2 with flags 0, so its
// free_instance() skips the ARGON2_FLAG_CLEAR_MEMORY wipe and leaves every
// password-derived block in place, relying on munmap to discard them.
extern "C" int pwsvc_argon2_munmap(void* address, std::size_t length) {
  auto& region = pwsvc::daemon::t_region;
  if (region.lent && address == region.base) {
    sodium_memzero(address, length);
    region.lent = false;
    return 0;
  }
  return ::munmap(address, length);
}

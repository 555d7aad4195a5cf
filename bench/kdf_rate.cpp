// Measures the single-thread rate of Engine::hash under the default policy,
// the baseline that pwsvcd's throughput is compared with.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "pwsvc/engine.hpp"

#ifdef PWSVC_KDF_RATE_REUSE
#include "argon2_memory_cache.hpp"
#endif

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
#ifdef PWSVC_KDF_RATE_REUSE
  // kdf_rate_reuse: the thread keeps its Argon2 memory as a pwsvcd worker does.
  const pwsvc::daemon::Argon2MemoryCache cache(std::size_t{64} << 20);
#endif
  const pwsvc::Engine engine;
  const auto password = pwsvc::as_bytes("correct horse battery staple");

  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  long calls = 0;
  while (std::chrono::steady_clock::now() < stop) {
    if (!engine.hash(password)) {
      std::fprintf(stderr, "kdf_rate: hashing failed\n");
      return 1;
    }
    ++calls;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"calls\": %ld, \"seconds\": %.3f, \"per_second\": %.2f, \"ms_per_call\": %.3f}\n",
              calls, elapsed, static_cast<double>(calls) / elapsed,
              1000 * elapsed / static_cast<double>(calls));
  return 0;
}

// Shared parts of the libFuzzer targets: a policy and limits small enough that
// no input can make one call run a key derivation for more than a few ms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "pwsvc/engine.hpp"

namespace pwsvc::fuzz {

// Limits far below the defaults, which bound every key derivation a fuzz
// input can reach: 64 KiB for Argon2, bcrypt cost 5, 2000 sha-crypt rounds.
inline Limits tiny_limits() {
  Limits limits;
  limits.max_password_bytes = 256;
  limits.max_hash_length = 512;
  limits.argon2_max_memory_kib = 64;
  limits.argon2_max_time_cost = 2;
  limits.argon2_max_parallelism = 2;
  limits.bcrypt_max_cost = 5;
  limits.pbkdf2_max_iterations = 1000;
  limits.scrypt_max_memory_kib = 256;
  limits.scrypt_max_parallelism = 2;
  limits.sha_crypt_max_rounds = 2000;
  return limits;
}

// A policy whose parameters fit tiny_limits(), so hash() succeeds with them.
inline Policy tiny_policy() {
  Policy policy;
  policy.params[Algorithm::argon2id] = {{"m", 8}, {"t", 1}, {"p", 1}};
  policy.params[Algorithm::argon2i] = {{"m", 8}, {"t", 1}, {"p", 1}};
  policy.params[Algorithm::argon2d] = {{"m", 8}, {"t", 1}, {"p", 1}};
  policy.params[Algorithm::scrypt] = {{"ln", 4}, {"r", 1}, {"p", 1}};
  policy.params[Algorithm::bcrypt] = {{"cost", 4}};
  policy.params[Algorithm::pbkdf2_sha1] = {{"rounds", 100}};
  policy.params[Algorithm::pbkdf2_sha256] = {{"rounds", 100}};
  policy.params[Algorithm::pbkdf2_sha512] = {{"rounds", 100}};
  policy.params[Algorithm::sha512_crypt] = {{"rounds", 1000}};
  policy.params[Algorithm::sha256_crypt] = {{"rounds", 1000}};
  return policy;
}

// Returns the fuzz input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Aborts with `what` on stderr unless `condition` holds, so that libFuzzer
// records the input as a crash. Unlike assert, it also runs in release builds.
inline void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

}  // namespace pwsvc::fuzz

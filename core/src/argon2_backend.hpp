// Argon2 key derivation through libsodium or libargon2, for the backend and benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pwsvc/result.hpp"
#include "pwsvc/scheme.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// The library that computes an Argon2 tag. libsodium 1.0.18 has SIMD block
// functions but covers only part of Argon2; libargon2 covers all of it.
enum class Argon2Engine { libsodium, libargon2 };

// Inputs of one Argon2 derivation, without secret key or associated data.
struct Argon2Params {
  Algorithm algorithm = Algorithm::argon2id;  // argon2id, argon2i or argon2d
  std::uint32_t version = 19;                 // 16 (Argon2 1.0) or 19 (1.3)
  std::uint32_t memory_kib = 0;               // m, at least 8 * parallelism
  std::uint32_t iterations = 0;               // t, at least 1
  std::uint32_t parallelism = 1;              // p: lanes, 1 to 0xFFFFFF
  ByteView salt;                              // at least 8 bytes; not owned
  std::size_t tag_size = 32;                  // 4 to 2^32 - 1 bytes
};

// Returns true when libsodium's crypto_pwhash() can compute `params`: p = 1,
// version 19, a 16-byte salt, argon2id, or argon2i with t >= 3, and a tag of
// at least 16 bytes.
bool libsodium_supports(const Argon2Params& params);

// Returns the engine verify() and hash() use for `params`.
Argon2Engine choose_engine(const Argon2Params& params);

// Returns the libargon2 thread count for `parallelism` lanes: one thread per
// lane, at most one per core.
std::uint32_t default_argon2_threads(std::uint32_t parallelism);

// Computes the raw Argon2 tag of `password` with `engine`, where libargon2
// runs default_argon2_threads() threads. Fails with invalid_argument when
// `params` is out of range or `engine` cannot compute them,
// resource_exhausted when memory or threads run out, internal on any other
// library failure. Thread-safe.
Result<SecretBytes> derive_argon2(Argon2Engine engine, const Argon2Params& params,
                                  ByteView password);

// Computes the raw Argon2 tag with libargon2 on `threads` threads, clamped
// to 1 to p, for measurements. Fails as derive_argon2() does.
Result<SecretBytes> derive_argon2_threads(const Argon2Params& params, ByteView password,
                                          std::uint32_t threads);

// Translates a libargon2 return code other than ARGON2_OK into an Error:
// memory allocation and thread failures become resource_exhausted, the rest
// internal.
Error argon2_library_error(int code);

}  // namespace pwsvc

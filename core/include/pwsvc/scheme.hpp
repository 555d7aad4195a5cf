// Algorithms and stored-hash formats that pwsvc recognises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pwsvc/result.hpp"

namespace pwsvc {

enum class Algorithm {
  argon2id,
  argon2i,
  argon2d,
  scrypt,
  yescrypt,
  bcrypt,
  pbkdf2_sha1,
  pbkdf2_sha256,
  pbkdf2_sha512,
  sha512_crypt,
  sha256_crypt,
  md5_crypt,
  apr1,
  ldap_sha1,
  ldap_ssha1,
};

// The dialect a stored hash is written in; one algorithm can appear in several.
enum class Format {
  phc,       // $argon2id$v=19$m=..,t=..,p=..$salt$hash
  crypt,     // crypt(3) strings: $2b$, $y$, $7$, $6$, $5$, $1$
  apr1,      // Apache htpasswd $apr1$
  passlib,   // $pbkdf2-sha256$, $pbkdf2$, $scrypt$
  django,    // pbkdf2_sha256$..., argon2$argon2id$...
  werkzeug,  // pbkdf2:sha256:N$salt$hex
  ldap,      // {SHA}, {SSHA}
};

// Returns the policy and config name of `algorithm`, e.g. "argon2id", "pbkdf2-sha256".
std::string_view algorithm_name(Algorithm algorithm);
// Parses a name as written by algorithm_name.
std::optional<Algorithm> parse_algorithm(std::string_view name);
std::string_view format_name(Format format);

// Returns true for the algorithms that pwsvc can create new hashes with.
bool can_hash(Algorithm algorithm);

// Returns the memory scrypt and yescrypt allocate, 128 * r * (N + p + 2)
// bytes with N = 2^log2_n (the N blocks of V plus libxcrypt's p + 2 blocks
// of B and XY), in KiB rounded up; saturates at UINT64_MAX instead of overflowing.
std::uint64_t scrypt_memory_kib(std::uint32_t log2_n, std::uint64_t r, std::uint64_t p);

// Cost figures of a stored hash in common units, so limits and policy floors
// apply across formats. Fields that do not apply to an algorithm are zero.
struct Cost {
  std::uint64_t memory_kib = 0;   // Argon2 m; scrypt and yescrypt scrypt_memory_kib()
  std::uint64_t iterations = 0;   // Argon2 t; PBKDF2 and sha-crypt rounds
  std::uint32_t parallelism = 0;  // Argon2 p; scrypt p
  std::uint32_t log2_rounds = 0;  // bcrypt cost; scrypt and yescrypt log2(N)
  std::uint32_t block_size = 0;   // scrypt and yescrypt r
};

// A stored hash taken apart, with no password work done. Backends fill the
// fields their format has; `salt` and `digest` are decoded bytes where the
// format is not handed whole to libxcrypt.
struct ParsedHash {
  Algorithm algorithm{};
  Format format{};
  std::string encoded;  // the stored string, exactly as given
  Cost cost;
  std::uint32_t version = 0;  // Argon2 version: 16 or 19
  std::vector<std::pair<std::string, std::string>> params;  // for display, in canonical order
  std::vector<unsigned char> salt;
  std::vector<unsigned char> digest;
  std::size_t salt_size = 0;  // in bytes, also where `salt` stays empty
  std::size_t digest_size = 0;
  std::string key_id;  // the pepper key of an HMAC-keyed Argon2 hash
};

}  // namespace pwsvc

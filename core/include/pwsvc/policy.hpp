// Policy for new hashes and limits on what a stored hash may demand.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "pwsvc/password_rules.hpp"
#include "pwsvc/scheme.hpp"

namespace pwsvc {

// Whether a hash that is stronger than the policy on some dimension needs a
// rehash. PHP and Django rehash on any difference; Spring keeps stronger hashes.
enum class RehashStronger { no, yes };

// Cost parameters by their standard names: m, t, p for Argon2; ln, r, p for
// scrypt; cost for bcrypt; rounds for PBKDF2 and sha-crypt.
using ParamMap = std::map<std::string, std::uint64_t>;

// Policy: the algorithm and parameters of new hashes, which are also the
// floor below which a stored hash of the same algorithm needs a rehash.
// The pepper mode for new hashes when a keyring is configured.
enum class PepperMode {
  encrypt,  // the finished hash is sealed with XChaCha20-Poly1305 under the active key
  hmac,     // Argon2 hashes HMAC-SHA256(active key, password) and names the key in keyid
};

struct Policy {
  Algorithm algorithm = Algorithm::argon2id;
  std::uint32_t salt_bytes = 16;
  RehashStronger rehash_stronger = RehashStronger::no;
  // Parameters per algorithm; also the floor for stored hashes of that algorithm.
  std::map<Algorithm, ParamMap> params = default_params();
  // Algorithms reported as `legacy`: verified, but always rehashed.
  std::set<Algorithm> deprecated = default_deprecated();
  PepperMode pepper_mode = PepperMode::encrypt;
  // Stored hashes without a pepper are reported `unpeppered` and rehashed.
  bool pepper_required = false;
  // Rules for new passwords and how password bytes are read as text.
  PasswordRules password;

  static std::map<Algorithm, ParamMap> default_params();
  static std::set<Algorithm> default_deprecated();
};

// Upper bounds on the work and memory a stored hash or a hash request may ask
// for. They are checked before any key derivation starts.
struct Limits {
  std::size_t max_password_bytes = 4096;
  std::size_t max_hash_length = 1024;
  std::uint64_t argon2_max_memory_kib = 262144;  // 256 MiB
  std::uint64_t argon2_max_time_cost = 16;
  std::uint32_t argon2_max_parallelism = 16;
  std::uint32_t bcrypt_max_cost = 16;
  std::uint64_t pbkdf2_max_iterations = 5000000;
  std::uint64_t scrypt_max_memory_kib = 262144;  // 256 MiB: 128 * r * (N + p + 2) bytes
  std::uint32_t scrypt_max_parallelism = 16;
  std::uint64_t sha_crypt_max_rounds = 2000000;
};

// Checks `parsed` against `limits`; the error names the parameter, its value
// and the limit's config key.
Result<void> check_limits(const ParsedHash& parsed, const Limits& limits);

// Validates a hash request's parameters: known keys, ranges, and `limits`.
// Returns the full parameter set with policy defaults filled in.
Result<ParamMap> resolve_params(Algorithm algorithm, const ParamMap& requested,
                                const Policy& policy, const Limits& limits);

}  // namespace pwsvc

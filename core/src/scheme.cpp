// Names of algorithms, formats, verdicts and error codes.
#include "pwsvc/scheme.hpp"

#include <algorithm>
#include <array>

#include "pwsvc/engine.hpp"

namespace pwsvc {

namespace {

struct AlgorithmName {
  Algorithm algorithm;
  std::string_view name;
};

constexpr std::array k_algorithm_names{
    AlgorithmName{Algorithm::argon2id, "argon2id"},
    AlgorithmName{Algorithm::argon2i, "argon2i"},
    AlgorithmName{Algorithm::argon2d, "argon2d"},
    AlgorithmName{Algorithm::scrypt, "scrypt"},
    AlgorithmName{Algorithm::yescrypt, "yescrypt"},
    AlgorithmName{Algorithm::bcrypt, "bcrypt"},
    AlgorithmName{Algorithm::pbkdf2_sha1, "pbkdf2-sha1"},
    AlgorithmName{Algorithm::pbkdf2_sha256, "pbkdf2-sha256"},
    AlgorithmName{Algorithm::pbkdf2_sha512, "pbkdf2-sha512"},
    AlgorithmName{Algorithm::sha512_crypt, "sha512-crypt"},
    AlgorithmName{Algorithm::sha256_crypt, "sha256-crypt"},
    AlgorithmName{Algorithm::md5_crypt, "md5-crypt"},
    AlgorithmName{Algorithm::apr1, "apr1"},
    AlgorithmName{Algorithm::ldap_sha1, "ldap-sha1"},
    AlgorithmName{Algorithm::ldap_ssha1, "ldap-ssha1"},
};

}  // namespace

std::string_view algorithm_name(Algorithm algorithm) {
  for (const auto& entry : k_algorithm_names) {
    if (entry.algorithm == algorithm) {
      return entry.name;
    }
  }
  return "unknown";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  for (const auto& entry : k_algorithm_names) {
    if (entry.name == name) {
      return entry.algorithm;
    }
  }
  return std::nullopt;
}

std::string_view format_name(Format format) {
  switch (format) {
    case Format::phc: return "phc";
    case Format::crypt: return "crypt";
    case Format::apr1: return "apr1";
    case Format::passlib: return "passlib";
    case Format::django: return "django";
    case Format::werkzeug: return "werkzeug";
    case Format::ldap: return "ldap";
  }
  return "unknown";
}

bool can_hash(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::argon2id:
    case Algorithm::argon2i:
    case Algorithm::scrypt:
    case Algorithm::bcrypt:
    case Algorithm::pbkdf2_sha256:
    case Algorithm::pbkdf2_sha512:
      return true;
    default:
      return false;
  }
}

std::uint64_t scrypt_memory_kib(std::uint32_t log2_n, std::uint64_t r, std::uint64_t p) {
  if (log2_n >= 63) {
    return UINT64_MAX;
  }
  const std::uint64_t blocks_limit = UINT64_MAX / 128;
  const std::uint64_t n = std::uint64_t{1} << log2_n;
  if (p > blocks_limit - n - 2) {
    return UINT64_MAX;
  }
  const std::uint64_t blocks = n + p + 2;
  if (r != 0 && blocks > blocks_limit / r) {
    return UINT64_MAX;
  }
  const std::uint64_t bytes = 128 * r * blocks;
  return bytes / 1024 + (bytes % 1024 != 0 ? 1 : 0);
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok: return "ok";
    case Verdict::weak: return "weak";
    case Verdict::legacy: return "legacy";
    case Verdict::over_limit: return "over-limit";
    case Verdict::locked: return "locked";
    case Verdict::invalid: return "invalid";
    case Verdict::unknown: return "unknown";
    case Verdict::old_key: return "old-key";
    case Verdict::unpeppered: return "unpeppered";
  }
  return "unknown";
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::malformed_hash: return "malformed_hash";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::resource_exhausted: return "resource_exhausted";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::missing_key: return "missing_key";
    case ErrorCode::internal: return "internal";
    case ErrorCode::invalid_utf8: return "invalid_utf8";
    case ErrorCode::too_short: return "too_short";
    case ErrorCode::too_long: return "too_long";
    case ErrorCode::context_word: return "context_word";
    case ErrorCode::breached: return "breached";
    case ErrorCode::weak: return "weak";
  }
  return "internal";
}

bool is_password_rule(ErrorCode code) {
  return std::find(k_password_rules.begin(), k_password_rules.end(), code) !=
         k_password_rules.end();
}

}  // namespace pwsvc

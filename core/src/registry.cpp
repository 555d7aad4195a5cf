// Backend lookup and the pre-parse screening of stored hashes.
#include "registry.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

#include <sodium.h>

namespace pwsvc {

Registry::Registry() {
  // Every backend and the engine's salts need libsodium; it is safe to call twice.
  if (sodium_init() < 0) {
    std::abort();
  }
  backends_.push_back(make_argon2_backend());
  backends_.push_back(make_crypt_backend());
  backends_.push_back(make_apr1_backend());
  backends_.push_back(make_ldap_backend());
  backends_.push_back(make_pbkdf2_backend());
  backends_.push_back(make_scrypt_backend());
}

const Registry& Registry::instance() {
  static const Registry registry;
  return registry;
}

const Backend* Registry::find(std::string_view stored) const {
  for (const auto& backend : backends_) {
    if (backend->recognizes(stored)) {
      return backend.get();
    }
  }
  return nullptr;
}

const Backend* Registry::creator(Algorithm algorithm) const {
  for (const auto& backend : backends_) {
    if (backend->creates(algorithm)) {
      return backend.get();
    }
  }
  return nullptr;
}

namespace {

// Shadow, NIS and Solaris mark accounts that cannot log in with a stored
// value that starts with '!' or '*' (including '!' before a real hash).
bool is_locked_marker(std::string_view stored) {
  return stored.starts_with('!') || stored.starts_with('*');
}

std::optional<std::size_t> first_unprintable(std::string_view stored) {
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto c = static_cast<unsigned char>(stored[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<Rejection> screen_prefix(std::string_view stored) {
  if (stored.starts_with("{") && !stored.starts_with("{SHA}") && !stored.starts_with("{SSHA}")) {
    const std::string id(stored.substr(0, std::min(stored.find('}'), std::size_t{24}) + 1));
    return Rejection{Verdict::unknown,
                     {ErrorCode::unsupported,
                      "'" + id + "' looks like a Spring Security {id} prefix or an LDAP scheme "
                      "pwsvc does not verify; export the hash without the prefix "
                      "(pwsvc accepts {SHA} and {SSHA} only)"}};
  }
  if (stored.starts_with("$2x$")) {
    return Rejection{Verdict::unknown,
                     {ErrorCode::unsupported,
                      "bcrypt '$2x$' hashes come from crypt_blowfish before 1.1, which mishandled "
                      "bytes above 0x7F; pwsvc does not verify them, so reset these passwords"}};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> screen(std::string_view stored) {
  if (stored.empty()) {
    return Rejection{Verdict::invalid, {ErrorCode::malformed_hash, "the stored hash is empty"}};
  }
  if (is_locked_marker(stored)) {
    return Rejection{Verdict::locked,
                     {ErrorCode::malformed_hash,
                      "the stored value starts with '" + std::string(1, stored[0]) +
                          "', which marks a locked account; no password can match it"}};
  }
  if (const auto at = first_unprintable(stored)) {
    return Rejection{Verdict::invalid,
                     {ErrorCode::malformed_hash,
                      "the stored hash contains a space, control or non-ASCII byte at offset " +
                          std::to_string(*at) +
                          "; strip line endings when loading hashes, never inside a hash"}};
  }
  return screen_prefix(stored);
}

std::string guess_family(std::string_view stored) {
  if (stored.starts_with('$')) {
    const std::size_t end = stored.find('$', 1);
    if (end != std::string_view::npos && end <= 16) {
      return std::string(stored.substr(0, end + 1));
    }
  }
  if (stored.starts_with('{')) {
    const std::size_t end = stored.find('}');
    if (end != std::string_view::npos && end <= 16) {
      return std::string(stored.substr(0, end + 1));
    }
  }
  for (std::string_view prefix : {"pbkdf2_sha256$", "pbkdf2_sha1$", "argon2$", "pbkdf2:"}) {
    if (stored.starts_with(prefix)) {
      return std::string(prefix);
    }
  }
  return "unknown";
}

}  // namespace pwsvc

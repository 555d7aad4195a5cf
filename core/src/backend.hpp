// The interface every hash-format backend implements, and their factories.
#pragma once

#include <memory>
#include <string_view>

#include "pwsvc/policy.hpp"
#include "pwsvc/result.hpp"
#include "pwsvc/scheme.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// How much of a stored hash parse() keeps. Bulk audits never verify, so they
// skip the constant-time decoding of salts and digests and only check them.
enum class ParseDepth {
  full,    // decoded salt and digest bytes, ready for verify()
  fields,  // every field checked and measured, no bytes kept
};

// One family of stored-hash formats. Implementations are stateless and
// thread-safe.
class Backend {
 public:
  virtual ~Backend() = default;

  // Returns true when `stored` starts with a prefix this backend owns, so the
  // registry can report a parse failure as `invalid` instead of `unknown`.
  virtual bool recognizes(std::string_view stored) const = 0;

  // Takes `stored` apart without any key derivation. Fails with
  // malformed_hash or unsupported and a message naming the bad field.
  virtual Result<ParsedHash> parse(std::string_view stored,
                                   ParseDepth depth = ParseDepth::full) const = 0;

  // Runs the key derivation for a hash that parse() accepted and that passed
  // the limits, and compares in constant time.
  virtual Result<bool> verify(const ParsedHash& parsed, ByteView password) const = 0;

  // Returns true when hash() can create `algorithm`.
  virtual bool creates(Algorithm /*algorithm*/) const { return false; }

  // Hashes `password` with `salt` and fully resolved `params`, returning the
  // stored-hash string in the algorithm's standard format.
  virtual Result<std::string> hash(Algorithm algorithm, const ParamMap& params, ByteView salt,
                                   ByteView password) const;
};

std::unique_ptr<Backend> make_argon2_backend();
std::unique_ptr<Backend> make_crypt_backend();   // libxcrypt: bcrypt, yescrypt, $7$, sha-crypt, md5crypt
std::unique_ptr<Backend> make_apr1_backend();    // Apache $apr1$ through apr-util
std::unique_ptr<Backend> make_ldap_backend();    // {SHA}, {SSHA}
std::unique_ptr<Backend> make_pbkdf2_backend();  // passlib, Django and Werkzeug PBKDF2
std::unique_ptr<Backend> make_scrypt_backend();  // passlib $scrypt$

}  // namespace pwsvc

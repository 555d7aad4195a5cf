// Apache htpasswd `$apr1$` hashes, verified through apr-util's apr_md5_encode.
#include <apr_md5.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <string>

#include "backend.hpp"
#include "encoding.hpp"

namespace pwsvc {

namespace {

constexpr std::string_view k_prefix = "$apr1$";
constexpr std::string_view k_crypt64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// apr_md5_encode reads at most 8 salt characters; a longer salt would be cut
// and the output would never match, so it is malformed.
constexpr std::size_t k_max_salt_chars = 8;
constexpr std::size_t k_checksum_chars = 22;
constexpr std::size_t k_digest_bytes = 16;

tl::unexpected<Error> malformed(std::string_view problem) {
  return fail(ErrorCode::malformed_hash, "apr1 hash: " + std::string(problem));
}

bool is_crypt64(std::string_view text) {
  return text.find_first_not_of(k_crypt64) == std::string_view::npos;
}

class Apr1Backend final : public Backend {
 public:
  bool recognizes(std::string_view stored) const override { return stored.starts_with(k_prefix); }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth /*depth*/) const override {
    const auto fields = split(stored.substr(k_prefix.size()), '$');
    if (fields.size() != 2) {
      return malformed("expected $apr1$<salt>$<checksum>");
    }
    const std::string_view salt = fields[0];
    const std::string_view checksum = fields[1];
    if (salt.empty() || salt.size() > k_max_salt_chars || !is_crypt64(salt)) {
      return malformed("the salt must be 1 to 8 characters of the crypt base-64 alphabet");
    }
    if (checksum.size() != k_checksum_chars || !is_crypt64(checksum)) {
      return malformed("the checksum must be 22 characters of the crypt base-64 alphabet");
    }
    // The last character carries only the top 2 bits of the 16th byte. No
    // encoder sets its other bits, so a hash with them set could never match.
    if (k_crypt64.find(checksum.back()) >= 4) {
      return malformed("the checksum ends in a non-canonical character");
    }

    ParsedHash parsed;
    parsed.algorithm = Algorithm::apr1;
    parsed.format = Format::apr1;
    parsed.encoded = std::string(stored);
    parsed.salt_size = salt.size();
    parsed.digest_size = k_digest_bytes;
    return parsed;
  }

  // Recomputes the hash with the stored string as the salt argument and
  // compares the whole output in constant time. apr_md5_encode takes no pool,
  // and the tests run it without apr_initialize.
  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    if (std::find(password.begin(), password.end(), 0) != password.end()) {
      return fail(ErrorCode::invalid_argument,
                  "the password contains a NUL byte, which apr_md5_encode cannot take; pwsvc "
                  "never truncates a password at a NUL byte");
    }
    SecretBytes phrase = SecretBytes::copy_of(password);
    const unsigned char terminator = 0;
    phrase.append(ByteView(&terminator, 1));

    std::array<char, 120> output{};
    const apr_status_t status =
        apr_md5_encode(reinterpret_cast<const char*>(phrase.data()), parsed.encoded.c_str(),
                       output.data(), output.size());
    if (status != APR_SUCCESS) {
      sodium_memzero(output.data(), output.size());
      return fail(ErrorCode::internal,
                  "apr_md5_encode failed with status " + std::to_string(status));
    }

    const std::string_view computed(output.data());
    const bool match = constant_time_equal(as_bytes(computed), as_bytes(parsed.encoded));
    sodium_memzero(output.data(), output.size());
    return match;
  }
};

}  // namespace

std::unique_ptr<Backend> make_apr1_backend() { return std::make_unique<Apr1Backend>(); }

}  // namespace pwsvc

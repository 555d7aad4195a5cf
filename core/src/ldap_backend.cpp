// LDAP {SHA} and {SSHA} (RFC 2307 style) hashes, verified with OpenSSL's SHA-1.
#include <string>

#include <openssl/evp.h>

#include "backend.hpp"
#include "encoding.hpp"

namespace pwsvc {

namespace {

constexpr std::string_view k_sha_prefix = "{SHA}";
constexpr std::string_view k_ssha_prefix = "{SSHA}";
constexpr std::size_t k_sha1_bytes = 20;

// OpenLDAP's slappasswd writes 4 salt bytes, and passlib writes 4 to 16 and
// rejects fewer than 4. The floor also rejects {SSHA} values whose base64
// was cut short but still decodes to a few bytes past the digest.
constexpr std::size_t k_min_salt_bytes = 4;

// Splits the decoded value into digest and salt; `decoded` is empty when
// parse() keeps no bytes, and `size` is its length either way.
ParsedHash make_parsed(std::string_view stored, Algorithm algorithm,
                       std::vector<unsigned char> decoded, std::size_t size) {
  ParsedHash parsed;
  parsed.algorithm = algorithm;
  parsed.format = Format::ldap;
  parsed.encoded = std::string(stored);
  if (!decoded.empty()) {
    parsed.salt.assign(decoded.begin() + k_sha1_bytes, decoded.end());
    decoded.resize(k_sha1_bytes);
    parsed.digest = std::move(decoded);
  }
  parsed.salt_size = size - k_sha1_bytes;
  parsed.digest_size = k_sha1_bytes;
  return parsed;
}

Result<ParsedHash> parse_sha(std::string_view stored, ParseDepth depth) {
  std::vector<unsigned char> decoded;
  const auto size = read_base64(stored.substr(k_sha_prefix.size()), Base64::padded,
                                depth == ParseDepth::full ? &decoded : nullptr);
  if (!size) {
    return fail(ErrorCode::malformed_hash, "{SHA} hash: digest is not valid padded base64");
  }
  if (*size != k_sha1_bytes) {
    return fail(ErrorCode::malformed_hash, "{SHA} hash: digest is " + std::to_string(*size) +
                                               " bytes; SHA-1 needs exactly 20");
  }
  return make_parsed(stored, Algorithm::ldap_sha1, std::move(decoded), *size);
}

// {SSHA} is base64(SHA-1(password + salt) + salt).
Result<ParsedHash> parse_ssha(std::string_view stored, ParseDepth depth) {
  std::vector<unsigned char> decoded;
  const auto size = read_base64(stored.substr(k_ssha_prefix.size()), Base64::padded,
                                depth == ParseDepth::full ? &decoded : nullptr);
  if (!size) {
    return fail(ErrorCode::malformed_hash, "{SSHA} hash: value is not valid padded base64");
  }
  if (*size == k_sha1_bytes) {
    return fail(ErrorCode::malformed_hash,
                "{SSHA} hash: value decodes to 20 bytes, a SHA-1 digest with no salt (an "
                "unsalted hash is written {SHA})");
  }
  if (*size < k_sha1_bytes + k_min_salt_bytes) {
    return fail(ErrorCode::malformed_hash,
                "{SSHA} hash: value decodes to " + std::to_string(*size) +
                    " bytes; it needs the 20-byte SHA-1 digest and at least 4 salt bytes");
  }
  return make_parsed(stored, Algorithm::ldap_ssha1, std::move(decoded), *size);
}

// Computes SHA-1(password + salt) without copying the password.
Result<SecretBytes> sha1_of(ByteView password, ByteView salt) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) {
    return fail(ErrorCode::resource_exhausted, "OpenSSL could not allocate a digest context");
  }

  SecretBytes digest(k_sha1_bytes);
  unsigned int length = 0;
  const bool ok = EVP_DigestInit_ex(context, EVP_sha1(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(context, salt.data(), salt.size()) == 1 &&
                  EVP_DigestFinal_ex(context, digest.data(), &length) == 1;
  // OpenSSL 3's digest providers clear their state, which was derived from
  // the password, when the context is freed.
  EVP_MD_CTX_free(context);
  if (!ok || length != k_sha1_bytes) {
    return fail(ErrorCode::internal, "OpenSSL SHA-1 failed");
  }
  return digest;
}

class LdapBackend final : public Backend {
 public:
  bool recognizes(std::string_view stored) const override {
    return stored.starts_with(k_sha_prefix) || stored.starts_with(k_ssha_prefix);
  }

  Result<ParsedHash> parse(std::string_view stored, ParseDepth depth) const override {
    if (stored.starts_with(k_sha_prefix)) {
      return parse_sha(stored, depth);
    }
    return parse_ssha(stored, depth);
  }

  Result<bool> verify(const ParsedHash& parsed, ByteView password) const override {
    auto digest = sha1_of(password, parsed.salt);
    if (!digest) {
      return tl::unexpected(digest.error());
    }
    return constant_time_equal(digest->view(), parsed.digest);
  }
};

}  // namespace

std::unique_ptr<Backend> make_ldap_backend() { return std::make_unique<LdapBackend>(); }

}  // namespace pwsvc

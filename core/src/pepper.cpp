// Peppers: XChaCha20-Poly1305 sealing and HMAC-SHA256 keying, from libsodium.
#include "pepper.hpp"

#include <array>
#include <cstring>
#include <vector>

#include <sodium.h>

#include "encoding.hpp"
#include "pwsvc/keyring.hpp"

namespace pwsvc {

namespace {

constexpr std::string_view k_version_field = "v=1,key=";
constexpr std::size_t k_nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t k_tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// Fills `nonce` from a per-thread buffer of CSPRNG output, so that sealing
// a dump costs one getrandom call per 170 nonces instead of one each.
void next_nonce(unsigned char* nonce) {
  constexpr std::size_t k_pool_bytes = k_nonce_bytes * 170;
  thread_local std::array<unsigned char, k_pool_bytes> pool{};
  thread_local std::size_t used = k_pool_bytes;
  if (used == k_pool_bytes) {
    randombytes_buf(pool.data(), pool.size());
    used = 0;
  }
  std::memcpy(nonce, pool.data() + used, k_nonce_bytes);
  used += k_nonce_bytes;
}

Error malformed_seal(std::string message) {
  return {ErrorCode::malformed_hash, "sealed hash: " + std::move(message)};
}

}  // namespace

Result<SealedParts> parse_sealed(std::string_view stored) {
  const std::string_view rest = stored.substr(k_sealed_prefix.size());
  const std::size_t end = rest.find('$');
  if (end == std::string_view::npos) {
    return tl::unexpected(malformed_seal("expected $pwsvc-sealed$v=1,key=ID$PAYLOAD"));
  }

  const std::string_view params = rest.substr(0, end);
  if (!params.starts_with(k_version_field)) {
    return tl::unexpected(malformed_seal("the parameters must read v=1,key=ID"));
  }
  const std::string_view id = params.substr(k_version_field.size());
  if (auto checked = check_key_id(id); !checked) {
    return tl::unexpected(malformed_seal(checked.error().message));
  }

  SealedParts parts;
  parts.key_id = std::string(id);
  parts.header = stored.substr(0, k_sealed_prefix.size() + end + 1);
  parts.payload = rest.substr(end + 1);
  return parts;
}

std::string seal_hash(std::string_view inner, std::string_view key_id, ByteView key) {
  // The header is the associated data; the payload's base64 follows it.
  const std::size_t payload_size = k_nonce_bytes + inner.size() + k_tag_bytes;
  std::string sealed;
  sealed.reserve(k_sealed_prefix.size() + k_version_field.size() + key_id.size() + 1 +
                 (payload_size * 4 + 2) / 3);
  sealed += k_sealed_prefix;
  sealed += k_version_field;
  sealed += key_id;
  sealed += '$';

  // Rewrap seals millions of hashes, so each thread reuses one buffer.
  thread_local std::vector<unsigned char> payload;
  payload.resize(payload_size);
  next_nonce(payload.data());
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      payload.data() + k_nonce_bytes, &written, reinterpret_cast<const unsigned char*>(inner.data()),
      inner.size(), reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(), nullptr,
      payload.data(), key.data());

  // The nonce and ciphertext are public, so the fast codec is safe here.
  append_public_base64(sealed, payload);
  return sealed;
}

Result<std::string> open_sealed(const SealedParts& parts, ByteView key) {
  // Each thread reuses one buffer, as in seal_hash.
  thread_local std::vector<unsigned char> decoded;
  if (!decode_public_base64(parts.payload, decoded)) {
    return tl::unexpected(malformed_seal("the payload is not valid unpadded base64"));
  }
  if (decoded.size() < k_nonce_bytes + k_tag_bytes) {
    return tl::unexpected(malformed_seal("the payload is too short to hold a nonce and a tag"));
  }

  std::string inner(decoded.size() - k_nonce_bytes - k_tag_bytes, '\0');
  unsigned long long length = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(inner.data()), &length, nullptr,
      decoded.data() + k_nonce_bytes, decoded.size() - k_nonce_bytes,
      reinterpret_cast<const unsigned char*>(parts.header.data()), parts.header.size(),
      decoded.data(), key.data());
  if (rc != 0) {
    return tl::unexpected(malformed_seal("it fails authentication under key '" + parts.key_id +
                                         "': the hash was altered or sealed under another key "
                                         "with that id"));
  }
  return inner;
}

SecretBytes hmac_password(ByteView key, ByteView password) {
  SecretBytes mac(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, password.data(), password.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

std::string encode_key_id(std::string_view id) {
  return encode_base64(as_bytes(id), Base64::unpadded);
}

Result<std::string> decode_key_id(std::string_view value) {
  auto bytes = decode_base64(value, Base64::unpadded);
  if (!bytes) {
    return fail(ErrorCode::malformed_hash, "argon2 hash: keyid is not valid unpadded base64");
  }
  std::string id(bytes->begin(), bytes->end());
  if (auto checked = check_key_id(id); !checked) {
    return fail(ErrorCode::malformed_hash,
                "argon2 hash: keyid is not a pwsvc key id (1 to 8 letters, digits, '-' or '_')");
  }
  return id;
}

Result<std::optional<std::string>> reseal(std::string_view sealed, const Keyring& keyring) {
  auto parts = parse_sealed(sealed);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  if (parts->key_id == keyring.active_id()) {
    return std::optional<std::string>();
  }
  const auto old_key = keyring.key(parts->key_id);
  if (!old_key) {
    return fail(ErrorCode::missing_key, "sealed under key '" + parts->key_id +
                                            "', which the keyring does not have");
  }
  auto inner = open_sealed(*parts, *old_key);
  if (!inner) {
    return tl::unexpected(inner.error());
  }
  return std::optional<std::string>(
      seal_hash(*inner, keyring.active_id(), *keyring.key(keyring.active_id())));
}

std::string add_phc_keyid(std::string_view phc, std::string_view key_id) {
  // $argon2id$v=19$m=..,t=..,p=..$salt$tag: the parameters end at the fourth '$'.
  std::size_t at = 0;
  for (int count = 0; count < 4 && at != std::string_view::npos; ++count) {
    at = phc.find('$', at + (count == 0 ? 0 : 1));
  }
  std::string result(phc);
  result.insert(at, ",keyid=" + encode_key_id(key_id));
  return result;
}

}  // namespace pwsvc

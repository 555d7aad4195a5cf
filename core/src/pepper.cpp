// Peppers: XChaCha20-Poly1305 sealing and HMAC-SHA256 keying, from libsodium.
#include "pepper.hpp"

#include <pthread.h>

#include <array>
#include <cstring>
#include <mutex>
#include <vector>

#include <sodium.h>

#include "encoding.hpp"
#include "pwsvc/keyring.hpp"

namespace pwsvc {

namespace {

constexpr std::string_view k_version_field = "v=1,key=";
constexpr std::size_t k_nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t k_tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// Nonces come from a per-thread pool. libsodium 1.0.18 reads getrandom in
// 256-byte calls, so filling the pool with randombytes_buf cost one system
// call per ten nonces. Instead each refill draws a fresh 32-byte seed from
// randombytes_buf and expands it with randombytes_buf_deterministic, whose
// ChaCha20 output is unpredictable for as long as ChaCha20 is secure, which
// XChaCha20 assumes anyway. A forked child discards its copy of the pool,
// because a nonce used twice under one key leaks the XOR of the two hashes
// and lets an attacker forge seals.
constexpr std::size_t k_pool_nonces = 512;

struct NoncePool {
  std::array<unsigned char, k_nonce_bytes * k_pool_nonces> bytes{};
  std::size_t used = k_pool_nonces;
};

thread_local NoncePool nonce_pool;

void discard_nonce_pool() { nonce_pool.used = k_pool_nonces; }

void refill_nonce_pool() {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, discard_nonce_pool); });

  std::array<unsigned char, randombytes_SEEDBYTES> seed{};
  randombytes_buf(seed.data(), seed.size());
  randombytes_buf_deterministic(nonce_pool.bytes.data(), nonce_pool.bytes.size(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  nonce_pool.used = 0;
}

void next_nonce(unsigned char* nonce) {
  if (nonce_pool.used == k_pool_nonces) {
    refill_nonce_pool();
  }
  std::memcpy(nonce, nonce_pool.bytes.data() + nonce_pool.used * k_nonce_bytes, k_nonce_bytes);
  ++nonce_pool.used;
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

namespace {

// Appends `inner` sealed under `key` to `out`. The header is the associated
// data, and the payload's base64 follows it.
void append_sealed(ByteView inner, std::string_view key_id, ByteView key, std::string& out) {
  const std::size_t header_start = out.size();
  out += k_sealed_prefix;
  out += k_version_field;
  out += key_id;
  out += '$';
  const std::string_view header(out.data() + header_start, out.size() - header_start);

  // Rewrap seals millions of hashes, so each thread reuses one buffer.
  thread_local std::vector<unsigned char> payload;
  payload.resize(k_nonce_bytes + inner.size() + k_tag_bytes);
  next_nonce(payload.data());
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      payload.data() + k_nonce_bytes, &written, inner.data(), inner.size(),
      reinterpret_cast<const unsigned char*>(header.data()), header.size(), nullptr,
      payload.data(), key.data());

  // The nonce and ciphertext are public, so the fast codec is safe here.
  append_public_base64(out, payload);
}

// Opens a sealed hash into `inner`, which is replaced.
Result<void> open_into(const SealedParts& parts, ByteView key, std::vector<unsigned char>& inner) {
  // Each thread reuses one buffer, as in append_sealed.
  thread_local std::vector<unsigned char> decoded;
  if (!decode_public_base64(parts.payload, decoded)) {
    return tl::unexpected(malformed_seal("the payload is not valid unpadded base64"));
  }
  if (decoded.size() < k_nonce_bytes + k_tag_bytes) {
    return tl::unexpected(malformed_seal("the payload is too short to hold a nonce and a tag"));
  }

  inner.resize(decoded.size() - k_nonce_bytes - k_tag_bytes);
  unsigned long long length = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      inner.data(), &length, nullptr, decoded.data() + k_nonce_bytes,
      decoded.size() - k_nonce_bytes, reinterpret_cast<const unsigned char*>(parts.header.data()),
      parts.header.size(), decoded.data(), key.data());
  if (rc != 0) {
    return tl::unexpected(malformed_seal("it fails authentication under key '" + parts.key_id +
                                         "': the hash was altered or sealed under another key "
                                         "with that id"));
  }
  return {};
}

}  // namespace

std::string seal_hash(std::string_view inner, std::string_view key_id, ByteView key) {
  std::string sealed;
  append_sealed(as_bytes(inner), key_id, key, sealed);
  return sealed;
}

Result<std::string> open_sealed(const SealedParts& parts, ByteView key) {
  std::vector<unsigned char> inner;
  if (auto opened = open_into(parts, key, inner); !opened) {
    return tl::unexpected(opened.error());
  }
  return std::string(inner.begin(), inner.end());
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

Result<Reseal> reseal(std::string_view sealed, const Keyring& keyring, std::string& out) {
  auto parts = parse_sealed(sealed);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  const auto key = keyring.key(parts->key_id);
  if (!key) {
    return fail(ErrorCode::missing_key, "sealed under key '" + parts->key_id +
                                            "', which the keyring does not have");
  }

  // The opened hash is as sensitive as an unpeppered one, so the per-thread
  // buffer is wiped after every call.
  thread_local std::vector<unsigned char> inner;
  auto opened = open_into(*parts, *key, inner);
  const std::string_view text(reinterpret_cast<const char*>(inner.data()), inner.size());
  if (opened && is_sealed(text)) {
    opened = tl::unexpected(malformed_seal("it contains another sealed hash"));
  }
  Result<Reseal> outcome = Reseal::already_active;
  if (!opened) {
    outcome = tl::unexpected(opened.error());
  } else if (parts->key_id == keyring.active_id()) {
    out += sealed;
  } else {
    append_sealed(inner, keyring.active_id(), keyring.active_key(), out);
    outcome = Reseal::resealed;
  }
  sodium_memzero(inner.data(), inner.size());
  return outcome;
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

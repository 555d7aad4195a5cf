// Peppers: sealing finished hashes under a key, and keying passwords by HMAC.
#pragma once

#include <string>
#include <string_view>

#include "pwsvc/keyring.hpp"
#include "pwsvc/result.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// A sealed hash is $pwsvc-sealed$v=1,key=ID$PAYLOAD, where PAYLOAD is unpadded
// base64 of a 24-byte nonce followed by the XChaCha20-Poly1305 ciphertext of
// the inner hash string. The text before PAYLOAD is the associated data, so
// the key id cannot be changed without failing authentication.
inline constexpr std::string_view k_sealed_prefix = k_sealed_hash_prefix;

inline bool is_sealed(std::string_view stored) { return stored.starts_with(k_sealed_prefix); }

// A sealed hash taken apart, not yet opened.
struct SealedParts {
  std::string key_id;
  std::string_view header;   // everything up to and including the last '$'
  std::string_view payload;  // base64 of nonce and ciphertext
};

// Splits a sealed hash; fails with malformed_hash on any other shape.
Result<SealedParts> parse_sealed(std::string_view stored);

// Seals `inner` under `key`, naming `key_id`.
std::string seal_hash(std::string_view inner, std::string_view key_id, ByteView key);

// Opens a sealed hash; fails with malformed_hash when authentication fails.
Result<std::string> open_sealed(const SealedParts& parts, ByteView key);

// Returns HMAC-SHA256 of `password` under `key`, the KDF input in HMAC mode.
SecretBytes hmac_password(ByteView key, ByteView password);

// The key id as an Argon2 PHC keyid value: unpadded base64 of its bytes.
std::string encode_key_id(std::string_view id);
Result<std::string> decode_key_id(std::string_view value);

// Inserts ",keyid=VALUE" after the parameters of an Argon2 PHC string.
std::string add_phc_keyid(std::string_view phc, std::string_view key_id);

}  // namespace pwsvc

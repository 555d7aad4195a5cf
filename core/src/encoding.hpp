// Strict text codecs shared by the backends: decimal, base64 variants, hex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pwsvc/secret.hpp"

namespace pwsvc {

enum class Base64 {
  padded,    // RFC 4648 with '=' padding: Django, LDAP
  unpadded,  // RFC 4648 without padding: PHC strings, passlib $scrypt$
  ab64,      // passlib's adapted base64: '.' in place of '+', no padding
};

// Parses a decimal with digits only: no sign, no spaces, no leading zeros.
// Returns nothing on any other text or on overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// Decodes `text`, rejecting characters outside the alphabet, wrong padding
// and non-zero trailing bits, so every byte string has one encoding.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text, Base64 variant);
std::string encode_base64(ByteView bytes, Base64 variant);

// Returns the decoded size of `text`, accepting exactly what decode_base64
// accepts, without decoding. It looks each character up in a table, which is
// fast but not constant-time: use it only where nothing is verified.
std::optional<std::size_t> base64_size(std::string_view text, Base64 variant);

// Decode and encode public bytes, such as ciphertexts, with lookup tables:
// several times faster than libsodium's constant-time codecs, and accepting
// exactly the same unpadded text. Never use them on secret bytes.
std::optional<std::vector<unsigned char>> decode_public_base64(std::string_view text);
std::string encode_public_base64(ByteView bytes);
// The same, reusing the caller's buffers: decoding replaces `bytes` and
// returns false for invalid text; encoding appends to `text`.
bool decode_public_base64(std::string_view text, std::vector<unsigned char>& bytes);
void append_public_base64(std::string& text, ByteView bytes);

// Checks a salt or digest field and returns its decoded size. Decodes into
// `bytes` when it is given, and only checks the field otherwise.
std::optional<std::size_t> read_base64(std::string_view text, Base64 variant,
                                       std::vector<unsigned char>* bytes);

// Decodes lowercase or uppercase hex with an even number of digits.
std::optional<std::vector<unsigned char>> decode_hex(std::string_view text);
std::string encode_hex(ByteView bytes);

// Splits `text` at every `separator`; n separators give n + 1 fields.
std::vector<std::string_view> split(std::string_view text, char separator);

}  // namespace pwsvc

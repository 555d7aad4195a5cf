// Strict text codecs built on libsodium's constant-time base64 and hex.
#include "encoding.hpp"

#include <sodium.h>

namespace pwsvc {

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }

  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

namespace {

int sodium_variant(Base64 variant) {
  return variant == Base64::padded ? sodium_base64_VARIANT_ORIGINAL
                                   : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

}  // namespace

std::optional<std::vector<unsigned char>> decode_base64(std::string_view text, Base64 variant) {
  // Only passlib's alphabet needs a translated copy; the others decode in place.
  std::string translated;
  std::string_view input = text;
  if (variant == Base64::ab64) {
    translated.assign(text);
    for (char& c : translated) {
      if (c == '+') {
        return std::nullopt;
      }
      if (c == '.') {
        c = '+';
      }
    }
    input = translated;
  }

  std::vector<unsigned char> bytes(input.size() * 3 / 4 + 3);
  std::size_t length = 0;
  const char* end = nullptr;
  const int rc = sodium_base642bin(bytes.data(), bytes.size(), input.data(), input.size(),
                                   nullptr, &length, &end, sodium_variant(variant));
  if (rc != 0 || end != input.data() + input.size()) {
    return std::nullopt;
  }
  bytes.resize(length);
  return bytes;
}

std::string encode_base64(ByteView bytes, Base64 variant) {
  const int sodium = sodium_variant(variant);
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium);
  text.resize(text.find('\0'));

  if (variant == Base64::ab64) {
    for (char& c : text) {
      if (c == '+') {
        c = '.';
      }
    }
  }
  return text;
}

std::optional<std::vector<unsigned char>> decode_hex(std::string_view text) {
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }

  std::vector<unsigned char> bytes(text.size() / 2);
  std::size_t length = 0;
  const char* end = nullptr;
  const int rc = sodium_hex2bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr,
                                &length, &end);
  if (rc != 0 || end != text.data() + text.size() || length != bytes.size()) {
    return std::nullopt;
  }
  return bytes;
}

std::string encode_hex(ByteView bytes) {
  std::string text(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(text.data(), text.size(), bytes.data(), bytes.size());
  text.pop_back();
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      fields.push_back(text.substr(start));
      return fields;
    }
    fields.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

}  // namespace pwsvc

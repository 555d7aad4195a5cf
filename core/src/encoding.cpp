// Strict text codecs built on libsodium's constant-time base64 and hex.
#include "encoding.hpp"

#include <array>

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

namespace {

constexpr unsigned char k_not_base64 = 0xff;

// Maps each character to its 6-bit value in `variant`'s alphabet.
constexpr std::array<unsigned char, 256> base64_table(Base64 variant) {
  std::array<unsigned char, 256> table{};
  table.fill(k_not_base64);
  constexpr std::string_view k_letters =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t i = 0; i < k_letters.size(); ++i) {
    table[static_cast<unsigned char>(k_letters[i])] = static_cast<unsigned char>(i);
  }
  table[variant == Base64::ab64 ? '.' : '+'] = 62;
  table['/'] = 63;
  return table;
}

constexpr auto k_standard_table = base64_table(Base64::unpadded);
constexpr auto k_ab64_table = base64_table(Base64::ab64);

}  // namespace

std::optional<std::size_t> base64_size(std::string_view text, Base64 variant) {
  if (variant == Base64::padded) {
    if (text.size() % 4 != 0) {
      return std::nullopt;
    }
    // One '=' follows three characters of data in the last group, two follow two.
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    text.remove_suffix(padding);
    if (padding != 0 && text.size() % 4 != 4 - padding) {
      return std::nullopt;
    }
  }

  const auto& table = variant == Base64::ab64 ? k_ab64_table : k_standard_table;
  unsigned char last_value = 0;
  for (const char c : text) {
    last_value = table[static_cast<unsigned char>(c)];
    if (last_value == k_not_base64) {
      return std::nullopt;
    }
  }

  // A lone character in the last group cannot hold a byte, and the bits past
  // the last byte must be zero so that every byte string has one encoding.
  const std::size_t tail = text.size() % 4;
  if (tail == 1 || (tail == 2 && (last_value & 0x0f) != 0) ||
      (tail == 3 && (last_value & 0x03) != 0)) {
    return std::nullopt;
  }
  return text.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1);
}

std::optional<std::vector<unsigned char>> decode_public_base64(std::string_view text) {
  // A lone character in the last group cannot hold a byte.
  const std::size_t tail = text.size() % 4;
  if (tail == 1) {
    return std::nullopt;
  }

  // Whole groups of four characters give three bytes each, and the tail is
  // gathered the same way. Any character outside the alphabet sets a high
  // bit in `seen`.
  std::vector<unsigned char> bytes(text.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1));
  const auto value = [&text](std::size_t at) -> std::uint32_t {
    return at < text.size() ? k_standard_table[static_cast<unsigned char>(text[at])] : 0;
  };
  std::uint32_t seen = 0;
  std::uint32_t group = 0;
  std::size_t out = 0;
  for (std::size_t at = 0; at < text.size(); at += 4) {
    const std::uint32_t values[4] = {value(at), value(at + 1), value(at + 2), value(at + 3)};
    seen |= values[0] | values[1] | values[2] | values[3];
    group = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3];
    for (int shift = 16; shift >= 0 && out < bytes.size(); shift -= 8) {
      bytes[out++] = static_cast<unsigned char>(group >> shift);
    }
  }

  // The bits past the last byte must be zero, so every byte string has one encoding.
  const std::uint32_t spare = tail == 2 ? group & 0xffff : tail == 3 ? group & 0xff : 0;
  if ((seen & 0x80) != 0 || spare != 0) {
    return std::nullopt;
  }
  return bytes;
}

std::string encode_public_base64(ByteView bytes) {
  constexpr std::string_view k_letters =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text((bytes.size() * 4 + 2) / 3, '\0');
  std::size_t out = 0;
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    const std::size_t left = bytes.size() - at;
    const std::uint32_t group = std::uint32_t{bytes[at]} << 16 |
                                (left > 1 ? std::uint32_t{bytes[at + 1]} << 8 : 0) |
                                (left > 2 ? std::uint32_t{bytes[at + 2]} : 0);
    for (int shift = 18; shift >= 0 && out < text.size(); shift -= 6) {
      text[out++] = k_letters[(group >> shift) & 0x3f];
    }
  }
  return text;
}

std::optional<std::size_t> read_base64(std::string_view text, Base64 variant,
                                       std::vector<unsigned char>* bytes) {
  if (bytes == nullptr) {
    return base64_size(text, variant);
  }
  auto decoded = decode_base64(text, variant);
  if (!decoded) {
    return std::nullopt;
  }
  *bytes = std::move(*decoded);
  return bytes->size();
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

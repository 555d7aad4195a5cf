// Strict text codecs built on libsodium's constant-time base64 and hex.
#include "encoding.hpp"

#include <array>
#include <cstring>

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

constexpr std::string_view k_standard_letters =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Set in a decoded group when one of its characters is outside the alphabet.
// A valid group has only 24 bits.
constexpr std::uint32_t k_invalid_group_bit = 1U << 24;

// Each character's 6-bit value moved to its place in a group of four, one
// table per place, so that a group decodes with four lookups and three ORs.
constexpr std::array<std::array<std::uint32_t, 256>, 4> placed_base64_tables() {
  std::array<std::array<std::uint32_t, 256>, 4> tables{};
  for (std::size_t place = 0; place < 4; ++place) {
    for (std::size_t c = 0; c < 256; ++c) {
      const unsigned char value = k_standard_table[c];
      tables[place][c] = value == k_not_base64 ? k_invalid_group_bit
                                               : std::uint32_t{value} << (18 - 6 * place);
    }
  }
  return tables;
}

constexpr auto k_placed_tables = placed_base64_tables();

// The two characters of each 12-bit value, so that three bytes encode with
// two lookups.
constexpr std::array<std::array<char, 2>, 4096> base64_pairs() {
  std::array<std::array<char, 2>, 4096> pairs{};
  for (std::size_t value = 0; value < pairs.size(); ++value) {
    pairs[value] = {k_standard_letters[value >> 6], k_standard_letters[value & 0x3f]};
  }
  return pairs;
}

constexpr auto k_base64_pairs = base64_pairs();

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

bool decode_public_base64(std::string_view text, std::vector<unsigned char>& bytes) {
  // A lone character in the last group cannot hold a byte.
  const std::size_t tail = text.size() % 4;
  if (tail == 1) {
    return false;
  }
  bytes.resize(text.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1));

  // Each group of four characters gives three bytes.
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  unsigned char* out = bytes.data();
  const std::size_t whole = text.size() - tail;
  std::uint32_t groups_seen = 0;
  for (std::size_t at = 0; at < whole; at += 4) {
    const std::uint32_t group = k_placed_tables[0][in[at]] | k_placed_tables[1][in[at + 1]] |
                                k_placed_tables[2][in[at + 2]] | k_placed_tables[3][in[at + 3]];
    groups_seen |= group;
    out[0] = static_cast<unsigned char>(group >> 16);
    out[1] = static_cast<unsigned char>(group >> 8);
    out[2] = static_cast<unsigned char>(group);
    out += 3;
  }
  if ((groups_seen & k_invalid_group_bit) != 0) {
    return false;
  }
  if (tail == 0) {
    return true;
  }

  // The last two or three characters give one or two bytes, and the bits
  // past the last byte must be zero so that every byte string has one encoding.
  // Any character outside the alphabet sets the high bit in `seen`.
  const auto value = [&text](std::size_t at) -> std::uint32_t {
    return k_standard_table[static_cast<unsigned char>(text[at])];
  };
  std::uint32_t seen = 0;
  const std::uint32_t third = tail == 3 ? value(whole + 2) : 0;
  const std::uint32_t group = value(whole) << 18 | value(whole + 1) << 12 | third << 6;
  seen |= value(whole) | value(whole + 1) | third;
  out[0] = static_cast<unsigned char>(group >> 16);
  if (tail == 3) {
    out[1] = static_cast<unsigned char>(group >> 8);
  }
  const std::uint32_t spare = tail == 2 ? group & 0xffff : group & 0xff;
  return (seen & 0x80) == 0 && spare == 0;
}

std::optional<std::vector<unsigned char>> decode_public_base64(std::string_view text) {
  std::vector<unsigned char> bytes;
  if (!decode_public_base64(text, bytes)) {
    return std::nullopt;
  }
  return bytes;
}

void append_public_base64(std::string& text, ByteView bytes) {
  const std::size_t start = text.size();
  text.resize(start + (bytes.size() * 4 + 2) / 3);
  char* out = text.data() + start;

  // Each group of three bytes gives four characters, two per 12 bits.
  const std::size_t tail = bytes.size() % 3;
  const std::size_t whole = bytes.size() - tail;
  for (std::size_t at = 0; at < whole; at += 3) {
    const std::uint32_t group = std::uint32_t{bytes[at]} << 16 |
                                std::uint32_t{bytes[at + 1]} << 8 | bytes[at + 2];
    std::memcpy(out, k_base64_pairs[group >> 12].data(), 2);
    std::memcpy(out + 2, k_base64_pairs[group & 0xfff].data(), 2);
    out += 4;
  }

  // One or two bytes left give two or three characters, without padding.
  if (tail != 0) {
    const std::uint32_t group =
        std::uint32_t{bytes[whole]} << 16 | (tail == 2 ? std::uint32_t{bytes[whole + 1]} << 8 : 0);
    out[0] = k_standard_letters[group >> 18];
    out[1] = k_standard_letters[(group >> 12) & 0x3f];
    if (tail == 2) {
      out[2] = k_standard_letters[(group >> 6) & 0x3f];
    }
  }
}

std::string encode_public_base64(ByteView bytes) {
  std::string text;
  append_public_base64(text, bytes);
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

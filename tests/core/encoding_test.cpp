// Tests of the strict decimal, base64 and hex codecs.
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "encoding.hpp"

using namespace pwsvc;

TEST_CASE("parse_decimal: rejects signs, spaces and leading zeros", "[core][encoding]") {
  CHECK(parse_decimal("0") == 0u);
  CHECK(parse_decimal("19456") == 19456u);
  CHECK_FALSE(parse_decimal(""));
  CHECK_FALSE(parse_decimal("-1"));
  CHECK_FALSE(parse_decimal("+1"));
  CHECK_FALSE(parse_decimal("05000"));
  CHECK_FALSE(parse_decimal("1 "));
  CHECK_FALSE(parse_decimal("18446744073709551616"));
  CHECK(parse_decimal("18446744073709551615") == UINT64_MAX);
}

TEST_CASE("decode_base64: unpadded rejects padding and stray characters", "[core][encoding]") {
  CHECK(decode_base64("c2FsdA", Base64::unpadded) == std::vector<unsigned char>{'s', 'a', 'l', 't'});
  CHECK_FALSE(decode_base64("c2FsdA==", Base64::unpadded));
  CHECK_FALSE(decode_base64("c2Fsd!", Base64::unpadded));
  CHECK_FALSE(decode_base64("c2FsdB", Base64::unpadded));
}

TEST_CASE("decode_base64: padded requires padding", "[core][encoding]") {
  CHECK(decode_base64("c2FsdA==", Base64::padded) == std::vector<unsigned char>{'s', 'a', 'l', 't'});
  CHECK_FALSE(decode_base64("c2FsdA", Base64::padded));
}

TEST_CASE("decode_base64: ab64 maps dot to plus", "[core][encoding]") {
  const auto bytes = decode_base64("+/8", Base64::unpadded);
  REQUIRE(bytes);
  CHECK(decode_base64("./8", Base64::ab64) == bytes);
  CHECK_FALSE(decode_base64("+/8", Base64::ab64));
  CHECK(encode_base64(*bytes, Base64::ab64) == "./8");
}

TEST_CASE("decode_hex: round-trips and rejects odd lengths", "[core][encoding]") {
  const std::vector<unsigned char> bytes{0x00, 0xab, 0xff};
  CHECK(encode_hex(bytes) == "00abff");
  CHECK(decode_hex("00ABff") == bytes);
  CHECK_FALSE(decode_hex("abc"));
  CHECK_FALSE(decode_hex("zz"));
}

// base64_size must accept exactly what decode_base64 accepts, or an audit
// would report a hash as fine that verification then refuses.
TEST_CASE("base64_size: agrees with decode_base64 on random text", "[core][encoding]") {
  constexpr std::string_view k_characters =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/.=-_ \n";
  std::mt19937 random(20261204);
  std::uniform_int_distribution<std::size_t> pick(0, k_characters.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 12);
  // Mostly alphabet characters, so that many strings are valid.
  std::uniform_int_distribution<int> odd_one(0, 9);

  for (int i = 0; i < 200000; ++i) {
    std::string text(length(random), 'A');
    for (char& c : text) {
      c = odd_one(random) == 0 ? k_characters[pick(random)] : k_characters[pick(random) % 64];
    }
    for (const Base64 variant : {Base64::padded, Base64::unpadded, Base64::ab64}) {
      const auto decoded = decode_base64(text, variant);
      const auto size = base64_size(text, variant);
      INFO("text '" << text << "', variant " << static_cast<int>(variant));
      REQUIRE(decoded.has_value() == size.has_value());
      if (decoded) {
        REQUIRE(decoded->size() == *size);
      }
    }
    INFO("text '" << text << "'");
    REQUIRE(decode_public_base64(text) == decode_base64(text, Base64::unpadded));
  }
}

TEST_CASE("base64_size: checks padding and trailing bits", "[core][encoding]") {
  CHECK(base64_size("", Base64::padded) == 0u);
  CHECK(base64_size("QQ==", Base64::padded) == 1u);
  CHECK(base64_size("QUI=", Base64::padded) == 2u);
  CHECK(base64_size("QUJD", Base64::padded) == 3u);
  CHECK_FALSE(base64_size("QQ=", Base64::padded));
  CHECK_FALSE(base64_size("QR==", Base64::padded));
  CHECK_FALSE(base64_size("QUJ=", Base64::padded));
  CHECK_FALSE(base64_size("====", Base64::padded));
  CHECK(base64_size("QQ", Base64::unpadded) == 1u);
  CHECK_FALSE(base64_size("Q", Base64::unpadded));
  CHECK_FALSE(base64_size("QQ==", Base64::unpadded));
  CHECK(base64_size("a.b/", Base64::ab64) == 3u);
  CHECK_FALSE(base64_size("a+b/", Base64::ab64));
}

TEST_CASE("public base64: matches libsodium's codec", "[core][encoding]") {
  std::mt19937 random(7);
  for (std::size_t size = 0; size < 200; ++size) {
    std::vector<unsigned char> bytes(size);
    for (auto& byte : bytes) {
      byte = static_cast<unsigned char>(random());
    }
    const std::string text = encode_base64(bytes, Base64::unpadded);
    CAPTURE(size);
    REQUIRE(encode_public_base64(bytes) == text);
    REQUIRE(decode_public_base64(text) == bytes);
  }
  CHECK_FALSE(decode_public_base64("QR"));
  CHECK_FALSE(decode_public_base64("QQ=="));
  CHECK_FALSE(decode_public_base64("Q"));
}

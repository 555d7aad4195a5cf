// Tests of the strict decimal, base64 and hex codecs.
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

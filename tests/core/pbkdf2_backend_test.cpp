// Tests of the PBKDF2 backend: passlib, Django and Werkzeug dialects.
#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "backend.hpp"
#include "backend_checks.hpp"
#include "encoding.hpp"
#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

const auto k_backend = make_pbkdf2_backend();

// UTF-8 bytes of "pässwörd €", the password of the hashlib-made literals below.
constexpr std::string_view k_utf8_password = "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac";

std::vector<unsigned char> hex_bytes(std::string_view hex) {
  auto bytes = decode_hex(hex);
  REQUIRE(bytes);
  return *bytes;
}

// Builds $pbkdf2<ident>$rounds$salt$checksum from raw bytes, keeping the first
// `size` bytes of `output`.
std::string passlib_string(std::string_view ident, std::uint64_t rounds, std::string_view salt,
                           const std::vector<unsigned char>& output, std::size_t size) {
  REQUIRE(output.size() >= size);
  const ByteView checksum(output.data(), size);
  std::string stored(1, '$');
  stored.append(ident).append("$").append(std::to_string(rounds)).append("$");
  stored.append(encode_base64(as_bytes(salt), Base64::ab64)).append("$");
  return stored.append(encode_base64(checksum, Base64::ab64));
}

// Re-encodes `text` (in `variant`) after cutting or zero-extending the bytes
// to `size`, so the result is a canonical encoding of the wrong length.
std::string resized(std::string_view text, Base64 variant, std::size_t size) {
  auto bytes = decode_base64(text, variant);
  REQUIRE(bytes);
  bytes->resize(size);
  return encode_base64(*bytes, variant);
}

struct KdfVector {
  std::string_view password;
  std::string_view salt;
  std::uint64_t rounds;
  std::string_view output_hex;
};

}  // namespace

TEST_CASE("pbkdf2 backend: RFC 6070 SHA-1 vectors in passlib format", "[core][pbkdf2]") {
  // RFC 6070 section 2, without the 16777216-iteration case. PBKDF2's first
  // 20 output bytes do not depend on dkLen, so the 25-byte vector's prefix is
  // the full 20-byte passlib checksum.
  const std::vector<KdfVector> vectors{
      {"password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
      {"password", "salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
      {"password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1"},
      {"passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096,
       "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
  };
  for (const auto& vector : vectors) {
    INFO("rounds " << vector.rounds << ", password " << vector.password);
    const auto output = hex_bytes(vector.output_hex);
    const std::string stored = passlib_string("pbkdf2", vector.rounds, vector.salt, output, 20);
    CHECK(verifies(*k_backend, stored, vector.password));
    CHECK_FALSE(verifies(*k_backend, stored, std::string(vector.password) + "x"));

    auto flipped = output;
    flipped[19] ^= 0x01;
    const std::string tampered = passlib_string("pbkdf2", vector.rounds, vector.salt, flipped, 20);
    CHECK_FALSE(verifies(*k_backend, tampered, vector.password));
  }
}

TEST_CASE("pbkdf2 backend: RFC 6070 NUL bytes in password and salt", "[core][pbkdf2]") {
  // RFC 6070 gives 16 bytes for "pass\0word" / "sa\0lt" / 4096 rounds:
  // 56fa6aa75548099dcc37d7f03425e0c3. The last 4 of the 20 bytes come from
  // python3 hashlib.pbkdf2_hmac("sha1", ..., 4096, 20).
  const std::string password("pass\0word", 9);
  const std::string salt("sa\0lt", 5);
  const auto output = hex_bytes("56fa6aa75548099dcc37d7f03425e0c37f1c42b2");
  const std::string stored = passlib_string("pbkdf2", 4096, salt, output, 20);

  CHECK(verifies(*k_backend, stored, password));
  CHECK_FALSE(verifies(*k_backend, stored, "pass"));
  CHECK_FALSE(verifies(*k_backend, stored, std::string("pass\0wore", 9)));
}

TEST_CASE("pbkdf2 backend: RFC 7914 SHA-256 vectors in passlib format", "[core][pbkdf2]") {
  // RFC 7914 section 11. The 64-byte outputs start with the 32-byte one.
  const std::vector<KdfVector> vectors{
      {"passwd", "salt", 1,
       "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
       "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
      {"Password", "NaCl", 80000,
       "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
       "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
  };
  for (const auto& vector : vectors) {
    INFO("rounds " << vector.rounds);
    const auto output = hex_bytes(vector.output_hex);
    const std::string stored =
        passlib_string("pbkdf2-sha256", vector.rounds, vector.salt, output, 32);
    CHECK(verifies(*k_backend, stored, vector.password));
    CHECK_FALSE(verifies(*k_backend, stored, std::string(vector.password) + " "));
  }
}

TEST_CASE("pbkdf2 backend: passlib strings made with hashlib", "[core][pbkdf2]") {
  // Made with python3 hashlib.pbkdf2_hmac over the salt bytes
  // fbefbe00112233445566778899aabbcc, written in passlib's adapted base64
  // (the salt's leading "...." would be "++++" in standard base64).
  const std::vector<std::string_view> hashes{
      "$pbkdf2$1000$....ABEiM0RVZneImaq7zA$JjzVKqgMKQypV69xUG2H1X5V4QY",
      "$pbkdf2-sha256$1000$....ABEiM0RVZneImaq7zA$k5iwShcGypMNelxWMeOAfg2LlqrPRbzX4KKdPuz.NFI",
      "$pbkdf2-sha512$1000$....ABEiM0RVZneImaq7zA$hysgggAtR5gKz0DPEduGzIj3sJGUhzBYGqHHGqG2kvA4Bb"
      "LpL4CSZgJlZa0F/M1UyKZ9ORTAHe3/S9zeRSgmVg",
  };
  for (const auto stored : hashes) {
    INFO(stored);
    CHECK(verifies(*k_backend, stored, k_utf8_password));
    CHECK_FALSE(verifies(*k_backend, stored, "p\xc3\xa4ssw\xc3\xb6rd"));
  }
}

TEST_CASE("pbkdf2 backend: Django strings made with hashlib", "[core][pbkdf2]") {
  // Made with python3 hashlib.pbkdf2_hmac over the salt's ASCII text, the
  // hash in padded base64, as Django's PBKDF2PasswordHasher writes it.
  const std::vector<std::string_view> hashes{
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$1l7wljEnnzxi/NmJmFo6iASQLFB34HgrUbNEgXlZf4s=",
      "pbkdf2_sha1$1000$Xq3vK9mPz2LwRt7Y$ffQfMk+5F6adIaFAZWG1NdzcU3o=",
  };
  for (const auto stored : hashes) {
    INFO(stored);
    CHECK(verifies(*k_backend, stored, k_utf8_password));
    CHECK_FALSE(verifies(*k_backend, stored, "p\xc3\xa4ssw\xc3\xb6rd"));
  }
}

TEST_CASE("pbkdf2 backend: Werkzeug strings made with hashlib", "[core][pbkdf2]") {
  // Made with python3 hashlib.pbkdf2_hmac over the salt's text, the hash in
  // lowercase hex; Werkzeug 3.1.8 check_password_hash accepts each one.
  const std::vector<std::string_view> hashes{
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$"
      "c02aa17da04a59a53ed97bf7e9942cd5a0ad34cb7c36b8add12f4203326daa7c",
      "pbkdf2:sha512:1000$a1B2c3D4e5F6g7H8$"
      "85d2b5f86e26014c573d035a8b50ebea11d0d6e8e1d102b7b0a9632c779a103b"
      "101d1559f5dd21b9c2c9d758d80573029692ef3e3f8b47fae85df7ebf3580d5f",
      "pbkdf2:sha1:1000$a1B2c3D4e5F6g7H8$acfecc719cfb549f4639b95117adbc04b8998831",
  };
  for (const auto stored : hashes) {
    INFO(stored);
    CHECK(verifies(*k_backend, stored, k_utf8_password));
    CHECK_FALSE(verifies(*k_backend, stored, "p\xc3\xa4ssw\xc3\xb6rd"));
  }
}

TEST_CASE("pbkdf2 backend: recognizes its three dialects only", "[core][pbkdf2]") {
  CHECK(k_backend->recognizes("$pbkdf2$1000$c2FsdA$x"));
  CHECK(k_backend->recognizes("$pbkdf2-sha256$1000$c2FsdA$x"));
  CHECK(k_backend->recognizes("pbkdf2_sha256$1000$salt$x"));
  CHECK(k_backend->recognizes("pbkdf2:sha256:1000$salt$x"));
  CHECK(k_backend->recognizes("pbkdf2$salt$x"));
  CHECK_FALSE(k_backend->recognizes("$pbkdf2"));
  CHECK_FALSE(k_backend->recognizes("$scrypt$ln=4,r=8,p=1$c2FsdA$x"));
  CHECK_FALSE(k_backend->recognizes("{SSHA}abcd"));
  CHECK_FALSE(k_backend->recognizes("PBKDF2_SHA256$1000$salt$x"));
}

TEST_CASE("pbkdf2 backend: parse fills algorithm, format, cost and params", "[core][pbkdf2]") {
  struct Expected {
    std::string_view stored;
    Algorithm algorithm;
    Format format;
    std::size_t salt_size;
    std::size_t digest_size;
  };
  const std::vector<Expected> cases{
      {"$pbkdf2$1000$....ABEiM0RVZneImaq7zA$JjzVKqgMKQypV69xUG2H1X5V4QY", Algorithm::pbkdf2_sha1,
       Format::passlib, 16, 20},
      {"$pbkdf2-sha512$1000$....ABEiM0RVZneImaq7zA$hysgggAtR5gKz0DPEduGzIj3sJGUhzBYGqHHGqG2kvA4Bb"
       "LpL4CSZgJlZa0F/M1UyKZ9ORTAHe3/S9zeRSgmVg",
       Algorithm::pbkdf2_sha512, Format::passlib, 16, 64},
      {"pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$1l7wljEnnzxi/NmJmFo6iASQLFB34HgrUbNEgXlZf4s=",
       Algorithm::pbkdf2_sha256, Format::django, 16, 32},
      {"pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$"
       "c02aa17da04a59a53ed97bf7e9942cd5a0ad34cb7c36b8add12f4203326daa7c",
       Algorithm::pbkdf2_sha256, Format::werkzeug, 16, 32},
  };
  for (const auto& expected : cases) {
    INFO(expected.stored);
    const auto parsed = k_backend->parse(expected.stored);
    REQUIRE(parsed);
    CHECK(parsed->algorithm == expected.algorithm);
    CHECK(parsed->format == expected.format);
    CHECK(parsed->encoded == expected.stored);
    CHECK(parsed->cost.iterations == 1000);
    CHECK(parsed->cost.memory_kib == 0);
    CHECK(parsed->params == std::vector<std::pair<std::string, std::string>>{{"rounds", "1000"}});
    CHECK(parsed->salt_size == expected.salt_size);
    CHECK(parsed->salt.size() == expected.salt_size);
    CHECK(parsed->digest_size == expected.digest_size);
    CHECK(parsed->digest.size() == expected.digest_size);
  }

  // Django and Werkzeug salts are the literal text, not decoded.
  const auto django =
      k_backend->parse("pbkdf2_sha1$1000$Xq3vK9mPz2LwRt7Y$ffQfMk+5F6adIaFAZWG1NdzcU3o=");
  REQUIRE(django);
  CHECK(std::string(django->salt.begin(), django->salt.end()) == "Xq3vK9mPz2LwRt7Y");
}

TEST_CASE("pbkdf2 backend: hash round-trips sha256 and sha512", "[core][pbkdf2]") {
  const std::vector<unsigned char> salt(16, 0xfb);
  const ByteView password = as_bytes("correct horse battery staple");
  for (const auto algorithm : {Algorithm::pbkdf2_sha256, Algorithm::pbkdf2_sha512}) {
    INFO(algorithm_name(algorithm));
    REQUIRE(k_backend->creates(algorithm));
    const auto stored = k_backend->hash(algorithm, {{"rounds", 1000}}, salt, password);
    REQUIRE(stored);

    const std::string prefix = algorithm == Algorithm::pbkdf2_sha256 ? "$pbkdf2-sha256$1000$"
                                                                     : "$pbkdf2-sha512$1000$";
    CHECK(stored->starts_with(prefix + encode_base64(salt, Base64::ab64) + "$"));
    const auto parsed = k_backend->parse(*stored);
    REQUIRE(parsed);
    CHECK(parsed->algorithm == algorithm);
    CHECK(parsed->salt == salt);
    CHECK(parsed->digest_size == (algorithm == Algorithm::pbkdf2_sha256 ? 32u : 64u));
    CHECK(verifies(*k_backend, *stored, "correct horse battery staple"));
    CHECK_FALSE(verifies(*k_backend, *stored, "correct horse battery stapler"));
  }

  CHECK_FALSE(k_backend->creates(Algorithm::pbkdf2_sha1));
  const auto refused = k_backend->hash(Algorithm::pbkdf2_sha1, {{"rounds", 1000}}, salt, password);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::unsupported);

  const auto no_rounds = k_backend->hash(Algorithm::pbkdf2_sha256, {}, salt, password);
  REQUIRE_FALSE(no_rounds);
  CHECK(no_rounds.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("pbkdf2 backend: engine hashes and verifies through the registry", "[core][pbkdf2]") {
  Policy policy;
  policy.algorithm = Algorithm::pbkdf2_sha512;
  policy.params[Algorithm::pbkdf2_sha512] = {{"rounds", 1000}};
  const Engine engine(policy, Limits{});

  const auto stored = engine.hash(as_bytes("hunter2"));
  REQUIRE(stored);
  CHECK(stored->starts_with("$pbkdf2-sha512$1000$"));
  const auto right = engine.verify(as_bytes("hunter2"), *stored);
  REQUIRE(right);
  CHECK(right->match);
  CHECK_FALSE(right->needs_rehash);
  const auto wrong = engine.verify(as_bytes("hunter3"), *stored);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->match);
}

TEST_CASE("pbkdf2 backend: rounds are strict decimals from 1 to 2^32-1", "[core][pbkdf2]") {
  const std::string tail = "$c2FsdA$JjzVKqgMKQypV69xUG2H1X5V4QY";
  for (const std::string_view rounds : {"0", "01000", "+1000", "-1", "1e3", "", " 1000",
                                        "4294967296", "18446744073709551616"}) {
    INFO("rounds '" << rounds << "'");
    const auto error = parse_error(*k_backend, "$pbkdf2$" + std::string(rounds) + tail);
    CHECK(error.code == ErrorCode::malformed_hash);
    CHECK_THAT(error.message, Catch::Contains("rounds"));
  }
  for (const std::string_view iterations : {"0", "01000", "4294967296"}) {
    INFO("iterations '" << iterations << "'");
    CHECK(parse_error(*k_backend, "pbkdf2_sha1$" + std::string(iterations) +
                      "$Xq3vK9mPz2LwRt7Y$ffQfMk+5F6adIaFAZWG1NdzcU3o=")
              .code == ErrorCode::malformed_hash);
    CHECK(parse_error(*k_backend, "pbkdf2:sha1:" + std::string(iterations) +
                      "$a1B2c3D4e5F6g7H8$acfecc719cfb549f4639b95117adbc04b8998831")
              .code == ErrorCode::malformed_hash);
  }

  const auto highest = k_backend->parse("$pbkdf2$4294967295" + tail);
  REQUIRE(highest);
  CHECK(highest->cost.iterations == 4294967295u);
}

TEST_CASE("pbkdf2 backend: engine limit applies to the parsed rounds", "[core][pbkdf2]") {
  // hostile.jsonl X-041: 2^31 rounds must be refused before any derivation.
  const Engine engine;
  const auto result = engine.verify(
      as_bytes("x"),
      "$pbkdf2-sha256$2147483648$UIqxdi6FcG5tbU2J8b63Vg$"
      "u9VJ7pHXaZOeBCDjvvbpuM9dVRVcbu6bx6WwjzqhcO8");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::limit_exceeded);
}

TEST_CASE("pbkdf2 backend: passlib rejects other digests as unsupported", "[core][pbkdf2]") {
  const std::string tail =
      "$29000$UIqxdi6FcG5tbU2J8b63Vg$u9VJ7pHXaZOeBCDjvvbpuM9dVRVcbu6bx6WwjzqhcO8";
  for (const std::string_view digest : {"sha384", "md5", "sha1", "SHA256", ""}) {
    INFO("digest '" << digest << "'");
    const auto error = parse_error(*k_backend, "$pbkdf2-" + std::string(digest) + tail);
    CHECK(error.code == ErrorCode::unsupported);
    std::string quoted(1, '\'');
    quoted.append(digest).push_back('\'');
    CHECK_THAT(error.message, Catch::Contains(quoted));
  }
}

TEST_CASE("pbkdf2 backend: passlib rejects malformed fields", "[core][pbkdf2]") {
  // A real passlib hash (interop.jsonl D-0209) with one field broken each time.
  const std::string salt = "UIqxdi6FcG5tbU2J8b63Vg";
  const std::string checksum = "u9VJ7pHXaZOeBCDjvvbpuM9dVRVcbu6bx6WwjzqhcO8";
  const std::vector<std::string> malformed{
      "$pbkdf2-sha256$29000$" + salt,                           // no checksum field
      "$pbkdf2-sha256$29000$" + salt + "$",                     // empty checksum
      "$pbkdf2-sha256$29000$" + salt + "$" + checksum + "$",    // extra field
      "$pbkdf2-sha256$29000$" + salt + "$" + resized(checksum, Base64::ab64, 31),
      "$pbkdf2-sha256$29000$" + salt + "$" + resized(checksum, Base64::ab64, 33),
      "$pbkdf2-sha256$29000$" + salt + "$" + resized(checksum, Base64::ab64, 1),
      "$pbkdf2-sha256$29000$" + salt + "$u9",                   // cut to 2 characters
      "$pbkdf2-sha256$29000$" + salt + "$" + checksum + "=",    // padding
      "$pbkdf2-sha256$29000$UIqxdi6+cG5tbU2J8b63Vg$" + checksum,  // '+' is not ab64
      "$pbkdf2-sha256$29000$UIqxdi6FcG5tbU2J8b63V!$" + checksum,  // outside the alphabet
      "$pbkdf2-sha256$29000$UIqxdi6FcG5tbU2J8b63Vh$" + checksum,  // non-zero trailing bits
      "$pbkdf2-sha256$29000$" + std::string(1368, 'A') + "$" + checksum,  // 1026-byte salt
  };
  for (const auto& stored : malformed) {
    INFO(stored);
    CHECK(parse_error(*k_backend, stored).code == ErrorCode::malformed_hash);
  }

  // The digest-sized checksum is what makes the same fields acceptable.
  CHECK(k_backend->parse("$pbkdf2-sha256$29000$" + salt + "$" + checksum));
  CHECK(k_backend->parse("$pbkdf2-sha256$29000$$" + checksum));
  CHECK(k_backend->parse("$pbkdf2-sha256$29000$" + std::string(1364, 'A') + "$" + checksum));
}

TEST_CASE("pbkdf2 backend: Django rejects malformed fields", "[core][pbkdf2]") {
  const std::string hash = "1l7wljEnnzxi/NmJmFo6iASQLFB34HgrUbNEgXlZf4s=";
  const std::vector<std::string> malformed{
      "pbkdf2_sha256$260000$Bcu2MTtqaQA45Z6KWCid5K$",   // empty hash field
      "pbkdf2_sha256$1000$$" + hash,                     // empty salt
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y",             // no hash field
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$" + hash + "$",  // extra field
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$" + hash.substr(0, 43),  // padding missing
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$" + resized(hash, Base64::padded, 31),
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$" + resized(hash, Base64::padded, 33),
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$ffQfMk+5F6adIaFAZWG1NdzcU3o=",  // SHA-1 sized
      "pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$1l7wljEnnzxi_NmJmFo6iASQLFB34HgrUbNEgXlZf4s=",
  };
  for (const auto& stored : malformed) {
    INFO(stored);
    CHECK(parse_error(*k_backend, stored).code == ErrorCode::malformed_hash);
  }

  const auto sha512 = parse_error(*k_backend, "pbkdf2_sha512$1000$Xq3vK9mPz2LwRt7Y$" + hash);
  CHECK(sha512.code == ErrorCode::unsupported);
  CHECK_THAT(sha512.message, Catch::Contains("'sha512'"));
}

TEST_CASE("pbkdf2 backend: Werkzeug rejects malformed fields", "[core][pbkdf2]") {
  const std::string hex = "c02aa17da04a59a53ed97bf7e9942cd5a0ad34cb7c36b8add12f4203326daa7c";
  std::string upper = hex;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const std::vector<std::string> malformed{
      "pbkdf2:sha256:1000$$" + hex,                              // empty salt
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$" + upper,            // Werkzeug compares lowercase
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$" + hex.substr(0, 62),  // 31 bytes
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$" + hex + "00",       // 33 bytes
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$" + hex.substr(1),    // odd length
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$",                    // empty hash
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8",                     // no hash field
      "pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$" + hex + "$x",       // extra field
      "pbkdf2:sha256:1000:1$a1B2c3D4e5F6g7H8$" + hex,            // extra method field
  };
  for (const auto& stored : malformed) {
    INFO(stored);
    CHECK(parse_error(*k_backend, stored).code == ErrorCode::malformed_hash);
  }

  const auto md5 = parse_error(*k_backend, "pbkdf2:md5:260000$C4OMlKHrpiqKY0kC$" + hex);
  CHECK(md5.code == ErrorCode::unsupported);
  CHECK_THAT(md5.message, Catch::Contains("'md5'"));
}

TEST_CASE("pbkdf2 backend: Werkzeug without an iteration count is malformed", "[core][pbkdf2]") {
  // Werkzeug fills a missing count from the verifying release's default,
  // which has changed between releases, so the hash has no single meaning.
  const std::string hex = "c02aa17da04a59a53ed97bf7e9942cd5a0ad34cb7c36b8add12f4203326daa7c";
  for (const std::string& stored :
       {"pbkdf2:sha256$a1B2c3D4e5F6g7H8$" + hex, "pbkdf2$a1B2c3D4e5F6g7H8$" + hex}) {
    INFO(stored);
    const auto error = parse_error(*k_backend, stored);
    CHECK(error.code == ErrorCode::malformed_hash);
    CHECK_THAT(error.message, Catch::Contains("iteration count is missing"));
  }
}

TEST_CASE("pbkdf2 backend: messages never contain the salt or hash", "[core][pbkdf2]") {
  const std::string passlib = "$pbkdf2-sha256$29000$UIqxdi6FcG5tbU2J8b63Vg$u9VJ7pHXaZOeBCDjvvbp";
  const std::vector<std::pair<std::string, std::string>> cases{
      {passlib, "UIqxdi6FcG5tbU2J8b63Vg"},
      {passlib, "u9VJ7pHXaZOeBCDjvvbp"},
      {"pbkdf2_sha256$1000$Xq3vK9mPz2LwRt7Y$1l7wljEnnzxi", "Xq3vK9mPz2LwRt7Y"},
      {"pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$C02AA17D", "a1B2c3D4e5F6g7H8"},
      {"pbkdf2:sha256:1000$a1B2c3D4e5F6g7H8$C02AA17D", "C02AA17D"},
  };
  for (const auto& [stored, secret] : cases) {
    INFO(stored);
    CHECK_THAT(parse_error(*k_backend, stored).message, !Catch::Contains(secret));
  }
}

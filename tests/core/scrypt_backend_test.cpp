// Tests of the scrypt backend: passlib's $scrypt$ format over libsodium.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backend.hpp"
#include "backend_checks.hpp"
#include "encoding.hpp"
#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

const auto k_backend = make_scrypt_backend();

// A valid 32-byte checksum field for parse-only cases.
const std::string k_checksum = "bIGFqjoIFfiHredaqdcLFzIYGhvBUV6NxntDB5uGIKs";

// Returns the error from verifying the parsed `stored`, which must fail. It
// calls the backend directly, so the engine's limits do not apply.
Error verify_error(std::string_view stored) {
  const auto parsed = k_backend->parse(stored);
  REQUIRE(parsed);
  const auto match = k_backend->verify(*parsed, as_bytes("password"));
  REQUIRE_FALSE(match);
  return match.error();
}

// Returns the checksum cut or zero-extended to `size` bytes, canonically encoded.
std::string checksum_of_size(std::size_t size) {
  auto bytes = decode_base64(k_checksum, Base64::unpadded);
  REQUIRE(bytes);
  bytes->resize(size);
  return encode_base64(*bytes, Base64::unpadded);
}

std::string with_params(std::string_view params) {
  return "$scrypt$" + std::string(params) + "$TmFDbA$" + k_checksum;
}

}  // namespace

TEST_CASE("scrypt backend: RFC 7914 vectors in passlib format", "[core][scrypt]") {
  // RFC 7914 section 12, the two small cases. scrypt's last step is PBKDF2
  // with one iteration, so the first 32 of the 64 output bytes are the
  // 32-byte output that passlib stores.
  struct Vector {
    std::string_view password;
    std::string_view salt;
    std::string_view params;
    std::string_view output_hex;
  };
  const std::vector<Vector> vectors{
      {"", "", "ln=4,r=1,p=1",
       "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
       "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
      {"password", "NaCl", "ln=10,r=8,p=16",
       "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
       "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
  };
  for (const auto& vector : vectors) {
    INFO(vector.params);
    auto output = decode_hex(vector.output_hex);
    REQUIRE(output);
    output->resize(32);
    const std::string stored = "$scrypt$" + std::string(vector.params) + "$" +
                               encode_base64(as_bytes(vector.salt), Base64::unpadded) + "$" +
                               encode_base64(*output, Base64::unpadded);
    CHECK(verifies(*k_backend, stored, vector.password));
    CHECK_FALSE(verifies(*k_backend, stored, std::string(vector.password) + "x"));
  }
}

TEST_CASE("scrypt backend: strings made with hashlib", "[core][scrypt]") {
  // Made with python3 hashlib.scrypt(password, salt=..., n=2^ln, r, p, dklen=32)
  // and written as passlib does: standard base64 without padding, so the
  // salt of the first keeps its '+' characters.
  CHECK(verifies(*k_backend, "$scrypt$ln=10,r=8,p=1$++++ABEiM0RVZneImaq7zA$"
                 "uHRMthEjBpVv1+keYhFwPGqvGwYyjB82Dori7+XdIps",
                 "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"));
  CHECK_FALSE(verifies(*k_backend, "$scrypt$ln=10,r=8,p=1$++++ABEiM0RVZneImaq7zA$"
                       "uHRMthEjBpVv1+keYhFwPGqvGwYyjB82Dori7+XdIps",
                       "p\xc3\xa4ssw\xc3\xb6rd"));
  CHECK(verifies(*k_backend, "$scrypt$ln=4,r=2,p=3$TmFDbA$" + k_checksum, "password"));
  CHECK_FALSE(verifies(*k_backend, "$scrypt$ln=4,r=2,p=3$TmFDbA$" + k_checksum, "Password"));
  // The same checksum under other parameters must not match.
  CHECK_FALSE(verifies(*k_backend, "$scrypt$ln=4,r=2,p=2$TmFDbA$" + k_checksum, "password"));
  CHECK_FALSE(verifies(*k_backend, "$scrypt$ln=5,r=2,p=3$TmFDbA$" + k_checksum, "password"));
}

TEST_CASE("scrypt backend: parse fills cost and params", "[core][scrypt]") {
  CHECK(k_backend->recognizes("$scrypt$ln=4,r=8,p=1$TmFDbA$" + k_checksum));
  CHECK_FALSE(k_backend->recognizes("$7$C6..../....SodiumChloride$x"));
  CHECK_FALSE(k_backend->recognizes("scrypt:32768:8:1$salt$x"));

  const auto parsed = k_backend->parse(with_params("ln=10,r=8,p=16"));
  REQUIRE(parsed);
  CHECK(parsed->algorithm == Algorithm::scrypt);
  CHECK(parsed->format == Format::passlib);
  CHECK(parsed->encoded == with_params("ln=10,r=8,p=16"));
  CHECK(parsed->cost.log2_rounds == 10);
  CHECK(parsed->cost.block_size == 8);
  CHECK(parsed->cost.parallelism == 16);
  CHECK(parsed->cost.memory_kib == 1042);  // 128 * 8 * (1024 + 16 + 2) bytes
  CHECK(parsed->cost.iterations == 0);
  CHECK(parsed->params ==
        std::vector<std::pair<std::string, std::string>>{{"ln", "10"}, {"r", "8"}, {"p", "16"}});
  CHECK(parsed->salt == std::vector<unsigned char>{'N', 'a', 'C', 'l'});
  CHECK(parsed->salt_size == 4);
  CHECK(parsed->digest.size() == 32);
  CHECK(parsed->digest_size == 32);
}

TEST_CASE("scrypt backend: memory cost saturates for huge N", "[core][scrypt]") {
  // hostile.jsonl X-053: ln=63 parses, and the engine's memory limit rejects it.
  const std::string stored = with_params("ln=63,r=8,p=1");
  const auto parsed = k_backend->parse(stored);
  REQUIRE(parsed);
  CHECK(parsed->cost.memory_kib == UINT64_MAX);

  const auto result = Engine().verify(as_bytes("password"), stored);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::limit_exceeded);
}

TEST_CASE("scrypt backend: parameters follow RFC 7914 and passlib", "[core][scrypt]") {
  const std::vector<std::string_view> malformed{
      "ln=0,r=8,p=1",            // N = 1
      "ln=64,r=8,p=1",           // N = 2^64
      "ln=99999999999999999999,r=8,p=1",
      "ln=16,r=1,p=1",           // N must be below 2^(16 * r)
      "ln=4,r=0,p=1",
      "ln=4,r=8,p=0",
      "ln=4,r=1073741824,p=1",   // r alone reaches 2^30
      "ln=12,r=8,p=1073741824",  // r * p far above 2^30
      "ln=4,r=32768,p=32768",    // r * p = 2^30 exactly
      "r=8,ln=4,p=1",            // wrong order
      "ln=4,p=1,r=8",
      "ln=4,ln=4,p=1",           // duplicate key
      "ln=4,r=8",                // missing key
      "ln=4,r=8,p=1,x=1",        // extra key
      "ln=4,r=8,p=1,",
      "ln=4, r=8,p=1",
      "ln=04,r=8,p=1",           // leading zero
      "ln=+4,r=8,p=1",
      "ln=,r=8,p=1",
      "LN=4,r=8,p=1",
      "N=16,r=8,p=1",
      "ln=4;r=8;p=1",
      "",
  };
  for (const auto params : malformed) {
    INFO(params);
    CHECK(parse_error(*k_backend, with_params(params)).code == ErrorCode::malformed_hash);
  }

  for (const auto params : {"ln=1,r=1,p=1", "ln=15,r=1,p=1", "ln=31,r=2,p=1",
                            "ln=4,r=32767,p=32768", "ln=63,r=4,p=1"}) {
    INFO(params);
    CHECK(k_backend->parse(with_params(params)));
  }
}

TEST_CASE("scrypt backend: salt and checksum are unpadded base64", "[core][scrypt]") {
  const std::vector<std::string> malformed{
      "$scrypt$ln=4,r=8,p=1$TmFDbA==$" + k_checksum,  // padding
      "$scrypt$ln=4,r=8,p=1$TmFD.A$" + k_checksum,    // '.' is not in passlib's alphabet here
      "$scrypt$ln=4,r=8,p=1$TmFD-A$" + k_checksum,    // URL-safe alphabet
      "$scrypt$ln=4,r=8,p=1$TmFDbA!$" + k_checksum,
      "$scrypt$ln=4,r=8,p=1$TmFDbB$" + k_checksum,    // non-zero trailing bits
      "$scrypt$ln=4,r=8,p=1$" + std::string(1368, 'A') + "$" + k_checksum,  // 1026 bytes
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + k_checksum + "=",
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + checksum_of_size(31),
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + checksum_of_size(33),
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + checksum_of_size(64),  // RFC 7914's dkLen, not passlib's
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + checksum_of_size(16),
      "$scrypt$ln=4,r=8,p=1$TmFDbA$",                  // empty checksum
      "$scrypt$ln=4,r=8,p=1$TmFDbA",                   // no checksum field
      "$scrypt$ln=4,r=8,p=1$TmFDbA$" + k_checksum + "$",
      "$scrypt$ln=4,r=8,p=1",
      "$scrypt$",
  };
  for (const auto& stored : malformed) {
    INFO(stored);
    CHECK(parse_error(*k_backend, stored).code == ErrorCode::malformed_hash);
  }

  CHECK(k_backend->parse("$scrypt$ln=4,r=8,p=1$$" + k_checksum));
  CHECK(k_backend->parse("$scrypt$ln=4,r=8,p=1$" + std::string(1364, 'A') + "$" + k_checksum));
}

TEST_CASE("scrypt backend: messages never contain the salt or checksum", "[core][scrypt]") {
  const auto short_checksum =
      parse_error(*k_backend, "$scrypt$ln=4,r=8,p=1$U2VjcmV0U2FsdA$bIGFqjoIFfiHreda");
  CHECK_THAT(short_checksum.message, !Catch::Contains("U2VjcmV0U2FsdA"));
  CHECK_THAT(short_checksum.message, !Catch::Contains("bIGFqjoIFfiHreda"));
  CHECK_THAT(short_checksum.message, Catch::Contains("checksum"));
}

TEST_CASE("scrypt backend: verify reports what libsodium cannot run", "[core][scrypt]") {
  // libsodium computes N up to 2^31 only.
  CHECK(verify_error(with_params("ln=32,r=8,p=1")).code == ErrorCode::unsupported);

  // Valid parameters whose 128 * N * r bytes exceed the address space: libsodium
  // returns -1 before allocating, which the backend reports as out of memory.
  CHECK(verify_error(with_params("ln=31,r=67108865,p=1")).code == ErrorCode::resource_exhausted);
}

TEST_CASE("scrypt backend: hash round-trips in passlib format", "[core][scrypt]") {
  REQUIRE(k_backend->creates(Algorithm::scrypt));
  CHECK_FALSE(k_backend->creates(Algorithm::yescrypt));

  const std::vector<unsigned char> salt(16, 0xfb);
  const auto stored = k_backend->hash(Algorithm::scrypt, {{"ln", 4}, {"r", 8}, {"p", 2}}, salt,
                                      as_bytes("correct horse battery staple"));
  REQUIRE(stored);
  CHECK(stored->starts_with("$scrypt$ln=4,r=8,p=2$" + encode_base64(salt, Base64::unpadded) + "$"));

  const auto parsed = k_backend->parse(*stored);
  REQUIRE(parsed);
  CHECK(parsed->salt == salt);
  CHECK(parsed->digest_size == 32);
  CHECK(verifies(*k_backend, *stored, "correct horse battery staple"));
  CHECK_FALSE(verifies(*k_backend, *stored, "correct horse battery stapler"));
}

TEST_CASE("scrypt backend: hash rejects parameters scrypt cannot run", "[core][scrypt]") {
  const std::vector<unsigned char> salt(16, 0x01);
  const std::vector<ParamMap> invalid{
      {{"ln", 16}, {"r", 1}, {"p", 1}},              // N not below 2^(16 * r)
      {{"ln", 4}, {"r", 1 << 20}, {"p", 1 << 20}},   // r * p above 2^30
      {{"ln", 32}, {"r", 8}, {"p", 1}},              // above libsodium's N
      {{"ln", 0}, {"r", 8}, {"p", 1}},
      {{"ln", 4}, {"r", 8}},                         // p missing
  };
  for (const auto& params : invalid) {
    const auto stored = k_backend->hash(Algorithm::scrypt, params, salt, as_bytes("x"));
    REQUIRE_FALSE(stored);
    CHECK(stored.error().code == ErrorCode::invalid_argument);
  }
}

TEST_CASE("scrypt backend: engine hashes and verifies through the registry", "[core][scrypt]") {
  Policy policy;
  policy.algorithm = Algorithm::scrypt;
  policy.params[Algorithm::scrypt] = {{"ln", 4}, {"r", 8}, {"p", 1}};
  const Engine engine(policy, Limits{});

  const auto stored = engine.hash(as_bytes("hunter2"));
  REQUIRE(stored);
  CHECK(stored->starts_with("$scrypt$ln=4,r=8,p=1$"));
  const auto right = engine.verify(as_bytes("hunter2"), *stored);
  REQUIRE(right);
  CHECK(right->match);
  CHECK_FALSE(right->needs_rehash);
  const auto wrong = engine.verify(as_bytes("hunter3"), *stored);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->match);
}

// Tests of the argon2 backend: reference vectors, both engines, PHC and Django parsing.
#include <catch2/catch.hpp>

#include <argon2.h>

#include <string>
#include <vector>

#include "argon2_backend.hpp"
#include "backend.hpp"
#include "encoding.hpp"

using namespace pwsvc;
using namespace std::literals;

namespace {

const Backend& backend() {
  static const auto instance = make_argon2_backend();
  return *instance;
}

ParsedHash parse_ok(std::string_view stored) {
  auto parsed = backend().parse(stored);
  INFO("hash: " << stored);
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

bool verify_ok(std::string_view stored, std::string_view password) {
  const ParsedHash parsed = parse_ok(stored);
  auto match = backend().verify(parsed, as_bytes(password));
  INFO("hash: " << stored);
  REQUIRE(match.has_value());
  return *match;
}

std::string hex_of(const SecretBytes& bytes) { return encode_hex(bytes.view()); }

std::vector<unsigned char> sixteen_byte_salt() {
  return {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
          0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
}

struct ReferenceVector {
  const char* hash;
  const char* password;
};

// From phc-winner-argon2 src/test.c, password "password" or
// "differentpassword", salt "somesalt", each also reproduced with the argon2
// CLI 20171227. The version 16 strings in test.c have no v= field, as here.
const ReferenceVector k_reference_vectors[] = {
    {"$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY",
     "password"},
    {"$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs",
     "password"},
    {"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
     "password"},
    {"$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8",
     "password"},
    {"$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E",
     "password"},
    {"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4",
     "differentpassword"},
    {"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
     "password"},
    {"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
     "password"},
    {"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "password"},
};

// A valid argon2id string to mutate in the rejection tests (the test.c
// vector above).
constexpr std::string_view k_valid =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
constexpr std::string_view k_salt_b64 = "c29tZXNhbHQ";
constexpr std::string_view k_tag_b64 = "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";

std::string with_params(std::string_view params) {
  return "$argon2id$v=19$" + std::string(params) + "$" + std::string(k_salt_b64) + "$" +
         std::string(k_tag_b64);
}

Argon2Params sodium_capable_params(Algorithm algorithm, const std::vector<unsigned char>& salt) {
  Argon2Params params;
  params.algorithm = algorithm;
  params.memory_kib = 64;
  params.iterations = 3;
  params.parallelism = 1;
  params.salt = salt;
  return params;
}

}  // namespace

TEST_CASE("argon2 backend: reference vectors verify", "[core][argon2]") {
  for (const auto& vector : k_reference_vectors) {
    CAPTURE(vector.hash);
    CHECK(verify_ok(vector.hash, vector.password));
    CHECK_FALSE(verify_ok(vector.hash, "passwore"));
  }
}

TEST_CASE("argon2 backend: raw tag matches reference hex", "[core][argon2]") {
  // phc-winner-argon2 src/test.c: Argon2i and Argon2id, t=2, m=256, p=1,
  // "password", "somesalt", 32-byte tag.
  const std::string salt = "somesalt";
  Argon2Params params;
  params.memory_kib = 256;
  params.iterations = 2;
  params.salt = as_bytes(salt);

  params.algorithm = Algorithm::argon2i;
  auto argon2i = derive_argon2(Argon2Engine::libargon2, params, as_bytes("password"));
  REQUIRE(argon2i.has_value());
  CHECK(hex_of(*argon2i) == "89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f");

  params.algorithm = Algorithm::argon2id;
  auto argon2id = derive_argon2(Argon2Engine::libargon2, params, as_bytes("password"));
  REQUIRE(argon2id.has_value());
  CHECK(hex_of(*argon2id) == "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe");

  params.version = 16;
  params.algorithm = Algorithm::argon2i;
  auto version16 = derive_argon2(Argon2Engine::libargon2, params, as_bytes("password"));
  REQUIRE(version16.has_value());
  CHECK(hex_of(*version16) == "fd4dd83d762c49bdeaf57c47bdcd0c2f1babf863fdeb490df63ede9975fccf06");
}

TEST_CASE("argon2 backend: argon2d verifies", "[core][argon2]") {
  // Made with the argon2 CLI (Debian argon2 0~20171227):
  // echo -n password | argon2 somesalt -d -t 2 -k 256 -p 1 [-v 10] -e
  const std::string version19 =
      "$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$JcTui6RIBUtJ78gE5Hi52CO+H5vS6Z9R1uxAB6OhUB8";
  const std::string version16 =
      "$argon2d$v=16$m=256,t=2,p=1$c29tZXNhbHQ$vUBIaP8AxS51Q8gzLmp3KlckiS1+Mo1c8lO7yOcms3E";
  CHECK(parse_ok(version19).algorithm == Algorithm::argon2d);
  CHECK(verify_ok(version19, "password"));
  CHECK(verify_ok(version16, "password"));
  CHECK_FALSE(verify_ok(version19, "Password"));
}

TEST_CASE("argon2 backend: libsodium output verifies", "[core][argon2]") {
  // tests/vectors/interop.jsonl D-0040 and D-0064, made with libsodium 1.0.18
  // crypto_pwhash_argon2i_str and crypto_pwhash_argon2id_str; both take the
  // libsodium engine.
  const std::string argon2i =
      "$argon2i$v=19$m=8192,t=3,p=1$dPcKCVjAFYoLJhvy4BcqxQ$"
      "9BT4PJ1D4K9PrX1NwQz44PzyF/HRrS0feOxyia68bXA";
  const std::string argon2id =
      "$argon2id$v=19$m=8192,t=2,p=1$HC3DcttbnlXVQpL4IP3z+Q$"
      "0S9ENoOn1POcbA9y/Uh03Ai1nqK9nSzDnn2DpZkFUaI";
  CHECK(verify_ok(argon2i, "  pa ss:wo$rd:  "));
  CHECK(verify_ok(argon2id, "correct horse battery staple"));
  CHECK_FALSE(verify_ok(argon2id, "correct horse battery staple "));
}

TEST_CASE("argon2 backend: engines give the same tag", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  for (const Algorithm algorithm : {Algorithm::argon2id, Algorithm::argon2i}) {
    for (const std::uint32_t memory : {8u, 101u, 1024u}) {
      for (const std::size_t tag_size : {std::size_t{16}, std::size_t{32}, std::size_t{77}}) {
        for (const std::string_view password : {""sv, "password"sv, "p\xc3\xa4ss\x00w\xff"sv}) {
          Argon2Params params = sodium_capable_params(algorithm, salt);
          params.memory_kib = memory;
          params.tag_size = tag_size;
          CAPTURE(algorithm_name(algorithm), memory, tag_size, password.size());
          REQUIRE(libsodium_supports(params));

          auto sodium = derive_argon2(Argon2Engine::libsodium, params, as_bytes(password));
          auto reference = derive_argon2(Argon2Engine::libargon2, params, as_bytes(password));
          REQUIRE(sodium.has_value());
          REQUIRE(reference.has_value());
          CHECK(sodium->size() == tag_size);
          CHECK(hex_of(*sodium) == hex_of(*reference));
        }
      }
    }
  }
}

TEST_CASE("argon2 backend: thread count leaves tag unchanged", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  Argon2Params params = sodium_capable_params(Algorithm::argon2id, salt);
  params.parallelism = 4;
  params.memory_kib = 256;

  auto single = derive_argon2_threads(params, as_bytes("password"), 1);
  REQUIRE(single.has_value());
  for (const std::uint32_t threads : {2u, 4u, 9u}) {
    CAPTURE(threads);
    auto threaded = derive_argon2_threads(params, as_bytes("password"), threads);
    REQUIRE(threaded.has_value());
    CHECK(hex_of(*threaded) == hex_of(*single));
  }
}

TEST_CASE("argon2 backend: engine choice", "[core][argon2]") {
  const auto salt16 = sixteen_byte_salt();
  const std::vector<unsigned char> salt8(8, 0x5a);
  const Argon2Params base = sodium_capable_params(Algorithm::argon2id, salt16);
  CHECK(choose_engine(base) == Argon2Engine::libsodium);

  Argon2Params argon2i = base;
  argon2i.algorithm = Algorithm::argon2i;
  CHECK(choose_engine(argon2i) == Argon2Engine::libsodium);
  argon2i.iterations = 2;
  CHECK(choose_engine(argon2i) == Argon2Engine::libargon2);

  Argon2Params changed = base;
  changed.parallelism = 2;
  CHECK(choose_engine(changed) == Argon2Engine::libargon2);
  changed = base;
  changed.version = 16;
  CHECK(choose_engine(changed) == Argon2Engine::libargon2);
  changed = base;
  changed.salt = salt8;
  CHECK(choose_engine(changed) == Argon2Engine::libargon2);
  changed = base;
  changed.algorithm = Algorithm::argon2d;
  CHECK(choose_engine(changed) == Argon2Engine::libargon2);
  changed = base;
  changed.tag_size = 15;
  CHECK(choose_engine(changed) == Argon2Engine::libargon2);
}

TEST_CASE("argon2 backend: libsodium engine rejects p=2", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  Argon2Params params = sodium_capable_params(Algorithm::argon2id, salt);
  params.parallelism = 2;
  auto tag = derive_argon2(Argon2Engine::libsodium, params, as_bytes("password"));
  REQUIRE_FALSE(tag.has_value());
  CHECK(tag.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("argon2 backend: derive rejects invalid parameters", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  const std::vector<unsigned char> short_salt(7, 1);
  const Argon2Params base = sodium_capable_params(Algorithm::argon2id, salt);
  std::vector<Argon2Params> cases(7, base);
  cases[0].algorithm = Algorithm::scrypt;
  cases[1].version = 17;
  cases[2].parallelism = 0;
  cases[3].iterations = 0;
  cases[4].memory_kib = 15;
  cases[4].parallelism = 2;
  cases[5].salt = short_salt;
  cases[6].tag_size = 3;

  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const Argon2Engine engine : {Argon2Engine::libsodium, Argon2Engine::libargon2}) {
      CAPTURE(i, engine == Argon2Engine::libsodium);
      auto tag = derive_argon2(engine, cases[i], as_bytes("password"));
      REQUIRE_FALSE(tag.has_value());
      CHECK(tag.error().code == ErrorCode::invalid_argument);
    }
  }
}

TEST_CASE("argon2 backend: library errors keep their kind", "[core][argon2]") {
  CHECK(argon2_library_error(ARGON2_MEMORY_ALLOCATION_ERROR).code ==
        ErrorCode::resource_exhausted);
  CHECK(argon2_library_error(ARGON2_THREAD_FAIL).code == ErrorCode::resource_exhausted);
  CHECK(argon2_library_error(ARGON2_INCORRECT_TYPE).code == ErrorCode::internal);
  CHECK(argon2_library_error(ARGON2_DECODING_FAIL).code == ErrorCode::internal);
}

TEST_CASE("argon2 backend: parse fills the fields", "[core][argon2]") {
  const ParsedHash parsed = parse_ok(k_valid);
  CHECK(parsed.algorithm == Algorithm::argon2id);
  CHECK(parsed.format == Format::phc);
  CHECK(parsed.encoded == k_valid);
  CHECK(parsed.version == 19);
  CHECK(parsed.cost.memory_kib == 256);
  CHECK(parsed.cost.iterations == 2);
  CHECK(parsed.cost.parallelism == 1);
  CHECK(parsed.cost.log2_rounds == 0);
  CHECK(parsed.cost.block_size == 0);
  CHECK(parsed.salt == std::vector<unsigned char>{'s', 'o', 'm', 'e', 's', 'a', 'l', 't'});
  CHECK(parsed.salt_size == 8);
  CHECK(parsed.digest.size() == 32);
  CHECK(parsed.digest_size == 32);
  using Params = std::vector<std::pair<std::string, std::string>>;
  CHECK(parsed.params == Params{{"v", "19"}, {"m", "256"}, {"t", "2"}, {"p", "1"}});
}

TEST_CASE("argon2 backend: node parameter order m,p,t", "[core][argon2]") {
  // tests/vectors/interop.jsonl D-0068, made with node-argon2 0.45.1.
  const std::string stored =
      "$argon2id$v=19$m=8192,p=1,t=2$xka/QQG8bgmGjZ8FZWBgDA$"
      "NC9c9rYo5LWiq/wrZt9vj5gpeqADHCcbIhr80PeeKkE";
  const ParsedHash parsed = parse_ok(stored);
  using Params = std::vector<std::pair<std::string, std::string>>;
  CHECK(parsed.params == Params{{"v", "19"}, {"m", "8192"}, {"t", "2"}, {"p", "1"}});
  CHECK(verify_ok(stored, "correct horse battery staple"));

  // Every order of m, t and p parses to the same costs.
  for (const std::string_view order : {"t=2,m=256,p=1", "p=1,t=2,m=256", "t=2,p=1,m=256"}) {
    const ParsedHash reordered = parse_ok(with_params(order));
    CHECK(reordered.cost.memory_kib == 256);
    CHECK(reordered.cost.iterations == 2);
    CHECK(reordered.cost.parallelism == 1);
    CHECK(reordered.params == Params{{"v", "19"}, {"m", "256"}, {"t", "2"}, {"p", "1"}});
  }
}

TEST_CASE("argon2 backend: missing v means version 16", "[core][argon2]") {
  // phc-winner-argon2 src/test.c, ARGON2_VERSION_10 case with m=256, t=2, p=1.
  const std::string tail = "$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY";
  const std::string without = "$argon2i$m=256,t=2,p=1" + tail;
  const std::string with = "$argon2i$v=16$m=256,t=2,p=1" + tail;
  const ParsedHash parsed = parse_ok(without);
  CHECK(parsed.version == 16);
  REQUIRE_FALSE(parsed.params.empty());
  CHECK(parsed.params.front() == std::pair<std::string, std::string>{"v", "16"});
  CHECK(verify_ok(without, "password"));
  CHECK(verify_ok(with, "password"));

  // The same tag read as version 19 must not match.
  const std::string as_19 = "$argon2i$v=19$m=256,t=2,p=1" + tail;
  CHECK_FALSE(verify_ok(as_19, "password"));
}

TEST_CASE("argon2 backend: Django prefix", "[core][argon2]") {
  // Django's Argon2PasswordHasher stores "argon2" followed by the PHC string.
  const std::string stored = "argon2" + std::string(k_valid);
  REQUIRE(backend().recognizes(stored));
  const ParsedHash parsed = parse_ok(stored);
  CHECK(parsed.format == Format::django);
  CHECK(parsed.algorithm == Algorithm::argon2id);
  CHECK(parsed.encoded == stored);
  CHECK(verify_ok(stored, "password"));
  CHECK_FALSE(verify_ok(stored, "passwore"));

  for (const std::string& bad : {"argon2$" + std::string(k_valid), std::string("argon2$bcrypt$x"),
                                std::string("argon2$")}) {
    CAPTURE(bad);
    auto rejected = backend().parse(bad);
    REQUIRE_FALSE(rejected.has_value());
    CHECK(rejected.error().code == ErrorCode::malformed_hash);
  }
}

TEST_CASE("argon2 backend: recognizes its prefixes", "[core][argon2]") {
  for (const std::string_view stored : {"$argon2id$", "$argon2i$", "$argon2d$", "$Argon2id$",
                                        "$ARGON2I$", "argon2$argon2id$", "$argon2x$"}) {
    CAPTURE(stored);
    CHECK(backend().recognizes(stored));
  }
  for (const std::string_view stored : {"$2b$10$", "$argon", "argon2", "Argon2$argon2id$",
                                        "pbkdf2_sha256$", "$scrypt$", "x$argon2id$"}) {
    CAPTURE(stored);
    CHECK_FALSE(backend().recognizes(stored));
  }
}

TEST_CASE("argon2 backend: rejects malformed hashes", "[core][argon2]") {
  struct Case {
    std::string stored;
    std::string message;  // a fragment the error message must contain
  };
  const std::string salt(k_salt_b64);
  const std::string tag(k_tag_b64);
  const std::string params = "m=256,t=2,p=1";
  const std::vector<Case> cases = {
      {"$Argon2id$v=19$" + params + "$" + salt + "$" + tag, "lowercase"},
      {"$ARGON2D$v=19$" + params + "$" + salt + "$" + tag, "lowercase"},
      {"$argon2x$v=19$" + params + "$" + salt + "$" + tag, "unknown variant"},
      {"$argon2$v=19$" + params + "$" + salt + "$" + tag, "unknown variant"},
      {"$argon2id$v=19$" + params + "$" + salt, "tag field is missing"},
      {"$argon2id$v=19$" + params, "salt and tag fields are missing"},
      {"$argon2id$v=19", "parameter, salt and tag fields are missing"},
      {"$argon2id$v=19$" + params + "$" + salt + "$" + tag + "$", "too many"},
      {"$argon2id$v=20$" + params + "$" + salt + "$" + tag, "v=20 is unknown"},
      {"$argon2id$v=13$" + params + "$" + salt + "$" + tag, "v=13 is unknown"},
      {"$argon2id$v=019$" + params + "$" + salt + "$" + tag, "version v must be a decimal"},
      {"$argon2id$v=$" + params + "$" + salt + "$" + tag, "version v must be a decimal"},
      {"$argon2id$v=1e1$" + params + "$" + salt + "$" + tag, "version v must be a decimal"},
      {with_params("t=2,p=1"), "parameter m is missing"},
      {with_params("m=256,p=1"), "parameter t is missing"},
      {with_params("m=256,t=2"), "parameter p is missing"},
      {with_params(""), "m=<KiB>,t=<passes>,p=<lanes>"},
      {with_params("m=256,m=256,t=2,p=1"), "m appears more than once"},
      {with_params("m=256,t=2,t=2,p=1"), "t appears more than once"},
      {with_params("m=256,t=2,p=1,p=1"), "p appears more than once"},
      {with_params("m=256,t=2,p=1,x=1"), "unknown parameter"},
      {with_params("m=256,t=2,p=1,v=19"), "unknown parameter"},
      {with_params("M=256,t=2,p=1"), "unknown parameter"},
      {with_params("m=256,t=2,p"), "m=<KiB>,t=<passes>,p=<lanes>"},
      {with_params("m=256,t=2,=1"), "m=<KiB>,t=<passes>,p=<lanes>"},
      {with_params("m=256,t=2,p=1,"), "m=<KiB>,t=<passes>,p=<lanes>"},
      {with_params("m=256 ,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=-8192,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=+8192,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=0256,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=256,t=0x2,p=1"), "parameter t must be a decimal"},
      {with_params("m=4294967296,t=2,p=1"), "m=4294967296 exceeds the maximum of 4294967295"},
      {with_params("m=99999999999999999999,t=2,p=1"), "parameter m must be a decimal"},
      {with_params("m=256,t=4294967296,p=1"), "t=4294967296 exceeds the maximum"},
      {with_params("m=256,t=2,p=16777216"), "p=16777216 exceeds the maximum of 16777215"},
      {with_params("m=256,t=0,p=1"), "time cost t=0"},
      {with_params("m=256,t=2,p=0"), "parallelism p=0"},
      {with_params("m=7,t=2,p=1"), "m=7 is below the minimum of 8 * p = 8"},
      {with_params("m=15,t=2,p=2"), "m=15 is below the minimum of 8 * p = 16"},
      {"$argon2id$v=19$" + params + "$c2FsdA$" + tag, "salt is 4 bytes long; the minimum is 8"},
      {"$argon2id$v=19$" + params + "$c2FsdHNhbA$" + tag, "salt is 7 bytes long"},
      {"$argon2id$v=19$" + params + "$$" + tag, "salt is 0 bytes long"},
      {"$argon2id$v=19$" + params + "$c29tZXNhbHQ=$" + tag, "salt ends with '=' padding"},
      {"$argon2id$v=19$" + params + "$c29tZXNhbH!$" + tag, "salt is not valid unpadded base64"},
      {"$argon2id$v=19$" + params + "$c29tZXNhbHR$" + tag, "salt is not valid unpadded base64"},
      {"$argon2id$v=19$" + params + "$c29tZX-hbHQ$" + tag, "salt is not valid unpadded base64"},
      {"$argon2id$v=19$" + params + "$" + salt + "$AAAA", "tag is 3 bytes long; the minimum is 4"},
      {"$argon2id$v=19$" + params + "$" + salt + "$", "tag is 0 bytes long"},
      {"$argon2id$v=19$" + params + "$" + salt + "$" + tag + "=", "tag ends with '=' padding"},
      {"$argon2id$v=19$" + params + "$" + salt + "$" + tag.substr(0, 41),
       "tag is not valid unpadded base64"},
      {"$argon2id$v=19$" + params + "$" + salt + "$" + tag.substr(0, 33),
       "tag is not valid unpadded base64"},
      {"$argon2id$v=19$" + params + "$" + salt + "$" + tag.substr(0, 42) + "5",
       "tag is not valid unpadded base64"},
  };

  for (const auto& [stored, message] : cases) {
    CAPTURE(stored);
    REQUIRE(backend().recognizes(stored));
    auto parsed = backend().parse(stored);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::malformed_hash);
    CHECK_THAT(parsed.error().message, Catch::Contains(message));
    CHECK_THAT(parsed.error().message, !Catch::Contains(salt) && !Catch::Contains("c2Fsd"));
    CHECK_THAT(parsed.error().message, !Catch::Contains(tag.substr(0, 8)));
  }
}

TEST_CASE("argon2 backend: data is unsupported", "[core][argon2]") {
  for (const std::string_view extra : {",data=ZGF0YQ", ",keyid=a2V5,data=ZGF0YQ"}) {
    const std::string stored = with_params("m=256,t=2,p=1" + std::string(extra));
    CAPTURE(stored);
    auto parsed = backend().parse(stored);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::unsupported);
    CHECK_THAT(parsed.error().message, Catch::Contains("not supported"));
  }
}

TEST_CASE("argon2 backend: keyid names a pepper key", "[core][argon2]") {
  // "a2V5" is base64 of "key".
  auto parsed = backend().parse(with_params("m=256,t=2,p=1,keyid=a2V5"));
  REQUIRE(parsed.has_value());
  CHECK(parsed->key_id == "key");

  auto bad = backend().parse(with_params("m=256,t=2,p=1,keyid=a2V5IHdpdGggc3BhY2U"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::malformed_hash);
}

TEST_CASE("argon2 backend: hash then verify", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  const std::string salt_b64 = encode_base64(salt, Base64::unpadded);
  const ParamMap params{{"m", 64}, {"t", 3}, {"p", 1}};

  for (const Algorithm algorithm : {Algorithm::argon2id, Algorithm::argon2i}) {
    CAPTURE(algorithm_name(algorithm));
    REQUIRE(backend().creates(algorithm));
    auto stored = backend().hash(algorithm, params, salt, as_bytes("hunter2"));
    REQUIRE(stored.has_value());
    std::string prefix(1, '$');
    prefix += algorithm_name(algorithm);
    prefix += "$v=19$m=64,t=3,p=1$" + salt_b64 + "$";
    CHECK(stored->starts_with(prefix));
    CHECK(stored->size() == prefix.size() + 43);  // a 32-byte tag in unpadded base64

    const ParsedHash parsed = parse_ok(*stored);
    CHECK(parsed.algorithm == algorithm);
    CHECK(parsed.digest_size == 32);
    CHECK(verify_ok(*stored, "hunter2"));
    CHECK_FALSE(verify_ok(*stored, "hunter3"));
    CHECK_FALSE(verify_ok(*stored, ""));
  }
}

TEST_CASE("argon2 backend: hash output matches libargon2", "[core][argon2]") {
  // The policy's default cost takes libsodium, while p=2 and argon2i with
  // t=2 take libargon2. Each result must equal what libargon2's encoder writes.
  const auto salt = sixteen_byte_salt();
  struct Case {
    Algorithm algorithm;
    ParamMap params;
  };
  const std::vector<Case> cases = {
      {Algorithm::argon2id, {{"m", 19456}, {"t", 2}, {"p", 1}}},
      {Algorithm::argon2id, {{"m", 256}, {"t", 2}, {"p", 2}}},
      {Algorithm::argon2i, {{"m", 256}, {"t", 2}, {"p", 1}}},
  };
  for (const auto& [algorithm, params] : cases) {
    CAPTURE(algorithm_name(algorithm), params.at("m"), params.at("p"));
    auto stored = backend().hash(algorithm, params, salt, as_bytes("password"));
    REQUIRE(stored.has_value());

    std::string expected(128, '\0');
    const auto type = algorithm == Algorithm::argon2id ? Argon2_id : Argon2_i;
    REQUIRE(argon2_hash(static_cast<std::uint32_t>(params.at("t")),
                        static_cast<std::uint32_t>(params.at("m")),
                        static_cast<std::uint32_t>(params.at("p")), "password", 8, salt.data(),
                        salt.size(), nullptr, 32, expected.data(), expected.size(), type,
                        ARGON2_VERSION_13) == ARGON2_OK);
    expected.resize(expected.find('\0'));
    CHECK(*stored == expected);
  }
}

TEST_CASE("argon2 backend: hash rejects bad requests", "[core][argon2]") {
  const auto salt = sixteen_byte_salt();
  const std::vector<unsigned char> short_salt(4, 7);
  const ParamMap good{{"m", 64}, {"t", 2}, {"p", 1}};

  auto argon2d = backend().hash(Algorithm::argon2d, good, salt, as_bytes("pw"));
  REQUIRE_FALSE(argon2d.has_value());
  CHECK(argon2d.error().code == ErrorCode::unsupported);
  CHECK_FALSE(backend().creates(Algorithm::argon2d));
  CHECK_FALSE(backend().creates(Algorithm::scrypt));

  const std::vector<ParamMap> bad_params = {
      {{"t", 2}, {"p", 1}},
      {{"m", 64}, {"p", 1}},
      {{"m", 64}, {"t", 2}},
      {{"m", 15}, {"t", 2}, {"p", 2}},
      {{"m", 64}, {"t", 0}, {"p", 1}},
      {{"m", 64}, {"t", 2}, {"p", 0}},
      {{"m", 1ull << 32}, {"t", 2}, {"p", 1}},
      {{"m", 64}, {"t", 1ull << 32}, {"p", 1}},
      {{"m", 1ull << 30}, {"t", 2}, {"p", 1ull << 24}},
  };
  for (std::size_t i = 0; i < bad_params.size(); ++i) {
    CAPTURE(i);
    auto stored = backend().hash(Algorithm::argon2id, bad_params[i], salt, as_bytes("pw"));
    REQUIRE_FALSE(stored.has_value());
    CHECK(stored.error().code == ErrorCode::invalid_argument);
  }

  auto salted = backend().hash(Algorithm::argon2id, good, short_salt, as_bytes("pw"));
  REQUIRE_FALSE(salted.has_value());
  CHECK(salted.error().code == ErrorCode::invalid_argument);
}

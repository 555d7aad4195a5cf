// Tests of the crypt backend: bcrypt, yescrypt, $7$ scrypt, sha-crypt and md5crypt.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backend.hpp"
#include "pwsvc/engine.hpp"

using namespace pwsvc;

namespace {

const Backend& backend() {
  static const auto instance = make_crypt_backend();
  return *instance;
}

// Parses `stored` and verifies `password` against it.
Result<bool> check(std::string_view password, std::string_view stored) {
  const auto parsed = backend().parse(stored);
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  return backend().verify(*parsed, as_bytes(password));
}

// Returns the code parse() fails with, or nothing when it succeeds.
std::optional<ErrorCode> parse_error(std::string_view stored) {
  const auto parsed = backend().parse(stored);
  return parsed ? std::nullopt : std::optional(parsed.error().code);
}

struct Vector {
  std::string password;
  std::string stored;
};

void check_vectors(const std::vector<Vector>& vectors) {
  for (const auto& vector : vectors) {
    INFO(vector.stored);
    const auto match = check(vector.password, vector.stored);
    REQUIRE(match);
    CHECK(*match);

    const auto mismatch = check(vector.password + "x", vector.stored);
    REQUIRE(mismatch);
    CHECK_FALSE(*mismatch);
  }
}

void check_malformed(const std::vector<std::string>& hashes) {
  for (const auto& stored : hashes) {
    INFO(stored);
    CHECK(parse_error(stored) == ErrorCode::malformed_hash);
  }
}

// A valid bcrypt hash: crypt_blowfish's "U*U" vector.
const std::string k_bcrypt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
const std::string k_bcrypt64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const std::string k_crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// yescrypt hashes of "correct horse" made with `mkpasswd -m yescrypt -R N`
// (whois 5.5.17, libxcrypt 4.4.33 on Debian 12).
const std::string k_yescrypt_r1 =
    "$y$j75$Zti8epn7HggRfGT80cOL70$Dx0oTquYANWbailQpM8pO8u5XmaKDXZPN0qpW50if74";
const std::string k_yescrypt_r2 =
    "$y$j85$ugQDH0VovNWVCNMStbXMa.$FrIDly7Vp64yuj3os9Jz9XSB1Y2tOOy/5m1lOBHtN90";
const std::string k_yescrypt_r3 =
    "$y$j7T$seU4TmU5ydpmt7Biw1jot.$npgfwqA7ikVZxp6Ht4K7TpMtfe2UcFZhb12J02TdA47";
const std::string k_yescrypt_r5 =
    "$y$j9T$ZP17UG3bRq/3bH5HBglI2/$Z4FIUQlMUvKOhFnfx77fypncPpvB1iba6f5tQC3UMR9";
const std::string k_yescrypt_r7 =
    "$y$jBT$m3X3Buxt3tsIKrMEsUfsA0$cAItR1z7nsBA7QFr3VvNVhOd2sqgdi49UxFZ7hiiS70";
const std::string k_yescrypt_r11 =
    "$y$jFT$o775e.ST/IDtSUUDLWT//0$1k6DkjkPqbc6PKQk6nuLdg2kDILZTwvWCJYEeot1Fr6";

// The yescrypt salt and hash fields, for building parameter fields around them.
const std::string k_yescrypt_tail =
    "$Zti8epn7HggRfGT80cOL70$Dx0oTquYANWbailQpM8pO8u5XmaKDXZPN0qpW50if74";

// A $7$ hash of "correct horse" made with `mkpasswd -m scrypt -R 6`.
const std::string k_scrypt_r6 =
    "$7$BU..../....qeaLbwjmnh/AEWikO/mRw1$CXNUGOwxSoeJfbHDvMvkPMm8jVLL78rtar6dwm1ajw9";
const std::string k_scrypt_hash_field = "$tSMlGGJObSpw4fxFU0XdiTTL6AME5zBeOshy1hbSSQ1";

const std::string k_sha512_hello =
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS"
    "35inz1";
const std::string k_sha512_checksum =
    "svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
const std::string k_sha256_checksum = "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

}  // namespace

TEST_CASE("crypt backend: recognizes its prefixes only", "[core][crypt]") {
  for (const char* stored : {"$2a$05$", "$2b$", "$2y$", "$2c$", "$2$04$", "$y$j9T$", "$7$C6",
                             "$6$salt$", "$5$salt$", "$1$salt$"}) {
    INFO(stored);
    CHECK(backend().recognizes(stored));
  }
  for (const char* stored : {"$apr1$salt$", "$argon2id$", "$scrypt$", "$pbkdf2-sha256$", "$2",
                             "$2ab$", "$3$", "$md5$", "{SSHA}x", "1$salt$"}) {
    INFO(stored);
    CHECK_FALSE(backend().recognizes(stored));
  }
}

TEST_CASE("crypt backend: verifies crypt_blowfish bcrypt vectors", "[core][crypt]") {
  // crypt_blowfish's test vectors (Openwall), as BouncyCastle's
  // OpenBsdBCryptTest and bcrypt_elixir's tests reproduce them. The $2b$ and
  // $2y$ copies of the \xa3 row were checked with libxcrypt 4.4.33.
  check_vectors({
      {"U*U", k_bcrypt},
      {"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"},
      {"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"},
      {"", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"},
      {"\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
      {"\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
      {"\xff\xa3" "345", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e"},
  });

  // Only the first 72 bytes count, so both passwords match the same hash.
  const std::string stored = "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui";
  const std::string key72 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  CHECK(check(key72, stored) == true);
  CHECK(check(key72 + "chars after 72 are ignored", stored) == true);
  CHECK(check(key72.substr(0, 71), stored) == false);
}

TEST_CASE("crypt backend: parses bcrypt cost and variant", "[core][crypt]") {
  const auto parsed = backend().parse("$2y$10$Lcl36RE2G1oRENc2d/Y/y.67dQ8aOjF5QHRLOkn41lBLlFHYkjPGS");
  REQUIRE(parsed);
  CHECK(parsed->algorithm == Algorithm::bcrypt);
  CHECK(parsed->format == Format::crypt);
  CHECK(parsed->cost.log2_rounds == 10);
  CHECK(parsed->salt_size == 16);
  CHECK(parsed->digest_size == 23);
  using Params = std::vector<std::pair<std::string, std::string>>;
  CHECK(parsed->params == Params{{"variant", "2y"}, {"cost", "10"}});

  const auto highest = backend().parse("$2b$31" + k_bcrypt.substr(6));
  REQUIRE(highest);
  CHECK(highest->cost.log2_rounds == 31);
}

TEST_CASE("crypt backend: rejects malformed bcrypt hashes", "[core][crypt]") {
  const std::string salt_and_checksum = k_bcrypt.substr(7);
  check_malformed({
      "$2b$4$" + salt_and_checksum,
      "$2b$004$" + salt_and_checksum,
      "$2b$03$" + salt_and_checksum,
      "$2b$32$" + salt_and_checksum,
      "$2b$0a$" + salt_and_checksum,
      "$2b$$" + salt_and_checksum,
      "$2b$05" + salt_and_checksum,
      "$2b$05$" + salt_and_checksum + "$",
      "$2b$05$" + salt_and_checksum.substr(0, 22),
      k_bcrypt.substr(0, 59),
      k_bcrypt + "e",
      k_bcrypt.substr(0, 59) + "+",
      k_bcrypt.substr(0, 59) + "=",
      k_bcrypt.substr(0, 7) + "CCCCCCCCCCCCCCCCCCCC!." + k_bcrypt.substr(29),
  });
}

TEST_CASE("crypt backend: bcrypt salt and checksum must end canonically", "[core][crypt]") {
  // 16 salt bytes leave the low 4 bits of the 22nd character spare, and 23
  // checksum bytes the low 2 bits of the 31st. Implementations disagree on
  // spare bits that are set, so such hashes are rejected.
  for (char c : k_bcrypt64) {
    INFO(c);
    const std::string salt_end = k_bcrypt.substr(0, 28) + c + k_bcrypt.substr(29);
    const bool salt_canonical = std::string(".Oeu").find(c) != std::string::npos;
    CHECK(parse_error(salt_end) ==
          (salt_canonical ? std::nullopt : std::optional(ErrorCode::malformed_hash)));

    const std::string checksum_end = k_bcrypt.substr(0, 59) + c;
    const bool checksum_canonical = k_bcrypt64.find(c) % 4 == 0;
    CHECK(parse_error(checksum_end) ==
          (checksum_canonical ? std::nullopt : std::optional(ErrorCode::malformed_hash)));
  }
}

TEST_CASE("crypt backend: other bcrypt versions are unsupported", "[core][crypt]") {
  const std::string rest = k_bcrypt.substr(3);
  CHECK(parse_error("$2" + rest) == ErrorCode::unsupported);
  for (const char* prefix : {"$2c", "$2x", "$2B", "$2z"}) {
    INFO(prefix);
    CHECK(parse_error(prefix + rest) == ErrorCode::unsupported);
  }
}

TEST_CASE("crypt backend: bcrypt round-trips at cost 4", "[core][crypt]") {
  REQUIRE(backend().creates(Algorithm::bcrypt));
  const std::vector<unsigned char> salt(16, 0x5a);
  const auto hashed = backend().hash(Algorithm::bcrypt, {{"cost", 4}}, salt,
                                     as_bytes("correct horse"));
  REQUIRE(hashed);
  CHECK(hashed->starts_with("$2b$04$"));
  CHECK(hashed->size() == 60);

  CHECK(check("correct horse", *hashed) == true);
  CHECK(check("correct horsf", *hashed) == false);
  CHECK(check("", *hashed) == false);

  // The same salt and password give the same hash.
  CHECK(backend().hash(Algorithm::bcrypt, {{"cost", 4}}, salt, as_bytes("correct horse")) ==
        *hashed);
}

TEST_CASE("crypt backend: bcrypt hash rejects long and NUL passwords", "[core][crypt]") {
  const std::vector<unsigned char> salt(16, 1);
  const ParamMap params{{"cost", 4}};

  const std::string long_password(73, 'a');
  auto hashed = backend().hash(Algorithm::bcrypt, params, salt, as_bytes(long_password));
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(hashed.error().message, Catch::Contains("72"));

  const std::string with_nul("abc\0def", 7);
  hashed = backend().hash(Algorithm::bcrypt, params, salt, as_bytes(with_nul));
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(hashed.error().message, Catch::Contains("NUL"));

  // 72 bytes are accepted, and verifying with more still matches.
  const std::string password72(72, 'p');
  hashed = backend().hash(Algorithm::bcrypt, params, salt, as_bytes(password72));
  REQUIRE(hashed);
  CHECK(check(password72 + "tail", *hashed) == true);
}

TEST_CASE("crypt backend: bcrypt hash validates cost and salt", "[core][crypt]") {
  const std::vector<unsigned char> salt(16, 1);
  const ByteView password = as_bytes("pw");
  for (const ParamMap& params : {ParamMap{{"cost", 3}}, ParamMap{{"cost", 32}}, ParamMap{}}) {
    const auto hashed = backend().hash(Algorithm::bcrypt, params, salt, password);
    REQUIRE_FALSE(hashed);
    CHECK(hashed.error().code == ErrorCode::invalid_argument);
  }

  const std::vector<unsigned char> short_salt(15, 1);
  const auto hashed = backend().hash(Algorithm::bcrypt, {{"cost", 4}}, short_salt, password);
  REQUIRE_FALSE(hashed);
  CHECK(hashed.error().code == ErrorCode::invalid_argument);

  CHECK_FALSE(backend().creates(Algorithm::sha512_crypt));
  const auto other = backend().hash(Algorithm::sha512_crypt, {{"rounds", 5000}}, salt, password);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::unsupported);
}

TEST_CASE("crypt backend: verifies Drepper sha-crypt vectors", "[core][crypt]") {
  // Test vectors of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
  // specification, as other implementations' test suites reproduce them and
  // libxcrypt 4.4.33 computes them. Salts past 16 characters are cut, and the
  // hash stores the cut salt.
  check_vectors({
      {"Hello world!", "$5$saltstring$" + k_sha256_checksum},
      {"Hello world!",
       "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
      {"This is just a test",
       "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
      {"the minimum number is still observed",
       "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
      {"Hello world!", k_sha512_hello},
      {"Hello world!",
       "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vO"
       "uZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
      {"This is just a test",
       "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1y"
       "xdYcz/e1JSbq3y6JMxxl8audkUEm0"},
  });
}

TEST_CASE("crypt backend: parses sha-crypt rounds", "[core][crypt]") {
  const auto implicit = backend().parse(k_sha512_hello);
  REQUIRE(implicit);
  CHECK(implicit->algorithm == Algorithm::sha512_crypt);
  CHECK(implicit->cost.iterations == 5000);
  CHECK(implicit->salt_size == 10);
  CHECK(implicit->digest_size == 64);
  using Params = std::vector<std::pair<std::string, std::string>>;
  CHECK(implicit->params == Params{{"rounds", "5000"}});

  const auto explicit_rounds =
      backend().parse("$5$rounds=77777$short$" + k_sha256_checksum);
  REQUIRE(explicit_rounds);
  CHECK(explicit_rounds->algorithm == Algorithm::sha256_crypt);
  CHECK(explicit_rounds->cost.iterations == 77777);
  CHECK(explicit_rounds->digest_size == 32);

  // The specification's maximum parses; the engine's limit rejects it.
  const std::string slowest = "$6$rounds=999999999$saltstring$" + k_sha512_checksum;
  const auto parsed_slowest = backend().parse(slowest);
  REQUIRE(parsed_slowest);
  CHECK(parsed_slowest->cost.iterations == 999999999);
  const auto verified = Engine().verify(as_bytes("Hello world!"), slowest);
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == ErrorCode::limit_exceeded);

  // libxcrypt takes an empty salt; this hash was made with its crypt_rn.
  CHECK(check("Hello world!", "$5$$mAwMsDaqjtxAtGqstEIf7OBR15rgcx.jSKGM94IKRj/") == true);
}

TEST_CASE("crypt backend: rejects malformed sha-crypt hashes", "[core][crypt]") {
  const std::string checksum = "$" + k_sha512_checksum;
  check_malformed({
      "$6$rounds=999$saltstring" + checksum,
      "$6$rounds=0$saltstring" + checksum,
      "$6$rounds=05000$saltstring" + checksum,
      "$6$rounds=1000000000$saltstring" + checksum,
      "$6$rounds=18446744073709551616$saltstring" + checksum,
      "$6$rounds=$saltstring" + checksum,
      "$6$rounds=5e3$saltstring" + checksum,
      "$6$rounds=5000" + checksum,
      "$6$saltstringsaltstr" + checksum,
      "$6$salt!string" + checksum,
      "$6$saltstring$" + k_sha512_checksum.substr(1),
      "$6$saltstring$" + k_sha512_checksum + "1",
      "$6$saltstring$" + k_sha512_checksum.substr(0, 85) + "2",
      "$6$saltstring",
      "$6$saltstring" + checksum + "$",
      "$6$x$saltstring" + checksum,
      "$5$saltstring$" + k_sha256_checksum.substr(0, 42) + "E",
      "$5$saltstring$" + k_sha512_checksum,
  });
}

TEST_CASE("crypt backend: verifies md5crypt", "[core][crypt]") {
  // Made with `openssl passwd -1 -salt xxxxxxxx password` (OpenSSL 3.0).
  check_vectors({{"password", "$1$xxxxxxxx$UYCIxa628.9qXjpQCjM4a."}});

  const auto parsed = backend().parse("$1$xxxxxxxx$UYCIxa628.9qXjpQCjM4a.");
  REQUIRE(parsed);
  CHECK(parsed->algorithm == Algorithm::md5_crypt);
  CHECK(parsed->salt_size == 8);
  CHECK(parsed->digest_size == 16);
  CHECK(parsed->params.empty());

  check_malformed({
      "$1$Ljogq/gB$XT.zgp5a0XiQEhIzH1o",
      "$1$xxxxxxxxx$UYCIxa628.9qXjpQCjM4a.",
      "$1$xxxx-xxx$UYCIxa628.9qXjpQCjM4a.",
      "$1$xxxxxxxx$UYCIxa628.9qXjpQCjM4aE",
      "$1$rounds=1000$xxxxxxxx$UYCIxa628.9qXjpQCjM4a.",
      "$1$xxxxxxxx",
  });
}

TEST_CASE("crypt backend: verifies mkpasswd yescrypt hashes", "[core][crypt]") {
  check_vectors({
      {"correct horse", k_yescrypt_r1},
      {"correct horse", k_yescrypt_r2},
      {"correct horse", k_yescrypt_r3},
      {"correct horse", k_yescrypt_r5},
  });
}

TEST_CASE("crypt backend: parses yescrypt N and r", "[core][crypt]") {
  struct Expected {
    const std::string& stored;
    std::uint32_t log2_n;
    std::uint32_t r;
  };
  for (const auto& [stored, log2_n, r] :
       {Expected{k_yescrypt_r1, 10, 8}, Expected{k_yescrypt_r2, 11, 8},
        Expected{k_yescrypt_r3, 10, 32}, Expected{k_yescrypt_r5, 12, 32},
        Expected{k_yescrypt_r7, 14, 32}, Expected{k_yescrypt_r11, 18, 32}}) {
    INFO(stored);
    const auto parsed = backend().parse(stored);
    REQUIRE(parsed);
    CHECK(parsed->algorithm == Algorithm::yescrypt);
    CHECK(parsed->cost.log2_rounds == log2_n);
    CHECK(parsed->cost.block_size == r);
    CHECK(parsed->cost.parallelism == 1);
    CHECK(parsed->cost.memory_kib == scrypt_memory_kib(log2_n, r, 1));
    CHECK(parsed->salt_size == 16);
    CHECK(parsed->digest_size == 32);
  }

  // Debian's default: N = 4096, r = 32, 16 MiB.
  const auto debian = backend().parse(k_yescrypt_r5);
  REQUIRE(debian);
  CHECK(debian->cost.memory_kib == 16396);  // 128 * 32 * (4096 + 1 + 2) bytes
  using Params = std::vector<std::pair<std::string, std::string>>;
  CHECK(debian->params == Params{{"ln", "12"}, {"r", "32"}, {"p", "1"}});
}

TEST_CASE("crypt backend: parses yescrypt p and scrypt flavors", "[core][crypt]") {
  // Made with libxcrypt 4.4.33's crypt_rn from hand-written settings: p = 4
  // and p = 2, then the classic scrypt ('.') and WORM ('/') flavors.
  const std::string p4 =
      "$y$j75.0$Zti8epn7HggRfGT80cOL70$HZp45JeiusicaP7fCDI.qTCDUF/D6/EQ6bgO/8Ni274";
  const std::string p2 =
      "$y$j75..$Zti8epn7HggRfGT80cOL70$sV4rtyvrNBQyvt1mSyn7FZiCLt6mQNAUVC.zaRi/te1";
  check_vectors({
      {"correct horse", p4},
      {"correct horse", p2},
      {"correct horse",
       "$y$.75$Zti8epn7HggRfGT80cOL70$HqQVK.rLjtM3XtHXx8nYDXssTDhGrr8mWhrlV6Hzj84"},
      {"correct horse",
       "$y$/75$Zti8epn7HggRfGT80cOL70$VbVeBXLP1NL4R4tf4o9QyZslwalq/eo4tiPbURZcY.2"},
  });

  const auto parsed = backend().parse(p4);
  REQUIRE(parsed);
  CHECK(parsed->cost.parallelism == 4);
  CHECK(parsed->cost.log2_rounds == 10);
  CHECK(parsed->cost.block_size == 8);
  const auto parsed2 = backend().parse(p2);
  REQUIRE(parsed2);
  CHECK(parsed2->cost.parallelism == 2);
}

TEST_CASE("crypt backend: huge yescrypt N is left to the limit", "[core][crypt]") {
  // 'F' is log2(N) = 18: 1 GiB with r = 32, above the default 256 MiB.
  const auto parsed = backend().parse(k_yescrypt_r11);
  REQUIRE(parsed);
  CHECK(parsed->cost.memory_kib == 1048588);  // 128 * 32 * (2^18 + 1 + 2) bytes
  const auto verified = Engine().verify(as_bytes("correct horse"), k_yescrypt_r11);
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == ErrorCode::limit_exceeded);

  // "kC" is the two-character encoding of log2(N) = 63.
  const auto largest = backend().parse("$y$jkCT" + k_yescrypt_tail);
  REQUIRE(largest);
  CHECK(largest->cost.log2_rounds == 63);
  CHECK(largest->cost.memory_kib == UINT64_MAX);
  CHECK(parse_error("$y$jkDT" + k_yescrypt_tail) == ErrorCode::malformed_hash);
}

TEST_CASE("crypt backend: rejects malformed yescrypt hashes", "[core][crypt]") {
  const std::string salt = "Zti8epn7HggRfGT80cOL70";
  const std::string hash = "$Dx0oTquYANWbailQpM8pO8u5XmaKDXZPN0qpW50if74";
  check_malformed({
      "$y$j9T$tuKhcrzML28DcyNLEYBRx1$K/pkoinFpHYqTDfBGOY54yN64RA7FBTtv",
      k_yescrypt_r1 + "1",
      k_yescrypt_r1.substr(0, k_yescrypt_r1.size() - 1) + "G",
      "$y$j75$" + salt,
      "$y$j75$" + salt + hash + "$",
      "$y$j75",
      "$y$j7" + k_yescrypt_tail,
      "$y$" + k_yescrypt_tail,
      "$y$j.5" + k_yescrypt_tail,
      "$y$j75-" + k_yescrypt_tail,
      "$y$j75D" + k_yescrypt_tail,
      "$y$j75..." + k_yescrypt_tail,
      "$y$j75." + k_yescrypt_tail,
      "$y$j5zyxvrD" + k_yescrypt_tail,
      "$y$j5zSxvrD.." + k_yescrypt_tail,
      "$y$j/5.." + k_yescrypt_tail,
      "$y$j75$" + salt.substr(0, 21) + hash,
      "$y$j75$" + salt.substr(0, 21) + "2" + hash,
      "$y$j75$" + salt.substr(0, 20) + "0.G" + hash,
      "$y$j75$" + std::string(88, '.') + hash,
  });

  // The salt can be empty.
  CHECK_FALSE(parse_error("$y$j75$" + hash));
}

TEST_CASE("crypt backend: unsupported yescrypt variants", "[core][crypt]") {
  // Flavor 'i', then t, g and a ROM announced by the optional bit set.
  for (const char* params : {"$y$i75", "$y$j75/.", "$y$j751.", "$y$j755."}) {
    INFO(params);
    CHECK(parse_error(params + k_yescrypt_tail) == ErrorCode::unsupported);
  }
}

TEST_CASE("crypt backend: parses $7$ N, r and p", "[core][crypt]") {
  const auto parsed = backend().parse(k_scrypt_r6);
  REQUIRE(parsed);
  CHECK(parsed->algorithm == Algorithm::scrypt);
  CHECK(parsed->format == Format::crypt);
  CHECK(parsed->cost.log2_rounds == 13);
  CHECK(parsed->cost.block_size == 32);
  CHECK(parsed->cost.parallelism == 1);
  CHECK(parsed->cost.memory_kib == 32780);  // 128 * 32 * (8192 + 1 + 2) bytes
  CHECK(parsed->salt_size == 22);
  check_vectors({{"correct horse", k_scrypt_r6}});

  // Made with libxcrypt 4.4.33's crypt_rn: N = 4, r = 32, p = 3.
  const std::string p3 =
      "$7$0U....1....qeaLbwjmnh$NjXonZf84U2F0r2zXOVozVGR8WzZm58p21tZp0bdYD/";
  const auto parsed_p3 = backend().parse(p3);
  REQUIRE(parsed_p3);
  CHECK(parsed_p3->cost.log2_rounds == 2);
  CHECK(parsed_p3->cost.block_size == 32);
  CHECK(parsed_p3->cost.parallelism == 3);
  check_vectors({{"correct horse", p3}});
}

TEST_CASE("crypt backend: $7$ N of 2^63 is left to the limit", "[core][crypt]") {
  const std::string stored =
      "$7$z6..../....rOWEL4pobsl90S5Ac3meKBHPNVZzMz.IuGoR6XBkrL9$hwZzdE.yipVtFNXhXdndvT.O.JyN.sw."
      "313QqJZctX7";
  const auto parsed = backend().parse(stored);
  REQUIRE(parsed);
  CHECK(parsed->cost.log2_rounds == 63);
  CHECK(parsed->cost.memory_kib == UINT64_MAX);

  const auto verified = Engine().verify(as_bytes("pw"), stored);
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == ErrorCode::limit_exceeded);
}

TEST_CASE("crypt backend: rejects malformed $7$ hashes", "[core][crypt]") {
  check_malformed({
      "$7$C6..../....rOWEL4pobsl90S5Ac3meKBHPNV",
      "$7$/U..../....qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$.U..../....qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$0.....1....qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$0U.........qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$0zzzzz0....qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$0U..../..." + k_scrypt_hash_field,
      "$7$0U..../...-qeaLbwjmnh" + k_scrypt_hash_field,
      "$7$0U..../....qeaLb-jmnh" + k_scrypt_hash_field,
      "$7$0U..../...." + std::string(65, 'a') + k_scrypt_hash_field,
      "$7$0U..../....qeaLbwjmnh" + k_scrypt_hash_field.substr(0, 43),
      "$7$0U..../....qeaLbwjmnh" + k_scrypt_hash_field.substr(0, 43) + "G",
      "$7$0U..../....qeaLbwjmnh" + k_scrypt_hash_field + "$",
      "$7$0U..../....qeaLbwjmnh$" + k_scrypt_hash_field,
  });
}

TEST_CASE("crypt backend: verify rejects NUL and over-long passwords", "[core][crypt]") {
  const std::string stored = "$1$xxxxxxxx$UYCIxa628.9qXjpQCjM4a.";
  const auto with_nul = check(std::string("password\0x", 10), stored);
  REQUIRE_FALSE(with_nul);
  CHECK(with_nul.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(with_nul.error().message, Catch::Contains("NUL"));

  // libxcrypt takes at most 511 bytes.
  CHECK(check(std::string(511, 'a'), stored) == false);
  const auto too_long = check(std::string(512, 'a'), stored);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("crypt backend: messages leave out salt and checksum", "[core][crypt]") {
  const std::string salt = "IGj7KvvwajesCDLWXKe1VA";
  const std::string checksum = "lDvJFFi1VIei1uNEAgEBCyajSnawT4y";
  for (const std::string& stored :
       {"$2b$04$" + salt + checksum, "$2b$04$" + salt + checksum + "x",
        "$2b$99$" + salt + checksum}) {
    const auto parsed = backend().parse(stored);
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error().message, !Catch::Contains(salt));
    CHECK_THAT(parsed.error().message, !Catch::Contains(checksum));
    CHECK_THAT(parsed.error().message, Catch::StartsWith("bcrypt hash: "));
  }
}

TEST_CASE("crypt backend: bcrypt cost above the limit is rejected", "[core][crypt]") {
  const auto verified =
      Engine().verify(as_bytes("pw"), "$2b$31$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4y");
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == ErrorCode::limit_exceeded);
}

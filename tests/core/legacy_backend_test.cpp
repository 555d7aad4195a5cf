// Tests of the legacy backend.
#include <catch2/catch.hpp>

// Apache $apr1$ cases, with helpers in their own namespace.
#include <string>
#include <vector>

#include "backend.hpp"
#include "backend_checks.hpp"
#include "pwsvc/engine.hpp"

namespace apr1_test {

using namespace pwsvc;

const auto k_backend = make_apr1_backend();

// Made with `htpasswd -nbm` (apache2-utils 2.4.71): "correct horse", then
// the empty password. The third is `openssl passwd -apr1 -salt xxxxxxxx
// password` (OpenSSL 3.0), the fourth the same with the 3-character salt "abc".
const std::string k_htpasswd = "$apr1$79EmqGxJ$OAxxPEpaRh3FdC7Wivavs0";
const std::string k_htpasswd_empty = "$apr1$qCP27bhs$80uDebQzwqfCpl3Deqvgd/";
const std::string k_openssl = "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0";
const std::string k_openssl_short_salt = "$apr1$abc$mehJE/UcwZsj.w5DYe.b5.";

// Parses `stored` and verifies `password` against it.
Result<bool> check(std::string_view password, std::string_view stored) {
  const auto parsed = k_backend->parse(stored);
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  return k_backend->verify(*parsed, as_bytes(password));
}

}  // namespace apr1_test

TEST_CASE("apr1 backend: verifies htpasswd and openssl hashes", "[core][apr1]") {
  using apr1_test::check;
  CHECK(check("correct horse", apr1_test::k_htpasswd) == true);
  CHECK(check("correct horse ", apr1_test::k_htpasswd) == false);
  CHECK(check("Correct horse", apr1_test::k_htpasswd) == false);
  CHECK(check("", apr1_test::k_htpasswd_empty) == true);
  CHECK(check(" ", apr1_test::k_htpasswd_empty) == false);
  CHECK(check("password", apr1_test::k_openssl) == true);
  CHECK(check("passwore", apr1_test::k_openssl) == false);
  CHECK(check("password", apr1_test::k_openssl_short_salt) == true);
  CHECK(check("password", "$apr1$abc$mehJE/UcwZsj.w5DYe.b6.") == false);
  // md5crypt of the same password and salt differs only in the magic string.
  CHECK(check("password", "$apr1$xxxxxxxx$UYCIxa628.9qXjpQCjM4a.") == false);
}

TEST_CASE("apr1 backend: parse fills the hash fields", "[core][apr1]") {
  using namespace pwsvc;
  const auto& backend = apr1_test::k_backend;
  CHECK(backend->recognizes(apr1_test::k_htpasswd));
  CHECK_FALSE(backend->recognizes("$1$xxxxxxxx$UYCIxa628.9qXjpQCjM4a."));
  CHECK_FALSE(backend->recognizes("$apr$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0"));
  CHECK_FALSE(backend->creates(Algorithm::apr1));

  const auto parsed = backend->parse(apr1_test::k_openssl);
  REQUIRE(parsed);
  CHECK(parsed->algorithm == Algorithm::apr1);
  CHECK(parsed->format == Format::apr1);
  CHECK(parsed->encoded == apr1_test::k_openssl);
  CHECK(parsed->salt_size == 8);
  CHECK(parsed->digest_size == 16);
  CHECK(parsed->params.empty());

  const auto short_salt = backend->parse(apr1_test::k_openssl_short_salt);
  REQUIRE(short_salt);
  CHECK(short_salt->salt_size == 3);
}

TEST_CASE("apr1 backend: rejects malformed hashes", "[core][apr1]") {
  for (const std::string_view stored : {
           "$apr1$toolongsaltZqFWpwEx$ZKV2lOwd7WWaJVpahezvO/",  // salt over 8 characters
           "$apr1$xxxxxxxxx$dxHfLAsjHkDRmG83UXe8K0",            // 9-character salt
           "$apr1$$dxHfLAsjHkDRmG83UXe8K0",                     // empty salt
           "$apr1$xxxx!xxx$dxHfLAsjHkDRmG83UXe8K0",             // '!' in the salt
           "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K",              // 21-character checksum
           "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0.",            // 23-character checksum
           "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K+",             // '+' in the checksum
           "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8KE",             // spare bits set
           "$apr1$xxxxxxxx",                                    // no checksum
           "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0$",            // extra field
           "$apr1$",
       }) {
    INFO(stored);
    const auto parsed = apr1_test::k_backend->parse(stored);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == pwsvc::ErrorCode::malformed_hash);
    CHECK_THAT(parsed.error().message, Catch::StartsWith("apr1 hash: "));
    CHECK_THAT(parsed.error().message, !Catch::Contains("dxHfLAsjHkDRmG83UXe8K"));
  }
}

TEST_CASE("apr1 backend: rejects a NUL byte in the password", "[core][apr1]") {
  const auto result = apr1_test::check(std::string("password\0", 9), apr1_test::k_openssl);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == pwsvc::ErrorCode::invalid_argument);
  CHECK_THAT(result.error().message, Catch::Contains("NUL"));
}

TEST_CASE("apr1 backend: engine verifies and calls apr1 legacy", "[core][apr1]") {
  const pwsvc::Engine engine;
  const auto right = engine.verify(pwsvc::as_bytes("correct horse"), apr1_test::k_htpasswd);
  REQUIRE(right);
  CHECK(right->match);
  CHECK(right->algorithm == pwsvc::Algorithm::apr1);
  CHECK(right->needs_rehash);

  const auto wrong = engine.verify(pwsvc::as_bytes("correct horsE"), apr1_test::k_htpasswd);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->match);

  CHECK(engine.identify(apr1_test::k_htpasswd).verdict == pwsvc::Verdict::legacy);
}

// LDAP {SHA} and {SSHA} cases. Helpers live in their own namespace so that
// they cannot collide with the apr1 cases' helpers.
#include <string>
#include <vector>

#include "backend.hpp"
#include "encoding.hpp"
#include "pwsvc/engine.hpp"

namespace ldap_test {

using namespace pwsvc;

const auto k_backend = make_ldap_backend();

}  // namespace ldap_test

TEST_CASE("ldap backend: {SHA} verifies SHA-1 test vectors", "[core][ldap]") {
  // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d, the FIPS 180 example.
  CHECK(pwsvc::verifies(*ldap_test::k_backend, "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", "abc"));
  CHECK_FALSE(pwsvc::verifies(*ldap_test::k_backend, "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", "abcd"));
  CHECK_FALSE(pwsvc::verifies(*ldap_test::k_backend, "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", ""));
  // passlib's test suite (ldap_sha1).
  CHECK(pwsvc::verifies(*ldap_test::k_backend, "{SHA}at+xg6SiyUovktq1redipHiJpaE=", "helloworld"));
  CHECK_FALSE(
      pwsvc::verifies(*ldap_test::k_backend, "{SHA}at+xg6SiyUovktq1redipHiJpaE=", "helloworld "));
}

TEST_CASE("ldap backend: {SSHA} verifies salts of 4 to 16 bytes", "[core][ldap]") {
  // passlib's test suite (ldap_salted_sha1): 4-byte salts, then 8, 15 and 16 bytes.
  const std::vector<std::pair<std::string_view, std::string_view>> vectors{
      {"testing123", "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"},
      {"secret", "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7"},
      {"test", "{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOckw=="},
      {"test", "{SSHA}/ZMF5KymNM+uEOjW+9STKlfCFj51bg3BmBNCiPHeW2ttbU0="},
      {"test", "{SSHA}Pfx6Vf48AT9x3FVv8znbo8WQkEVSipHSWovxXmvNWUvp/d/7"},
  };
  for (const auto& [password, stored] : vectors) {
    INFO(stored);
    CHECK(pwsvc::verifies(*ldap_test::k_backend, stored, password));
    CHECK_FALSE(pwsvc::verifies(*ldap_test::k_backend, stored, std::string(password) + "!"));
    CHECK_FALSE(pwsvc::verifies(*ldap_test::k_backend, stored, "Test"));
  }
}

TEST_CASE("ldap backend: parse splits digest and salt", "[core][ldap]") {
  using namespace pwsvc;
  const auto& backend = ldap_test::k_backend;
  CHECK(backend->recognizes("{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
  CHECK(backend->recognizes("{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"));
  CHECK_FALSE(backend->recognizes("{SHA256}qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
  CHECK_FALSE(backend->recognizes("{sha}qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
  CHECK_FALSE(backend->recognizes("SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));

  const auto sha = backend->parse("{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  REQUIRE(sha);
  CHECK(sha->algorithm == Algorithm::ldap_sha1);
  CHECK(sha->format == Format::ldap);
  CHECK(sha->encoded == "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  CHECK(encode_hex(sha->digest) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha->salt.empty());
  CHECK(sha->salt_size == 0);
  CHECK(sha->digest_size == 20);
  CHECK(sha->params.empty());

  const auto ssha = backend->parse("{SSHA}Pfx6Vf48AT9x3FVv8znbo8WQkEVSipHSWovxXmvNWUvp/d/7");
  REQUIRE(ssha);
  CHECK(ssha->algorithm == Algorithm::ldap_ssha1);
  CHECK(ssha->format == Format::ldap);
  CHECK(ssha->salt.size() == 16);
  CHECK(ssha->salt_size == 16);
  CHECK(ssha->digest.size() == 20);
  CHECK(ssha->digest_size == 20);
  CHECK(ssha->cost.iterations == 0);
  CHECK(ssha->cost.memory_kib == 0);
}

TEST_CASE("ldap backend: {SHA} must decode to exactly 20 bytes", "[core][ldap]") {
  using pwsvc::ErrorCode;
  for (const std::string_view stored : {
           "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0",        // padding missing
           "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0==",      // too much padding
           "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2A==",       // 19 bytes
           "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0AAA==",   // 22 bytes
           "{SHA}qZk-NkcGgWq6PiVxeFDCbJzQ2J0=",       // URL-safe alphabet
           "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J1=",       // non-zero trailing bits
           "{SHA}qZk+NkcGgWq6PiVx=FDCbJzQ2J0=",       // '=' inside
           "{SHA}",
       }) {
    INFO(stored);
    CHECK(pwsvc::parse_error(*ldap_test::k_backend, stored).code == ErrorCode::malformed_hash);
  }
}

TEST_CASE("ldap backend: {SSHA} needs a salt of at least 4 bytes", "[core][ldap]") {
  using pwsvc::ErrorCode;
  // hostile.jsonl X-071 (20 bytes: no salt) and X-072 (21 bytes: base64 cut
  // short), passlib's 3-byte-salt case, then broken encodings from passlib's
  // list of malformed hashes.
  for (const std::string_view stored : {
           "{SSHA}8ITKLN3bLDuIoX35yc0+gyF7wCo=",
           "{SSHA}8ITKLN3bLDuIoX35yc0+gyF7wCo5",
           "{SSHA}ZQK3Yvtvl6wtIRoISgMGPkcWU7Nfq5U=",
           "{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOck",
           "{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOckw=",
           "{SSHA}P90+qijSp8MJ1tN25j5o1Pf=UvlqjXHOGeOckw==",
           "{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOckw",
           "{SSHA}",
       }) {
    INFO(stored);
    CHECK(pwsvc::parse_error(*ldap_test::k_backend, stored).code == ErrorCode::malformed_hash);
  }

  const auto unsalted =
      pwsvc::parse_error(*ldap_test::k_backend, "{SSHA}8ITKLN3bLDuIoX35yc0+gyF7wCo=");
  CHECK_THAT(unsalted.message, Catch::Contains("no salt"));
  CHECK_THAT(unsalted.message, !Catch::Contains("8ITKLN3bLDuIoX35yc0"));
}

TEST_CASE("ldap backend: engine verifies through the registry", "[core][ldap]") {
  const pwsvc::Engine engine;
  const std::string_view stored = "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7";
  const auto right = engine.verify(pwsvc::as_bytes("secret"), stored);
  REQUIRE(right);
  CHECK(right->match);
  CHECK(right->algorithm == pwsvc::Algorithm::ldap_ssha1);
  CHECK(right->needs_rehash);

  const auto wrong = engine.verify(pwsvc::as_bytes("Secret"), stored);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->match);

  CHECK_FALSE(ldap_test::k_backend->creates(pwsvc::Algorithm::ldap_ssha1));
  CHECK_FALSE(ldap_test::k_backend->creates(pwsvc::Algorithm::ldap_sha1));
}

// Tests of the keyring and of peppered hashing: encrypt mode, HMAC mode and rotation.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "pwsvc/engine.hpp"
#include "pwsvc/keyring.hpp"

using namespace pwsvc;

namespace {

// Base64 of 32 bytes 0x01 and of 32 bytes 0x02.
constexpr std::string_view k_key_one = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
constexpr std::string_view k_key_two = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

std::string keyring_text(std::string_view active, bool with_one, bool with_two) {
  std::string text = "# test keyring\nactive " + std::string(active) + "\n";
  if (with_one) {
    text += "key k1 2026-12-01T10:00:00Z " + std::string(k_key_one) + "\n";
  }
  if (with_two) {
    text += "key k2 2026-12-04T10:00:00Z " + std::string(k_key_two) + "\n";
  }
  return text;
}

std::shared_ptr<const Keyring> keyring(std::string_view active, bool with_one, bool with_two) {
  auto parsed = Keyring::parse(keyring_text(active, with_one, with_two));
  REQUIRE(parsed.has_value());
  return *parsed;
}

// A cheap Argon2id policy, so the tests run fast.
Policy cheap_policy(PepperMode mode) {
  Policy policy;
  policy.params[Algorithm::argon2id] = {{"m", 64}, {"t", 1}, {"p", 1}};
  policy.pepper_mode = mode;
  return policy;
}

Engine engine(PepperMode mode, std::shared_ptr<const Keyring> keys) {
  return Engine(cheap_policy(mode), Limits{}, std::move(keys));
}

Error parse_error(const std::string& text) {
  auto parsed = Keyring::parse(text);
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error();
}

}  // namespace

TEST_CASE("keyring: parses keys and the active id", "[core][pepper]") {
  const auto keys = keyring("k2", true, true);

  CHECK(keys->active_id() == "k2");
  CHECK(keys->contains("k1"));
  CHECK_FALSE(keys->contains("k3"));
  const auto listed = keys->list();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == "k1");
  CHECK(listed[0].created == "2026-12-01T10:00:00Z");
  CHECK_FALSE(listed[0].active);
  CHECK(listed[1].active);
}

TEST_CASE("keyring: rejects bad text without quoting keys", "[core][pepper]") {
  const std::string line_one = "key k1 2026-12-01T10:00:00Z " + std::string(k_key_one) + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {"active k1\n", "no keys"},
      {line_one, "no 'active ID' line"},
      {"active k9\n" + line_one, "'k9' is not listed"},
      {"active k1\n" + line_one + line_one, "appears twice"},
      {"active k1\nkey k/1 2026-12-01T10:00:00Z " + std::string(k_key_one) + "\n",
       "only letters, digits"},
      {"active k1\nkey k123456789 2026-12-01T10:00:00Z " + std::string(k_key_one) + "\n",
       "1 to 8 characters"},
      {"active k1\nkey k1 yesterday " + std::string(k_key_one) + "\n", "creation time"},
      {"active k1\nkey k1 2026-12-01T10:00:00Z AQEB\n", "not 32 bytes"},
      {"active k1\nactive k1\n" + line_one, "second 'active' line"},
      {"activate k1\n" + line_one, "expected 'active ID'"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    const Error error = parse_error(text);
    CHECK(error.code == ErrorCode::invalid_argument);
    CHECK_THAT(error.message, Catch::Contains(message));
    CHECK_THAT(error.message, !Catch::Contains("AQEBAQ"));
  }
}

TEST_CASE("keyring: rejects creation times that are not real", "[core][pepper]") {
  const std::pair<std::string, std::string> cases[] = {
      {"2026-13-01T10:00:00Z", "no month 13"},
      {"2026-00-01T10:00:00Z", "no month 0"},
      {"2026-02-31T10:00:00Z", "2026-02 has no day 31"},
      {"2025-02-29T10:00:00Z", "2025-02 has no day 29"},
      {"2026-04-31T10:00:00Z", "2026-04 has no day 31"},
      {"2026-12-00T10:00:00Z", "2026-12 has no day 0"},
      {"2026-12-01T25:00:00Z", "hour runs from 00 to 23"},
      {"2026-12-01T24:00:00Z", "hour runs from 00 to 23"},
      {"2026-12-01T10:60:00Z", "minutes and seconds"},
      {"2026-12-01T10:00:60Z", "minutes and seconds"},
  };
  for (const auto& [created, reason] : cases) {
    CAPTURE(created);
    const Error error =
        parse_error("active k1\nkey k1 " + created + " " + std::string(k_key_one) + "\n");
    CHECK(error.code == ErrorCode::invalid_argument);
    CHECK_THAT(error.message, Catch::Contains("line 2: key 'k1'"));
    CHECK_THAT(error.message, Catch::Contains(created));
    CHECK_THAT(error.message, Catch::Contains(reason));
    CHECK_THAT(error.message, Catch::Contains("correct it"));
  }

  // The last day of February in a leap year, and the last second of a year.
  for (const std::string created : {"2024-02-29T00:00:00Z", "2026-12-31T23:59:59Z"}) {
    CAPTURE(created);
    CHECK(Keyring::parse("active k1\nkey k1 " + created + " " + std::string(k_key_one) + "\n")
              .has_value());
  }
}

TEST_CASE("keyring: refuses a file others can read", "[core][pepper]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("pwsvc-keyring-test-" + std::to_string(::getpid()));
  std::ofstream(path) << keyring_text("k1", true, false);

  ::chmod(path.c_str(), 0644);
  auto refused = Keyring::load(path);
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error().message, Catch::Contains("mode 0644"));
  CHECK_THAT(refused.error().message, Catch::Contains("chmod 600"));

  ::chmod(path.c_str(), 0600);
  auto loaded = Keyring::load(path);
  std::filesystem::remove(path);
  REQUIRE(loaded.has_value());
  CHECK((*loaded)->active_id() == "k1");
}

TEST_CASE("keyring: text round-trips with a new key", "[core][pepper]") {
  const auto keys = keyring("k1", true, false);
  const KeyInfo extra{"k2", "2026-12-04T10:00:00Z", false};
  const SecretBytes key = generate_pepper_key();

  const SecretBytes text = keys->text_with(&extra, key.view(), "k2");
  auto reparsed =
      Keyring::parse({reinterpret_cast<const char*>(text.data()), text.size()});

  REQUIRE(reparsed.has_value());
  CHECK((*reparsed)->active_id() == "k2");
  REQUIRE((*reparsed)->key("k2").has_value());
  CHECK(constant_time_equal(*(*reparsed)->key("k2"), key.view()));
}

TEST_CASE("encrypt mode: seals, verifies and identifies", "[core][pepper]") {
  const Engine sealing = engine(PepperMode::encrypt, keyring("k1", true, false));

  auto stored = sealing.hash(as_bytes("hunter2"));
  REQUIRE(stored.has_value());
  CHECK(stored->starts_with("$pwsvc-sealed$v=1,key=k1$"));
  CHECK(stored->find("argon2") == std::string::npos);

  auto right = sealing.verify(as_bytes("hunter2"), *stored);
  REQUIRE(right.has_value());
  CHECK(right->match);
  CHECK_FALSE(right->needs_rehash);
  auto wrong = sealing.verify(as_bytes("hunter3"), *stored);
  REQUIRE(wrong.has_value());
  CHECK_FALSE(wrong->match);

  const Identification found = sealing.identify(*stored);
  CHECK(found.verdict == Verdict::ok);
  REQUIRE(found.parsed.has_value());
  CHECK(found.parsed->algorithm == Algorithm::argon2id);
  CHECK(sealing.classify(*stored).verdict == Verdict::ok);
}

TEST_CASE("encrypt mode: an old key asks for a rehash", "[core][pepper]") {
  const std::string stored = *engine(PepperMode::encrypt, keyring("k1", true, false))
                                  .hash(as_bytes("hunter2"));
  const Engine rotated = engine(PepperMode::encrypt, keyring("k2", true, true));

  auto result = rotated.verify(as_bytes("hunter2"), stored);
  REQUIRE(result.has_value());
  CHECK(result->match);
  CHECK(result->needs_rehash);
  REQUIRE(result->rehash_reasons.size() == 1);
  CHECK_THAT(result->rehash_reasons[0], Catch::Contains("'k1'"));
  CHECK(rotated.identify(stored).verdict == Verdict::old_key);
  CHECK(rotated.classify(stored).verdict == Verdict::old_key);
  CHECK(rotated.hash(as_bytes("hunter2"))->starts_with("$pwsvc-sealed$v=1,key=k2$"));
}

TEST_CASE("encrypt mode: old-key outranks weak", "[core][pepper]") {
  const std::string stored = *engine(PepperMode::encrypt, keyring("k1", true, false))
                                  .hash(as_bytes("hunter2"));
  Policy stricter = cheap_policy(PepperMode::encrypt);
  stricter.params[Algorithm::argon2id]["m"] = 128;
  const Engine rotated(stricter, Limits{}, keyring("k2", true, true));

  CHECK(rotated.identify(stored).verdict == Verdict::old_key);
  CHECK(rotated.classify(stored).verdict == Verdict::old_key);
}

TEST_CASE("encrypt mode: a missing key is an error naming it", "[core][pepper]") {
  const std::string stored = *engine(PepperMode::encrypt, keyring("k1", true, false))
                                  .hash(as_bytes("hunter2"));

  for (const auto& keys : {keyring("k2", false, true), std::shared_ptr<const Keyring>()}) {
    const Engine other = engine(PepperMode::encrypt, keys);
    auto result = other.verify(as_bytes("hunter2"), stored);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::missing_key);
    CHECK_THAT(result.error().message, Catch::Contains("'k1'"));
    CHECK(other.identify(stored).verdict == Verdict::invalid);
    CHECK(other.classify(stored).verdict == Verdict::invalid);
  }
}

TEST_CASE("encrypt mode: an altered seal fails authentication", "[core][pepper]") {
  const Engine both = engine(PepperMode::encrypt, keyring("k1", true, true));
  const std::string stored = *both.hash(as_bytes("hunter2"));

  // The key id is authenticated, so naming the other key fails too.
  std::string renamed = stored;
  renamed.replace(renamed.find("key=k1"), 6, "key=k2");
  // A character well inside the payload, so the base64 stays valid.
  std::string flipped = stored;
  char& inside = flipped[flipped.size() - 20];
  inside = inside == 'A' ? 'B' : 'A';

  for (const std::string& altered : {renamed, flipped}) {
    CAPTURE(altered);
    auto result = both.verify(as_bytes("hunter2"), altered);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::malformed_hash);
    CHECK_THAT(result.error().message, Catch::Contains("fails authentication"));
  }
}

TEST_CASE("reseal: moves a seal to the active key", "[core][pepper]") {
  const std::string stored = *engine(PepperMode::encrypt, keyring("k1", true, false))
                                  .hash(as_bytes("hunter2"));
  const auto rotated_keys = keyring("k2", true, true);
  std::string out = "row:";

  auto outcome = reseal(stored, *rotated_keys, out);

  REQUIRE(outcome.has_value());
  CHECK(*outcome == Reseal::resealed);
  REQUIRE(out.starts_with("row:$pwsvc-sealed$v=1,key=k2$"));
  const std::string resealed = out.substr(4);
  const Engine rotated = engine(PepperMode::encrypt, rotated_keys);
  CHECK(rotated.verify(as_bytes("hunter2"), resealed)->match);
  CHECK(rotated.identify(resealed).verdict == Verdict::ok);
}

TEST_CASE("reseal: opens a seal under the active key", "[core][pepper]") {
  const auto keys = keyring("k1", true, false);
  const std::string stored = *engine(PepperMode::encrypt, keys).hash(as_bytes("hunter2"));
  std::string flipped = stored;
  char& inside = flipped[flipped.size() - 20];
  inside = inside == 'A' ? 'B' : 'A';

  std::string out;
  auto current = reseal(stored, *keys, out);
  REQUIRE(current.has_value());
  CHECK(*current == Reseal::already_active);
  CHECK(out == stored);

  out = "kept";
  auto altered = reseal(flipped, *keys, out);
  REQUIRE_FALSE(altered.has_value());
  CHECK(altered.error().code == ErrorCode::malformed_hash);
  CHECK_THAT(altered.error().message, Catch::Contains("fails authentication under key 'k1'"));
  CHECK(out == "kept");
}

TEST_CASE("reseal: a missing key is an error naming it", "[core][pepper]") {
  const std::string stored = *engine(PepperMode::encrypt, keyring("k1", true, false))
                                  .hash(as_bytes("hunter2"));
  std::string out;

  auto outcome = reseal(stored, *keyring("k2", false, true), out);

  REQUIRE_FALSE(outcome.has_value());
  CHECK(outcome.error().code == ErrorCode::missing_key);
  CHECK_THAT(outcome.error().message, Catch::Contains("'k1'"));
  CHECK(out.empty());
}

TEST_CASE("reseal: draws a fresh nonce each time", "[core][pepper]") {
  // More seals than one refill of the nonce pool, each under a fresh nonce.
  const auto keys = keyring("k1", true, false);
  const std::string stored = *engine(PepperMode::encrypt, keys).hash(as_bytes("hunter2"));
  const auto moved_keys = keyring("k2", true, true);
  std::set<std::string> nonces;
  constexpr int k_seals = 2000;
  for (int i = 0; i < k_seals; ++i) {
    std::string out;
    REQUIRE(reseal(stored, *moved_keys, out).has_value());
    // 24 nonce bytes are the first 32 base64 characters of the payload.
    nonces.insert(out.substr(std::string_view("$pwsvc-sealed$v=1,key=k2$").size(), 32));
  }
  CHECK(nonces.size() == k_seals);
}

TEST_CASE("reseal: a forked child draws its own nonces", "[core][pepper]") {
  const auto keys = keyring("k1", true, false);
  const std::string stored = *engine(PepperMode::encrypt, keys).hash(as_bytes("hunter2"));
  const auto moved_keys = keyring("k2", true, true);
  const std::size_t nonce_at = std::string_view("$pwsvc-sealed$v=1,key=k2$").size();
  std::string first;
  REQUIRE(reseal(stored, *moved_keys, first).has_value());  // fills the pool

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string out;
    const bool sealed = reseal(stored, *moved_keys, out).has_value();
    const std::string nonce = sealed ? out.substr(nonce_at, 32) : std::string(32, '!');
    const bool written = ::write(pipe_fds[1], nonce.data(), nonce.size()) == 32;
    ::_exit(written ? 0 : 1);
  }
  std::string parent_out;
  REQUIRE(reseal(stored, *moved_keys, parent_out).has_value());
  std::string child_nonce(32, '\0');
  const ssize_t got = ::read(pipe_fds[0], child_nonce.data(), child_nonce.size());
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);

  REQUIRE(got == 32);
  CHECK(child_nonce != "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  CHECK(child_nonce != parent_out.substr(nonce_at, 32));
}

TEST_CASE("hmac mode: names the key in keyid", "[core][pepper]") {
  const Engine keyed = engine(PepperMode::hmac, keyring("k1", true, false));

  auto stored = keyed.hash(as_bytes("hunter2"));
  REQUIRE(stored.has_value());
  CHECK(stored->starts_with("$argon2id$v=19$m=64,t=1,p=1,keyid=azE$"));
  CHECK(keyed.verify(as_bytes("hunter2"), *stored)->match);
  CHECK_FALSE(keyed.verify(as_bytes("hunter3"), *stored)->match);

  // Without the key the same string is an error, never a mismatch.
  auto plain = engine(PepperMode::hmac, nullptr).verify(as_bytes("hunter2"), *stored);
  REQUIRE_FALSE(plain.has_value());
  CHECK(plain.error().code == ErrorCode::missing_key);
}

TEST_CASE("hmac mode: rotation and other algorithms", "[core][pepper]") {
  const std::string stored =
      *engine(PepperMode::hmac, keyring("k1", true, false)).hash(as_bytes("hunter2"));
  const Engine rotated = engine(PepperMode::hmac, keyring("k2", true, true));

  auto result = rotated.verify(as_bytes("hunter2"), stored);
  REQUIRE(result.has_value());
  CHECK(result->match);
  CHECK(result->needs_rehash);
  CHECK(rotated.identify(stored).verdict == Verdict::old_key);

  HashRequest bcrypt;
  bcrypt.algorithm = Algorithm::bcrypt;
  bcrypt.params = {{"cost", 4}};
  auto refused = rotated.hash(as_bytes("hunter2"), bcrypt);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(refused.error().message, Catch::Contains("encrypt"));
}

TEST_CASE("pepper: required pepper flags plain hashes", "[core][pepper]") {
  const std::string plain = *engine(PepperMode::encrypt, nullptr).hash(as_bytes("hunter2"));
  Policy policy = cheap_policy(PepperMode::encrypt);
  policy.pepper_required = true;
  const Engine strict(policy, Limits{}, keyring("k1", true, false));

  CHECK(strict.identify(plain).verdict == Verdict::unpeppered);
  CHECK(strict.classify(plain).verdict == Verdict::unpeppered);
  auto result = strict.verify(as_bytes("hunter2"), plain);
  REQUIRE(result.has_value());
  CHECK(result->match);
  CHECK(result->needs_rehash);
}

TEST_CASE("hmac mode: over-limit comes before a missing key", "[core][pepper]") {
  Limits tiny;
  tiny.argon2_max_memory_kib = 1024;
  const Engine small(cheap_policy(PepperMode::hmac), tiny, nullptr);
  const std::string stored =
      "$argon2id$v=19$m=8192,t=2,p=1,keyid=a2VQ$E8lFiZiTvZQ$Qargon2d9NVY";

  CHECK(small.identify(stored).verdict == Verdict::over_limit);
  CHECK(small.classify(stored).verdict == Verdict::over_limit);
}

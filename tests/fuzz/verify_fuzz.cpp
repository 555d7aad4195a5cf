// Fuzzes Engine::verify with random passwords and stored hashes under tiny
// limits, and checks that a key derivation runs only for a hash within them.
//
// Input: one mode byte, one password length byte, the password, then the
// stored hash. An odd mode byte also hashes the password with the algorithm
// that mode / 2 picks and checks that it verifies.
#include <array>
#include <chrono>

#include "fuzz_support.hpp"

using pwsvc::Algorithm;
using pwsvc::fuzz::check;

namespace {

const pwsvc::Engine& engine() {
  static const pwsvc::Engine instance(pwsvc::fuzz::tiny_policy(), pwsvc::fuzz::tiny_limits());
  return instance;
}

constexpr std::array k_hashable{
    Algorithm::argon2id,      Algorithm::argon2i,       Algorithm::scrypt,
    Algorithm::bcrypt,        Algorithm::pbkdf2_sha256, Algorithm::pbkdf2_sha512,
};

// Every cost figure of `parsed` is within `limits`: the property that makes
// a verify of a hostile hash cheap.
bool within_limits(const pwsvc::ParsedHash& parsed, const pwsvc::Limits& limits) {
  return pwsvc::check_limits(parsed, limits).has_value() &&
         parsed.cost.memory_kib <= std::max(limits.argon2_max_memory_kib,
                                            limits.scrypt_max_memory_kib) &&
         parsed.encoded.size() <= limits.max_hash_length;
}

void check_verify(pwsvc::ByteView password, std::string_view stored) {
  const auto started = std::chrono::steady_clock::now();
  const auto verified = engine().verify(password, stored);
  const auto took = std::chrono::steady_clock::now() - started;
  const pwsvc::Identification found = engine().identify(stored);

  if (verified) {
    check(found.parsed.has_value(), "verify ran for a hash that identify cannot parse");
    check(within_limits(*found.parsed, engine().limits()),
          "verify ran a key derivation above the limits");
    check(found.parsed->algorithm == verified->algorithm,
          "verify and identify name different algorithms");
    check(!verified->needs_rehash || verified->match, "needs_rehash without a match");
  } else if (found.parsed && found.verdict != pwsvc::Verdict::over_limit) {
    check(verified.error().code != pwsvc::ErrorCode::malformed_hash,
          "verify calls a hash malformed that identify parses");
  }
  // The limits bound the work; a single call that takes a whole second means
  // some cost is not counted. The bound is loose because sanitizers are slow.
  check(took < std::chrono::seconds(1), "one verify took longer than 1 s under tiny limits");
}

void check_round_trip(pwsvc::ByteView password, std::uint8_t mode) {
  pwsvc::HashRequest request;
  request.algorithm = k_hashable[(mode / 2) % k_hashable.size()];
  const auto hashed = engine().hash(password, request);
  if (!hashed) {
    // bcrypt rejects NUL bytes and passwords over 72 bytes; nothing else may fail.
    check(*request.algorithm == Algorithm::bcrypt ||
              password.size() > engine().limits().max_password_bytes,
          "hash failed for a password within the limits");
    return;
  }
  const auto verified = engine().verify(password, *hashed);
  check(verified.has_value(), "a fresh hash does not verify");
  check(verified->match, "a fresh hash does not match its own password");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  const std::size_t password_size = std::min<std::size_t>(data[1], size - 2);
  const pwsvc::ByteView password(data + 2, password_size);
  const std::string_view stored = pwsvc::fuzz::as_text(data + 2 + password_size,
                                                        size - 2 - password_size);
  check_verify(password, stored);
  if (mode % 2 == 1) {
    check_round_trip(password, mode);
  }
  return 0;
}

// Fuzzes hash-string parsing of every scheme through Engine::identify and
// Engine::classify, which must agree and never run a key derivation.
#include "fuzz_support.hpp"

using pwsvc::fuzz::check;

namespace {

const pwsvc::Engine& engine() {
  static const pwsvc::Engine instance(pwsvc::fuzz::tiny_policy(), pwsvc::fuzz::tiny_limits());
  return instance;
}

// classify() is documented as identify() without reason strings, so every
// field they share must match.
void check_agreement(const pwsvc::Identification& found, const pwsvc::Classification& classified) {
  check(found.verdict == classified.verdict, "identify and classify give different verdicts");
  check(found.needs_rehash == classified.needs_rehash,
        "identify and classify disagree on needs_rehash");
  check(found.parsed.has_value() == classified.algorithm.has_value(),
        "identify parses a hash that classify does not, or the reverse");
  if (found.parsed) {
    check(found.parsed->algorithm == *classified.algorithm,
          "identify and classify name different algorithms");
    check(found.parsed->params == classified.params,
          "identify and classify list different parameters");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stored = pwsvc::fuzz::as_text(data, size);
  const pwsvc::Identification found = engine().identify(stored);
  const pwsvc::Classification classified = engine().classify(stored);
  check_agreement(found, classified);

  if (found.parsed) {
    check(found.parsed->encoded == stored, "the parsed hash does not keep the stored string");
    // A hash that names an HMAC key is invalid without that key, and this
    // engine has no keyring; identify still shows its scheme and parameters.
    const bool names_missing_key = !found.parsed->key_id.empty();
    check(found.verdict != pwsvc::Verdict::unknown &&
              (found.verdict != pwsvc::Verdict::invalid || names_missing_key),
          "a parsed hash has the verdict invalid or unknown");
  }
  check(found.verdict == pwsvc::Verdict::ok || !found.reasons.empty() || found.parsed,
        "a hash that does not parse has no reason");
  return 0;
}

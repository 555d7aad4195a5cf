// Parsing of the --algorithm, --param and --context options of pwsvc hash.
#include "hash_request.hpp"

#include <algorithm>
#include <charconv>

#include "request_body.hpp"

namespace pwsvc::cli {

void add_hash_options(CLI::App& command, std::string& algorithm, std::vector<std::string>& params) {
  command.add_option("--algorithm,-a", algorithm,
                     "Algorithm: argon2id, argon2i, scrypt, bcrypt, pbkdf2-sha256 or "
                     "pbkdf2-sha512 (default: the policy's)");
  command.add_option("--param,-P", params,
                     "Cost parameter as KEY=VALUE, repeatable: m (KiB), t, p for Argon2; ln, r, "
                     "p for scrypt; cost for bcrypt; rounds for PBKDF2 (default: the policy's)")
      ->allow_extra_args(false);
}

Result<HashRequest> parse_hash_request(const std::string& algorithm,
                                       const std::vector<std::string>& params) {
  HashRequest request;
  if (!algorithm.empty()) {
    request.algorithm = parse_algorithm(algorithm);
    if (!request.algorithm) {
      return fail(ErrorCode::invalid_argument,
                  "unknown algorithm '" + algorithm +
                      "'; use argon2id, argon2i, scrypt, bcrypt, pbkdf2-sha256 or pbkdf2-sha512");
    }
    // Checked before the password is read, and here rather than in the
    // engine or pwsvcd so that local and remote runs print the same message.
    if (!can_hash(*request.algorithm)) {
      return fail(ErrorCode::invalid_argument,
                  "cannot create " + algorithm + " hashes; use argon2id, argon2i, scrypt, "
                  "bcrypt, pbkdf2-sha256 or pbkdf2-sha512");
    }
  }

  for (const std::string& param : params) {
    const std::size_t equals = param.find('=');
    std::uint64_t value = 0;
    // Without an '=', data() + npos would overflow the pointer, which is
    // undefined behaviour even though the result is never read.
    const char* end = param.data() + param.size();
    const char* begin = equals == std::string::npos ? end : param.data() + equals + 1;
    const bool parsed = equals != std::string::npos && equals > 0 && begin != end &&
                        std::from_chars(begin, end, value).ptr == end;
    if (!parsed) {
      return fail(ErrorCode::invalid_argument,
                  "invalid --param '" + param + "'; use KEY=VALUE with a decimal value, "
                  "such as m=65536");
    }
    request.params[param.substr(0, equals)] = value;
  }
  return request;
}

void add_context_option(CLI::App& command, std::vector<std::string>& words) {
  command.add_option("--context", words,
                     "A word the password must not contain, such as the username or email "
                     "address; repeatable")
      ->allow_extra_args(false);
}

Result<void> check_context_words(const std::vector<std::string>& words) {
  constexpr std::size_t k_max_words = 16;
  constexpr std::size_t k_max_word_bytes = 256;
  const bool too_long = std::any_of(words.begin(), words.end(), [](const std::string& word) {
    return word.size() > k_max_word_bytes;
  });
  if (words.size() > k_max_words || too_long) {
    return fail(ErrorCode::invalid_argument,
                "give at most 16 --context words of at most 256 bytes each, such as the "
                "username and the email address");
  }
  for (const std::string& word : words) {
    if (!is_utf8(word)) {
      return fail(ErrorCode::invalid_argument, "a --context word is not valid UTF-8");
    }
  }
  return {};
}

}  // namespace pwsvc::cli

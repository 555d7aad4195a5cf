// Error codes and the Result type that every core function returns.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace pwsvc {

// The fixed set of failures. A wrong password is never one of these: it is a
// VerifyResult with match == false.
enum class ErrorCode {
  invalid_argument,    // a bad password, parameter or option value
  malformed_hash,      // a stored hash that does not parse, or a locked-account marker
  unsupported,         // a recognised format or variant that pwsvc does not verify
  limit_exceeded,      // a cost or size above the configured limits
  resource_exhausted,  // out of memory or threads
  unavailable,         // a dependency or service that cannot be reached
  missing_key,         // a hash peppered with a key id the keyring does not have
  internal,            // a library fault that should not happen
  // A new password that breaks a rule of the password policy.
  invalid_utf8,  // not valid UTF-8 where text is required
  too_short,     // fewer code points than password_policy.min_length
  too_long,      // more code points than password_policy.max_length
  context_word,  // contains the username, email or service name
  breached,      // in the configured breach list
  weak,          // below password_policy.min_strength
};

// The codes of a rejected new password, one per rule of the password policy.
inline constexpr std::array k_password_rules{ErrorCode::invalid_utf8, ErrorCode::too_short,
                                             ErrorCode::too_long,     ErrorCode::context_word,
                                             ErrorCode::breached,     ErrorCode::weak};

// Returns true for the codes of a rejected new password.
bool is_password_rule(ErrorCode code);

// A failure with a message that is safe to show a user: it never contains a
// password, a salt, a digest or a whole stored hash.
struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Returns an unexpected value that converts to any Result<T>.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Returns the snake_case name of `code`, as used in JSON error bodies.
std::string_view error_code_name(ErrorCode code);

}  // namespace pwsvc

// JSON request bodies for pwsvcd, built in wiped memory because they hold passwords.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pwsvc/engine.hpp"
#include "runner.hpp"
#include "pwsvc/wiping_allocator.hpp"

namespace pwsvc::cli {

// Returns true when `text` is valid UTF-8 as RFC 3629 defines it: no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view text);

// Build the bodies of POST /v1/hash, /v1/verify and /v1/identify. The
// password goes in "password" when it is valid UTF-8, else in
// "password_b64" (padded base64), so every byte reaches the daemon as it
// is. Fail with invalid_argument for a stored hash or a --param key that is
// not valid UTF-8, which JSON cannot carry.
Result<WipedString> hash_body(ByteView password, const HashRequest& request);
Result<WipedString> verify_body(ByteView password, std::string_view stored, Rehash rehash);
Result<WipedString> identify_body(std::string_view stored);

// Builds the body of POST /v1/check-password.
Result<WipedString> check_password_body(ByteView password,
                                        const std::vector<std::string>& context);

}  // namespace pwsvc::cli

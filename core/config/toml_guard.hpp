// Internal to the config loader: screens TOML text for input that toml++ 3.3
// cannot parse safely.
#pragma once

#include <optional>
#include <string_view>

#include "config.hpp"

namespace pwsvc::config_internal {

// Returns an issue for TOML text that toml++ 3.3.0 cannot parse safely: a
// syntax error once every non-ASCII character is masked, or a non-ASCII
// character that toml++ would test as whitespace, which is one outside strings
// and comments or one after a backslash in a basic string. On such
// characters (for example U+00A7 or U+FCFF) toml++ 3.3.0 reaches
// __builtin_unreachable(), which is undefined behaviour; upstream fixed it in
// 2026, after release 3.4.0. Non-ASCII text in strings and comments is accepted.
std::optional<ConfigIssue> find_unsafe_character(std::string_view text);

}  // namespace pwsvc::config_internal

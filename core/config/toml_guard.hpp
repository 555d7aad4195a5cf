// Internal to the config loader: screens TOML text for input that toml++ 3.3
// cannot parse safely.
#pragma once

#include <optional>
#include <string_view>

#include "config.hpp"

namespace pwsvc::config_internal {

// Returns an issue for the first non-ASCII character that toml++ would test
// as whitespace: one outside strings and comments, or the first character
// after a line-ending backslash in a multi-line basic string. toml++ 3.3.0
// reaches __builtin_unreachable() on many such characters (for example
// U+00A7 or U+FCFF), which is undefined behaviour; upstream fixed it in 2026,
// after release 3.4.0. Non-ASCII text in strings and comments is accepted.
std::optional<ConfigIssue> find_unsafe_character(std::string_view text);

}  // namespace pwsvc::config_internal

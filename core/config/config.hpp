// Reads pwsvc.toml into the core's Policy and Limits.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "pwsvc/policy.hpp"

namespace pwsvc {

enum class LogLevel { trace, debug, info, warn, error, critical, off };

struct LoggingSettings {
  LogLevel level = LogLevel::warn;
};

// Everything a pwsvc.toml file sets.
struct Settings {
  Policy policy;
  Limits limits;
  LoggingSettings logging;
};

// One problem in a config file: the dotted key (empty for a syntax error),
// its 1-based line and column, and what to change.
struct ConfigIssue {
  std::string key;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};

using ConfigResult = tl::expected<Settings, std::vector<ConfigIssue>>;

// Parses TOML `text`. Unknown keys, wrong types and out-of-range values are
// errors; every one is reported, not only the first.
ConfigResult parse_config(std::string_view text);

// Reads and parses the file at `path`. A missing or unreadable file is one
// issue with line 0.
ConfigResult load_config(const std::filesystem::path& path);

// Formats an issue as "FILE:LINE:COLUMN: KEY: MESSAGE".
std::string format_issue(const ConfigIssue& issue, std::string_view file);

std::string_view log_level_name(LogLevel level);

}  // namespace pwsvc

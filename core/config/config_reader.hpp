// Internal to the config loader: the issue collector shared by its parts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config.hpp"

namespace pwsvc::config_internal {

// Collects issues while the tables are walked, so one run reports them all.
class Reader {
 public:
  void add(const toml::node& node, std::string key, std::string message) {
    add(node.source(), std::move(key), std::move(message));
  }

  void add(const toml::source_region& where, std::string key, std::string message) {
    issues_.push_back({std::move(key), where.begin.line, where.begin.column, std::move(message)});
  }

  // Reports every key of `table` that is not in `known`.
  void reject_unknown(const toml::table& table, std::string_view prefix,
                      std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      bool found = false;
      for (std::string_view name : known) {
        found = found || key.str() == name;
      }
      if (!found) {
        add(key.source(), join(prefix, key.str()), "unknown key; expected one of: " + list(known));
      }
    }
  }

  std::optional<std::uint64_t> integer(const toml::node& node, const std::string& key,
                                       std::uint64_t min, std::uint64_t max) {
    // Only TOML integers pass, because toml++ would turn a float such as 1e40 into an
    // integer with an out-of-range cast, which is undefined behaviour.
    const toml::value<std::int64_t>* number = node.as_integer();
    if (number == nullptr) {
      add(node, key, "must be an integer");
      return std::nullopt;
    }

    const std::int64_t value = number->get();
    if (value < 0 || static_cast<std::uint64_t>(value) < min ||
        static_cast<std::uint64_t>(value) > max) {
      add(node, key, "value " + std::to_string(value) + " is out of range; use " +
                         std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(value);
  }

  static std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
  }

  static std::string list(std::initializer_list<std::string_view> names) {
    std::string text;
    for (std::string_view name : names) {
      text += text.empty() ? "" : ", ";
      text += name;
    }
    return text;
  }

  std::vector<ConfigIssue>& issues() { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};


inline const toml::table* subtable(Reader& reader, const toml::node& node, const std::string& key) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    reader.add(node, key, "must be a table");
  }
  return table;
}

// Reads the [daemon] table.
void read_daemon(Reader& reader, const toml::table& table, DaemonSettings& daemon);

// Reads the [password_policy] table into settings.policy.password.
void read_password_policy(Reader& reader, const toml::table& table, Settings& settings);

}  // namespace pwsvc::config_internal

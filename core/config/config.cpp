// TOML parsing for pwsvc.toml with toml++; exceptions stop here.
#include "config.hpp"

#include <algorithm>
#include <fstream>
#include <tuple>
#include <sstream>

#include <toml++/toml.h>

#include "config_reader.hpp"
#include "toml_guard.hpp"

namespace pwsvc {

using config_internal::Reader;
using config_internal::subtable;

namespace {

void read_algorithm_params(Reader& reader, const toml::table& table, const std::string& prefix,
                           Algorithm algorithm, Policy& policy) {
  ParamMap& params = policy.params[algorithm];
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string dotted = Reader::join(prefix, name);
    if (!params.contains(name)) {
      std::string expected;
      for (const auto& [known, unused] : params) {
        expected += expected.empty() ? known : ", " + known;
      }
      reader.add(key.source(), dotted, "unknown parameter; expected one of: " + expected);
      continue;
    }
    if (const auto value = reader.integer(node, dotted, 1, UINT32_MAX)) {
      params[name] = *value;
    }
  }
}

void read_deprecated(Reader& reader, const toml::node& node, Policy& policy) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    reader.add(node, "policy.deprecated", "must be an array of algorithm names");
    return;
  }
  policy.deprecated.clear();
  for (const auto& item : *array) {
    const auto name = item.value<std::string>();
    const auto algorithm = name ? parse_algorithm(*name) : std::nullopt;
    if (!algorithm) {
      reader.add(item, "policy.deprecated", "unknown algorithm name; use names such as "
                                            "md5-crypt, apr1, ldap-sha1, pbkdf2-sha1");
      continue;
    }
    policy.deprecated.insert(*algorithm);
  }
}

void read_policy_value(Reader& reader, const toml::key& key, const toml::node& node,
                       Policy& policy) {
  const std::string name(key.str());
  const std::string dotted = "policy." + name;
  if (name == "algorithm") {
    const auto text = node.value<std::string>();
    const auto algorithm = text ? parse_algorithm(*text) : std::nullopt;
    if (!algorithm || !can_hash(*algorithm)) {
      reader.add(node, dotted, "must be one of: argon2id, argon2i, scrypt, bcrypt, "
                               "pbkdf2-sha256, pbkdf2-sha512");
      return;
    }
    policy.algorithm = *algorithm;
  } else if (name == "salt_bytes") {
    if (const auto value = reader.integer(node, dotted, 8, 64)) {
      policy.salt_bytes = static_cast<std::uint32_t>(*value);
    }
  } else if (name == "rehash_stronger") {
    const auto flag = node.value<bool>();
    if (!node.is_boolean() || !flag) {
      reader.add(node, dotted, "must be true or false");
      return;
    }
    policy.rehash_stronger = *flag ? RehashStronger::yes : RehashStronger::no;
  } else if (name == "deprecated") {
    read_deprecated(reader, node, policy);
  } else if (const auto algorithm = parse_algorithm(name);
             algorithm && policy.params.contains(*algorithm)) {
    if (const toml::table* table = subtable(reader, node, dotted)) {
      read_algorithm_params(reader, *table, dotted, *algorithm, policy);
    }
  } else {
    reader.add(key.source(), dotted,
               "unknown key; expected algorithm, salt_bytes, rehash_stronger, deprecated, or a "
               "table named after an algorithm such as [policy.argon2id]");
  }
}

void read_policy(Reader& reader, const toml::table& table, Policy& policy) {
  for (const auto& [key, node] : table) {
    read_policy_value(reader, key, node, policy);
  }
}

struct LimitField {
  std::string_view key;
  std::uint64_t Limits::*u64 = nullptr;
  std::uint32_t Limits::*u32 = nullptr;
  std::size_t Limits::*size = nullptr;
};

const std::vector<LimitField>& limit_fields() {
  static const std::vector<LimitField> fields{
      {"max_password_bytes", nullptr, nullptr, &Limits::max_password_bytes},
      {"max_hash_length", nullptr, nullptr, &Limits::max_hash_length},
      {"argon2_max_memory_kib", &Limits::argon2_max_memory_kib},
      {"argon2_max_time_cost", &Limits::argon2_max_time_cost},
      {"argon2_max_parallelism", nullptr, &Limits::argon2_max_parallelism},
      {"bcrypt_max_cost", nullptr, &Limits::bcrypt_max_cost},
      {"pbkdf2_max_iterations", &Limits::pbkdf2_max_iterations},
      {"scrypt_max_memory_kib", &Limits::scrypt_max_memory_kib},
      {"scrypt_max_parallelism", nullptr, &Limits::scrypt_max_parallelism},
      {"sha_crypt_max_rounds", &Limits::sha_crypt_max_rounds},
  };
  return fields;
}

void read_limits(Reader& reader, const toml::table& table, Limits& limits) {
  for (const auto& [key, node] : table) {
    const std::string dotted = "limits." + std::string(key.str());
    const LimitField* field = nullptr;
    for (const auto& candidate : limit_fields()) {
      field = candidate.key == key.str() ? &candidate : field;
    }
    if (field == nullptr) {
      std::string expected;
      for (const auto& candidate : limit_fields()) {
        expected += expected.empty() ? "" : ", ";
        expected += candidate.key;
      }
      reader.add(key.source(), dotted, "unknown key; expected one of: " + expected);
      continue;
    }
    const std::uint64_t max = field->u32 != nullptr ? UINT32_MAX : INT64_MAX;
    const auto value = reader.integer(node, dotted, 1, max);
    if (!value) {
      continue;
    }
    if (field->u64 != nullptr) limits.*(field->u64) = *value;
    if (field->u32 != nullptr) limits.*(field->u32) = static_cast<std::uint32_t>(*value);
    if (field->size != nullptr) limits.*(field->size) = static_cast<std::size_t>(*value);
  }
}

constexpr std::array k_log_levels{"trace", "debug", "info", "warn", "error", "critical", "off"};

void read_logging(Reader& reader, const toml::table& table, LoggingSettings& logging) {
  reader.reject_unknown(table, "logging", {"level"});
  const toml::node* node = table.get("level");
  if (node == nullptr) {
    return;
  }
  const auto text = node->value<std::string>();
  for (std::size_t i = 0; text && i < k_log_levels.size(); ++i) {
    if (*text == k_log_levels[i]) {
      logging.level = static_cast<LogLevel>(i);
      return;
    }
  }
  reader.add(*node, "logging.level",
             "must be one of: trace, debug, info, warn, error, critical, off");
}

// Checks that the policy's own algorithm and parameters can make hashes
// under the configured limits, so a bad policy fails at load, not per call.
// Its algorithm must not be deprecated, or every new hash would need a rehash.
void check_policy(Reader& reader, const toml::table& root, const Settings& settings) {
  const Policy& policy = settings.policy;
  if (policy.deprecated.contains(policy.algorithm)) {
    const toml::node* node = root.at_path("policy.deprecated").node();
    reader.add(node != nullptr ? node->source() : toml::source_region{}, "policy.deprecated",
               "names " + std::string(algorithm_name(policy.algorithm)) +
                   ", the policy's own algorithm; choose another policy.algorithm or "
                   "remove it from the list");
  }

  const auto resolved = resolve_params(policy.algorithm, {}, policy, settings.limits);
  if (resolved) {
    return;
  }
  const toml::node* node = root.at_path("policy." + std::string(algorithm_name(policy.algorithm))).node();
  if (node == nullptr) {
    node = root.at_path("policy").node();
  }
  ConfigIssue issue{"policy." + std::string(algorithm_name(policy.algorithm)), 0, 0,
                    resolved.error().message};
  if (node != nullptr) {
    issue.line = node->source().begin.line;
    issue.column = node->source().begin.column;
  }
  reader.issues().push_back(std::move(issue));
}

void read_pepper(Reader& reader, const toml::table& table, Settings& settings) {
  reader.reject_unknown(table, "pepper", {"keyring", "mode", "required"});
  if (const toml::node* node = table.get("keyring")) {
    const auto path = node->value<std::string>();
    if (!path || path->empty()) {
      reader.add(*node, "pepper.keyring", "must be the path of a keyring file");
    } else {
      settings.pepper.keyring = *path;
    }
  }
  if (const toml::node* node = table.get("mode")) {
    const auto mode = node->value<std::string>();
    if (mode == "encrypt") {
      settings.policy.pepper_mode = PepperMode::encrypt;
    } else if (mode == "hmac") {
      settings.policy.pepper_mode = PepperMode::hmac;
    } else {
      reader.add(*node, "pepper.mode", "must be \"encrypt\" or \"hmac\"");
    }
  }
  if (const toml::node* node = table.get("required")) {
    const auto flag = node->value<bool>();
    if (!node->is_boolean() || !flag) {
      reader.add(*node, "pepper.required", "must be true or false");
    } else {
      settings.policy.pepper_required = *flag;
    }
  }
}

// HMAC mode names the key in the PHC keyid parameter, which only Argon2 has.
void check_pepper_mode(Reader& reader, const toml::table& root, const Settings& settings) {
  const Algorithm algorithm = settings.policy.algorithm;
  if (settings.policy.pepper_mode != PepperMode::hmac || algorithm == Algorithm::argon2id ||
      algorithm == Algorithm::argon2i) {
    return;
  }
  const toml::node* node = root.at_path("pepper.mode").node();
  ConfigIssue issue{"pepper.mode", 0, 0,
                    "\"hmac\" works only when policy.algorithm is argon2id or argon2i, not " +
                        std::string(algorithm_name(algorithm)) + "; use \"encrypt\""};
  if (node != nullptr) {
    issue.line = node->source().begin.line;
    issue.column = node->source().begin.column;
  }
  reader.issues().push_back(std::move(issue));
}

void read_root(Reader& reader, const toml::table& root, Settings& settings) {
  reader.reject_unknown(root, "",
                        {"policy", "limits", "logging", "daemon", "pepper", "password_policy"});
  if (const toml::node* node = root.get("pepper")) {
    if (const toml::table* table = subtable(reader, *node, "pepper")) {
      read_pepper(reader, *table, settings);
    }
  }
  if (const toml::node* node = root.get("policy")) {
    if (const toml::table* table = subtable(reader, *node, "policy")) {
      read_policy(reader, *table, settings.policy);
    }
  }
  if (const toml::node* node = root.get("limits")) {
    if (const toml::table* table = subtable(reader, *node, "limits")) {
      read_limits(reader, *table, settings.limits);
    }
  }
  // After [limits], which the password policy is checked against.
  if (const toml::node* node = root.get("password_policy")) {
    if (const toml::table* table = subtable(reader, *node, "password_policy")) {
      config_internal::read_password_policy(reader, *table, settings);
    }
  }
  if (const toml::node* node = root.get("daemon")) {
    if (const toml::table* table = subtable(reader, *node, "daemon")) {
      config_internal::read_daemon(reader, *table, settings.daemon);
    }
  }
  if (const toml::node* node = root.get("logging")) {
    if (const toml::table* table = subtable(reader, *node, "logging")) {
      read_logging(reader, *table, settings.logging);
    }
  }
}

}  // namespace

ConfigResult parse_config(std::string_view text) {
  if (auto unsafe = config_internal::find_unsafe_character(text)) {
    return tl::unexpected(std::vector<ConfigIssue>{std::move(*unsafe)});
  }
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return tl::unexpected(std::vector<ConfigIssue>{
        {"", begin.line, begin.column, "TOML syntax error: " + std::string(error.description())}});
  }

  Reader reader;
  Settings settings;
  read_root(reader, root, settings);
  if (reader.issues().empty()) {
    check_policy(reader, root, settings);
    check_pepper_mode(reader, root, settings);
  }
  if (!reader.issues().empty()) {
    auto& issues = reader.issues();
    std::stable_sort(issues.begin(), issues.end(), [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return tl::unexpected(std::move(issues));
  }
  return settings;
}

namespace {

// Makes a relative file setting relative to `directory`, the config file's,
// where a reader of the file expects it, instead of to the working directory.
void resolve_in(const std::filesystem::path& directory, std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) {
    return;
  }
  path = (directory / path).lexically_normal().string();
}

void resolve_relative_paths(Settings& settings, const std::filesystem::path& config_path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(config_path, error);
  if (error) {
    return;
  }
  const std::filesystem::path directory = absolute.parent_path();
  resolve_in(directory, settings.pepper.keyring);
  resolve_in(directory, settings.policy.password.breach_index);
  resolve_in(directory, settings.daemon.tls_certificate);
  resolve_in(directory, settings.daemon.tls_private_key);
}

}  // namespace

ConfigResult load_config(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return tl::unexpected(std::vector<ConfigIssue>{
        {"", 0, 0, "cannot open the config file; check the path and its permissions"}});
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return tl::unexpected(std::vector<ConfigIssue>{{"", 0, 0, "cannot read the config file"}});
  }
  auto settings = parse_config(text.str());
  if (settings) {
    resolve_relative_paths(*settings, path);
  }
  return settings;
}

std::string format_issue(const ConfigIssue& issue, std::string_view file) {
  std::ostringstream text;
  text << file;
  if (issue.line > 0) {
    text << ":" << issue.line << ":" << issue.column;
  }
  text << ": ";
  if (!issue.key.empty()) {
    text << issue.key << ": ";
  }
  text << issue.message;
  return text.str();
}

std::string_view log_level_name(LogLevel level) {
  return k_log_levels[static_cast<std::size_t>(level)];
}

}  // namespace pwsvc

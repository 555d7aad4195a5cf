// The [daemon] table of pwsvc.toml: listeners, access control and limits.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "config_reader.hpp"

namespace pwsvc {

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t number = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, number);
  if (error != std::errc() || rest == text.data()) {
    return std::nullopt;
  }

  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  unsigned shift = 0;
  if (unit == "KiB") {
    shift = 10;
  } else if (unit == "MiB") {
    shift = 20;
  } else if (unit == "GiB") {
    shift = 30;
  } else if (!unit.empty() && unit != "B") {
    return std::nullopt;
  }
  if (number > (UINT64_MAX >> shift)) {
    return std::nullopt;
  }
  return number << shift;
}

bool valid_listen_address(std::string_view address) {
  if (address.starts_with("unix:")) {
    return address.size() > 5 && address[5] == '/';
  }
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }

  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535) {
    return false;
  }

  std::string_view host = address.substr(0, colon);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  const std::string literal(bracketed ? host.substr(1, host.size() - 2) : host);
  unsigned char bytes[sizeof(in6_addr)];
  return bracketed ? ::inet_pton(AF_INET6, literal.c_str(), bytes) == 1
                   : ::inet_pton(AF_INET, literal.c_str(), bytes) == 1;
}

namespace {

// Reports whether the TCP listen `address` (valid, not unix:) is loopback:
// 127.0.0.0/8 or [::1].
bool is_loopback_listen(std::string_view address) {
  const std::string_view host = address.substr(0, address.rfind(':'));
  if (host.starts_with('[')) {
    return host == "[::1]";
  }
  return host.starts_with("127.");
}

}  // namespace

std::vector<std::string> listener_problems(const DaemonSettings& daemon) {
  std::vector<std::string> problems;
  const bool tls = !daemon.tls_certificate.empty() && !daemon.tls_private_key.empty();
  for (const std::string& address : daemon.listen) {
    if (address.starts_with("unix:")) {
      continue;
    }
    if (daemon.api_keys.empty()) {
      problems.push_back("TCP listener " + address +
                         " needs at least one [[daemon.api_keys]] entry in the config; "
                         "mint a key with 'pwsvc api-key'");
    }
    if (!tls && !daemon.allow_plaintext && !is_loopback_listen(address)) {
      problems.push_back("TCP listener " + address +
                         " is not on loopback and would send passwords without TLS; set "
                         "daemon.tls_certificate and daemon.tls_private_key, or set "
                         "daemon.allow_plaintext = true only behind a TLS-terminating proxy");
    }
  }
  return problems;
}

namespace config_internal {

namespace {

struct CountField {
  std::string_view key;
  std::uint32_t DaemonSettings::*field;
  std::uint64_t min;
  std::uint64_t max;
};

constexpr std::array k_count_fields{
    CountField{"workers", &DaemonSettings::workers, 0, 1024},
    CountField{"io_threads", &DaemonSettings::io_threads, 1, 64},
    CountField{"max_queue", &DaemonSettings::max_queue, 1, 1000000},
    CountField{"queue_timeout_ms", &DaemonSettings::queue_timeout_ms, 1, 600000},
    CountField{"header_timeout_ms", &DaemonSettings::header_timeout_ms, 1, 600000},
    CountField{"body_timeout_ms", &DaemonSettings::body_timeout_ms, 1, 600000},
    CountField{"idle_timeout_ms", &DaemonSettings::idle_timeout_ms, 1, 3600000},
    CountField{"drain_timeout_ms", &DaemonSettings::drain_timeout_ms, 0, 3600000},
    CountField{"max_header_bytes", &DaemonSettings::max_header_bytes, 1024, 1048576},
    CountField{"max_body_bytes", &DaemonSettings::max_body_bytes, 1024, 16777216},
    CountField{"max_connections", &DaemonSettings::max_connections, 1, 1000000},
};

void read_listen(Reader& reader, const toml::node& node, DaemonSettings& daemon) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    reader.add(node, "daemon.listen",
               "must be an array of " + std::string(k_listen_address_forms) + " strings");
    return;
  }
  for (const auto& item : *array) {
    const auto text = item.value<std::string>();
    if (!text || !valid_listen_address(*text)) {
      reader.add(item, "daemon.listen", "must be " + std::string(k_listen_address_forms));
      continue;
    }
    daemon.listen.push_back(*text);
  }
}

void read_ids(Reader& reader, const toml::node& node, const std::string& key,
              std::vector<std::uint32_t>& ids) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    reader.add(node, key, "must be an array of numeric ids");
    return;
  }
  for (const auto& item : *array) {
    if (const auto id = reader.integer(item, key, 0, UINT32_MAX - 1)) {
      ids.push_back(static_cast<std::uint32_t>(*id));
    }
  }
}

std::optional<std::array<unsigned char, 32>> parse_key_hash(std::string_view text) {
  constexpr std::string_view prefix = "sha256:";
  if (!text.starts_with(prefix) || text.size() != prefix.size() + 64) {
    return std::nullopt;
  }
  std::array<unsigned char, 32> digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const char* begin = text.data() + prefix.size() + 2 * i;
    unsigned value = 0;
    const auto [end, error] = std::from_chars(begin, begin + 2, value, 16);
    if (error != std::errc() || end != begin + 2) {
      return std::nullopt;
    }
    digest[i] = static_cast<unsigned char>(value);
  }
  return digest;
}

void read_api_keys(Reader& reader, const toml::node& node, DaemonSettings& daemon) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    reader.add(node, "daemon.api_keys", "must be an array of tables: [[daemon.api_keys]]");
    return;
  }
  for (const auto& item : *array) {
    const toml::table* table = subtable(reader, item, "daemon.api_keys");
    if (table == nullptr) {
      continue;
    }
    reader.reject_unknown(*table, "daemon.api_keys", {"name", "hash"});
    const auto name = (*table)["name"].value<std::string>();
    const auto hash = (*table)["hash"].value<std::string>();
    const auto digest = hash ? parse_key_hash(*hash) : std::nullopt;
    // Names label log lines and rate-limit buckets, so each must be unique.
    const bool name_used = name && std::any_of(daemon.api_keys.begin(), daemon.api_keys.end(),
                                           [&](const ApiKey& key) { return key.name == *name; });
    if (!name || name->empty()) {
      reader.add(item, "daemon.api_keys.name", "must be a non-empty string");
    } else if (name_used) {
      reader.add(item, "daemon.api_keys.name",
                 "'" + *name + "' names an earlier key too; give each key its own name");
    } else if (!digest) {
      reader.add(item, "daemon.api_keys.hash",
                 "must be \"sha256:\" and 64 hex digits, as printed by 'pwsvc api-key'");
    } else {
      daemon.api_keys.push_back({*name, *digest});
    }
  }
}

void read_rate_limit(Reader& reader, const toml::table& table, RateLimitSettings& limit) {
  reader.reject_unknown(table, "daemon.rate_limit",
                        {"requests_per_second", "burst", "failed_verifies_per_minute"});
  const auto read = [&](std::string_view key, double& field) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return;
    }
    const auto value = node->value<double>();
    // Written so that NaN, which fails every comparison, is an error too.
    if (!value || !(*value >= 0 && *value <= 1e9)) {
      reader.add(*node, "daemon.rate_limit." + std::string(key),
                 "must be a number from 0 (no limit) to 1e9");
      return;
    }
    field = *value;
  };
  read("requests_per_second", limit.requests_per_second);
  read("burst", limit.burst);
  read("failed_verifies_per_minute", limit.failed_verifies_per_minute);
}

bool read_count(Reader& reader, std::string_view key, const toml::node& node,
                DaemonSettings& daemon) {
  for (const auto& field : k_count_fields) {
    if (field.key == key) {
      if (const auto value = reader.integer(node, "daemon." + std::string(key), field.min,
                                            field.max)) {
        daemon.*(field.field) = static_cast<std::uint32_t>(*value);
      }
      return true;
    }
  }
  return false;
}

void read_string(Reader& reader, const toml::node& node, const std::string& key,
                 std::string& field) {
  const auto value = node.value<std::string>();
  if (!node.is_string() || !value) {
    reader.add(node, key, "must be a string");
    return;
  }
  field = *value;
}

void read_memory_budget(Reader& reader, const toml::node& node, DaemonSettings& daemon) {
  std::optional<std::uint64_t> bytes;
  if (node.is_integer()) {
    bytes = reader.integer(node, "daemon.memory_budget", 1, INT64_MAX);
    if (!bytes) {
      return;
    }
  } else if (const auto text = node.value<std::string>()) {
    bytes = parse_size(*text);
  }
  if (!bytes || *bytes < (std::uint64_t{1} << 20)) {
    reader.add(node, "daemon.memory_budget",
               "must be a size of at least 1MiB, such as \"512MiB\" or \"2GiB\"");
    return;
  }
  daemon.memory_budget = *bytes;
}

void read_socket_mode(Reader& reader, const toml::node& node, DaemonSettings& daemon) {
  const auto text = node.value<std::string>();
  unsigned mode = 0;
  const bool parsed =
      node.is_string() && text && !text->empty() &&
      std::from_chars(text->data(), text->data() + text->size(), mode, 8).ptr ==
          text->data() + text->size() &&
      mode <= 0777;
  if (!parsed) {
    reader.add(node, "daemon.unix_socket_mode", "must be an octal string such as \"0660\"");
    return;
  }
  daemon.unix_socket_mode = mode;
}

void read_daemon_value(Reader& reader, std::string_view key, const toml::key& where,
                       const toml::node& node, DaemonSettings& daemon) {
  const std::string dotted = "daemon." + std::string(key);
  if (read_count(reader, key, node, daemon)) {
    return;
  }
  if (key == "listen") {
    read_listen(reader, node, daemon);
  } else if (key == "unix_socket_mode") {
    read_socket_mode(reader, node, daemon);
  } else if (key == "allowed_uids") {
    read_ids(reader, node, dotted, daemon.allowed_uids);
  } else if (key == "allowed_gids") {
    read_ids(reader, node, dotted, daemon.allowed_gids);
  } else if (key == "api_keys") {
    read_api_keys(reader, node, daemon);
  } else if (key == "tls_certificate") {
    read_string(reader, node, dotted, daemon.tls_certificate);
  } else if (key == "tls_private_key") {
    read_string(reader, node, dotted, daemon.tls_private_key);
  } else if (key == "allow_plaintext") {
    const auto flag = node.value<bool>();
    if (!node.is_boolean() || !flag) {
      reader.add(node, dotted, "must be true or false");
      return;
    }
    daemon.allow_plaintext = *flag;
  } else if (key == "memory_budget") {
    read_memory_budget(reader, node, daemon);
  } else if (key == "rate_limit") {
    if (const toml::table* table = subtable(reader, node, dotted)) {
      read_rate_limit(reader, *table, daemon.rate_limit);
    }
  } else {
    reader.add(where.source(), dotted,
               "unknown key; see pwsvc.toml(5) for the keys of the [daemon] table");
  }
}

}  // namespace

void read_daemon(Reader& reader, const toml::table& table, DaemonSettings& daemon) {
  for (const auto& [key, node] : table) {
    read_daemon_value(reader, key.str(), key, node, daemon);
  }
}

}  // namespace config_internal

}  // namespace pwsvc

// Reads pwsvc.toml into the core's Policy and Limits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "pwsvc/engine.hpp"
#include "pwsvc/keyring.hpp"
#include "pwsvc/policy.hpp"

namespace pwsvc {

enum class LogLevel { trace, debug, info, warn, error, critical, off };

struct LoggingSettings {
  LogLevel level = LogLevel::warn;
};

// An API key allowed on TCP listeners: a name for logs and rate limits, and
// the SHA-256 of the key. The key itself is never stored.
struct ApiKey {
  std::string name;
  std::array<unsigned char, 32> sha256{};
};

struct RateLimitSettings {
  double requests_per_second = 100;    // per client; 0 turns the limit off
  double burst = 200;
  double failed_verifies_per_minute = 10;  // per `subject`; 0 turns the limit off
};

// The [daemon] table: listeners, access, execution and protection limits.
struct DaemonSettings {
  std::vector<std::string> listen;  // "unix:PATH" or "HOST:PORT"
  std::uint32_t unix_socket_mode = 0660;
  std::vector<std::uint32_t> allowed_uids;  // empty: the daemon's own uid and root
  std::vector<std::uint32_t> allowed_gids;
  std::vector<ApiKey> api_keys;
  std::string tls_certificate;
  std::string tls_private_key;
  bool allow_plaintext = false;
  std::uint32_t workers = 0;  // 0: one per core
  std::uint32_t io_threads = 2;
  std::uint64_t memory_budget = std::uint64_t{1} << 30;  // bytes
  std::uint32_t max_queue = 1024;
  std::uint32_t queue_timeout_ms = 2000;
  std::uint32_t header_timeout_ms = 5000;
  std::uint32_t body_timeout_ms = 10000;
  std::uint32_t idle_timeout_ms = 60000;
  std::uint32_t drain_timeout_ms = 30000;
  std::uint32_t max_header_bytes = 8192;
  std::uint32_t max_body_bytes = 65536;
  std::uint32_t max_connections = 1024;
  RateLimitSettings rate_limit;
};

// The [pepper] table's source of keys; mode and required live in Policy.
struct PepperSettings {
  std::string keyring;  // path of the key file; empty: see load_keyring()
};

// Everything a pwsvc.toml file sets.
struct Settings {
  Policy policy;
  Limits limits;
  LoggingSettings logging;
  DaemonSettings daemon;
  PepperSettings pepper;
};

// Parses a size such as "1GiB", "512MiB", "64KiB" or a plain number of
// bytes. Returns nothing for any other text or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Reports whether `address` is a valid daemon.listen entry: "unix:" and an
// absolute path, or an IPv4 address or a bracketed IPv6 address, a colon and
// a port of 0 to 65535.
bool valid_listen_address(std::string_view address);

// Returns what keeps pwsvcd from starting with these listeners, one message
// each: a TCP listener without API keys, or one on an address other than
// loopback without TLS or daemon.allow_plaintext. Expects valid addresses.
std::vector<std::string> listener_problems(const DaemonSettings& daemon);

// What valid_listen_address() accepts, for error messages.
inline constexpr std::string_view k_listen_address_forms =
    "\"unix:/absolute/path\", \"IPV4:PORT\" or \"[IPV6]:PORT\" with a port of 0 to 65535";

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
// issue with line 0. Relative paths in the file (pepper.keyring,
// password_policy.breach_index and the daemon's TLS files) are made
// relative to the file's directory.
ConfigResult load_config(const std::filesystem::path& path);

// Formats an issue as "FILE:LINE:COLUMN: KEY: MESSAGE".
std::string format_issue(const ConfigIssue& issue, std::string_view file);

std::string_view log_level_name(LogLevel level);

// The systemd credential name that load_keyring() looks for.
inline constexpr std::string_view k_keyring_credential = "pwsvc-keyring";

// Loads the keyring from pepper.keyring, else from the systemd credential
// $CREDENTIALS_DIRECTORY/pwsvc-keyring, else from the keyring text in
// $PWSVC_KEYRING. Returns null when none is configured; fails when the
// policy requires a pepper and there is no keyring.
Result<std::shared_ptr<const Keyring>> load_keyring(const Settings& settings);

// Builds the engine for `settings`, with its keyring.
Result<Engine> make_engine(const Settings& settings);

}  // namespace pwsvc

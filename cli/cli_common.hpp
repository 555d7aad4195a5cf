// Shared pieces of the pwsvc subcommands: exit codes, settings, error output.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"
#include "pwsvc/result.hpp"

namespace pwsvc::cli {

// The documented exit statuses; CLI11's own codes are never used.
enum ExitCode : int {
  k_exit_ok = 0,            // success, or the password matched
  k_exit_mismatch = 1,      // the password did not match
  k_exit_usage = 2,         // bad usage, or an invalid, unsupported or over-limit hash
  k_exit_needs_rehash = 3,  // matched, needs a rehash, and --check-rehash was given
  k_exit_internal = 4,      // a library or system failure
  k_exit_refused = 5,       // a new password breaks the password policy
};

// Options accepted before or after any subcommand.
struct GlobalOptions {
  std::string config_path;
  std::optional<std::string> remote;  // --remote; unset: $PWSVC_REMOTE, else local
  std::string api_key_file;           // --api-key-file; empty: $PWSVC_API_KEY_FILE
  std::string remote_ca;              // --remote-ca
};

// Settings after the config file is found and read, or the exit status when
// reading failed (the issues are already printed).
struct LoadedSettings {
  Settings settings;
  int failure = k_exit_ok;
};

// Loads settings from --config, else $PWSVC_CONFIG, else /etc/pwsvc/pwsvc.toml
// when it exists, else the built-in defaults.
LoadedSettings load_settings(const GlobalOptions& options);

// Maps a core error code to the exit status.
int exit_code_for(ErrorCode code);

// Prints "pwsvc: error: MESSAGE" to stderr and returns `status`.
int print_error(std::string_view message, int status);

// Prints the core error and returns its exit status.
int print_error(const Error& error);

// Writes all of `text` with write(2), so no stdio buffer keeps a secret.
bool write_all(int fd, std::string_view text);

// Flushes the file at `path` to disk. Returns false when that fails.
bool sync_file(const std::filesystem::path& path);

// Flushes the directory that contains `path`, so that a rename into it
// survives a power loss. Failures are ignored: some file systems refuse it.
void sync_parent_directory(const std::filesystem::path& path);

}  // namespace pwsvc::cli

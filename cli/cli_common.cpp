// Settings lookup and error reporting shared by the subcommands.
#include "cli_common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace pwsvc::cli {

namespace {

constexpr std::string_view k_system_config = "/etc/pwsvc/pwsvc.toml";

std::string config_path(const GlobalOptions& options) {
  if (!options.config_path.empty()) {
    return options.config_path;
  }
  if (const char* from_env = std::getenv("PWSVC_CONFIG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  std::error_code ignored;
  if (std::filesystem::exists(k_system_config, ignored)) {
    return std::string(k_system_config);
  }
  return {};
}

}  // namespace

LoadedSettings load_settings(const GlobalOptions& options) {
  const std::string path = config_path(options);
  if (path.empty()) {
    return {};
  }

  auto loaded = load_config(path);
  if (!loaded) {
    for (const auto& issue : loaded.error()) {
      std::cerr << "pwsvc: error: " << format_issue(issue, path) << "\n";
    }
    return {Settings{}, k_exit_usage};
  }
  return {std::move(*loaded), k_exit_ok};
}

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::malformed_hash:
    case ErrorCode::unsupported:
    case ErrorCode::limit_exceeded:
      return k_exit_usage;
    case ErrorCode::resource_exhausted:
    case ErrorCode::unavailable:
    case ErrorCode::missing_key:
    case ErrorCode::internal:
      return k_exit_internal;
    case ErrorCode::invalid_utf8:
    case ErrorCode::too_short:
    case ErrorCode::too_long:
    case ErrorCode::context_word:
    case ErrorCode::breached:
    case ErrorCode::weak:
      return k_exit_refused;
  }
  return k_exit_internal;
}

int print_error(std::string_view message, int status) {
  std::cerr << "pwsvc: error: " << message << "\n";
  return status;
}

int print_error(const Error& error) { return print_error(error.message, exit_code_for(error.code)); }

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written < 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

bool sync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

void sync_parent_directory(const std::filesystem::path& path) {
  const std::filesystem::path directory = path.parent_path();
  const int fd = ::open(directory.empty() ? "." : directory.c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace pwsvc::cli

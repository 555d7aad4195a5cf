// pwsvc config check: report every problem in a config file.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "commands.hpp"

namespace pwsvc::cli {

namespace {

// Checks that the file that setting `key` names, if any, can be read. A
// missing file is a config error (2), and any other failure a system one (4).
int check_readable(const std::string& path, std::string_view key, const std::string& file) {
  if (file.empty() || ::access(file.c_str(), R_OK) == 0) {
    return k_exit_ok;
  }
  const int error = errno;
  return print_error(path + ": " + std::string(key) + ": cannot read " + file + ": " +
                         std::strerror(error),
                     error == ENOENT ? k_exit_usage : k_exit_internal);
}

// Opens the keyring and the breach index that the config names, as pwsvc
// and pwsvcd open them, and checks that the TLS files can be read, so that a
// path that would fail at start fails here.
int check_named_files(const std::string& path, const Settings& settings) {
  if (!settings.pepper.keyring.empty()) {
    if (auto keyring = Keyring::load(settings.pepper.keyring); !keyring) {
      return print_error(path + ": pepper.keyring: " + keyring.error().message,
                         exit_code_for(keyring.error().code));
    }
  }
  if (const int failure = check_readable(path, "daemon.tls_certificate",
                                         settings.daemon.tls_certificate);
      failure != k_exit_ok) {
    return failure;
  }
  if (const int failure = check_readable(path, "daemon.tls_private_key",
                                         settings.daemon.tls_private_key);
      failure != k_exit_ok) {
    return failure;
  }
  if (const std::string& index = settings.policy.password.breach_index; !index.empty()) {
    if (auto opened = BreachIndex::open(index); !opened) {
      return print_error(path + ": password_policy.breach_index: " + opened.error().message,
                         exit_code_for(opened.error().code));
    }
  }
  return k_exit_ok;
}

int run_check(const std::string& path) {
  auto loaded = load_config(path);
  if (!loaded) {
    for (const auto& issue : loaded.error()) {
      std::cerr << "pwsvc: error: " << format_issue(issue, path) << "\n";
    }
    return k_exit_usage;
  }

  // pwsvcd refuses these at start, so they are errors here too, though the
  // CLI itself never listens.
  const std::vector<std::string> problems = listener_problems(loaded->daemon);
  for (const std::string& problem : problems) {
    std::cerr << "pwsvc: error: " << path << ": daemon.listen: " << problem << "\n";
  }
  if (!problems.empty()) {
    return k_exit_usage;
  }

  if (const int failure = check_named_files(path, *loaded); failure != k_exit_ok) {
    return failure;
  }
  std::cout << path << ": ok\n";
  return k_exit_ok;
}

}  // namespace

void add_config_command(CLI::App& app, const GlobalOptions& /*global*/, int& status) {
  CLI::App* config = app.add_subcommand("config", "Work with pwsvc.toml config files");
  config->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  CLI::App* check = config->add_subcommand(
      "check", "Check a config file; print each error with its line, column and key");
  check->add_option("file", *path, "The config file")->required();
  check->footer("When the file has no errors, also checks the listeners as pwsvcd does at\n"
                "start, opens the keyring file and the breach index that it names, and\n"
                "checks that the TLS files can be read.\n"
                "Exit status: 0 when the file is valid, 2 otherwise, 4 when a named file\n"
                "cannot be read for a system reason.\n\n"
                "Example:\n"
                "  pwsvc config check /etc/pwsvc/pwsvc.toml");
  check->callback([path, &status] { status = run_check(*path); });
}

}  // namespace pwsvc::cli

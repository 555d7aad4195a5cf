// pwsvc config check: report every problem in a config file.
#include <iostream>
#include <memory>

#include "commands.hpp"

namespace pwsvc::cli {

namespace {

// Opens the keyring and the breach index that the config names, as pwsvc
// and pwsvcd open them, so that a path that would fail at start fails here.
int check_named_files(const std::string& path, const Settings& settings) {
  if (!settings.pepper.keyring.empty()) {
    if (auto keyring = Keyring::load(settings.pepper.keyring); !keyring) {
      return print_error(path + ": pepper.keyring: " + keyring.error().message,
                         exit_code_for(keyring.error().code));
    }
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
  check->footer("When the file has no errors, also opens the keyring file and the breach\n"
                "index that it names.\n"
                "Exit status: 0 when the file is valid, 2 otherwise, 4 when a named file\n"
                "cannot be read for a system reason.\n\n"
                "Example:\n"
                "  pwsvc config check /etc/pwsvc/pwsvc.toml");
  check->callback([path, &status] { status = run_check(*path); });
}

}  // namespace pwsvc::cli

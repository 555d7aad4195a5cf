// pwsvc config check: report every problem in a config file.
#include <iostream>
#include <memory>

#include "commands.hpp"

namespace pwsvc::cli {

namespace {

int run_check(const std::string& path) {
  auto loaded = load_config(path);
  if (!loaded) {
    for (const auto& issue : loaded.error()) {
      std::cerr << "pwsvc: error: " << format_issue(issue, path) << "\n";
    }
    return k_exit_usage;
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
  check->footer("Exit status: 0 when the file is valid, 2 otherwise.\n\n"
                "Example:\n"
                "  pwsvc config check /etc/pwsvc/pwsvc.toml");
  check->callback([path, &status] { status = run_check(*path); });
}

}  // namespace pwsvc::cli

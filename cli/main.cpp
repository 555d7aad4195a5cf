// pwsvc: hash, verify and identify passwords from the command line.
#include <iostream>

#include <sodium.h>

#include "commands.hpp"

namespace {

int run(int argc, char** argv) {
  using namespace pwsvc::cli;

  CLI::App app("pwsvc: hash new passwords and verify stored hashes from every mainstream "
               "format.\nPasswords are read from stdin, a prompt or --password-fd, never from "
               "arguments.",
               "pwsvc");
  app.set_version_flag("--version", std::string("pwsvc ") + PWSVC_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  app.add_option("--config", global.config_path,
                 "Config file (default: $PWSVC_CONFIG, else /etc/pwsvc/pwsvc.toml when present)");

  int status = k_exit_ok;
  add_hash_command(app, global, status);
  add_verify_command(app, global, status);
  add_identify_command(app, global, status);
  add_config_command(app, global, status);
  app.footer("Exit status: 0 success or match, 1 mismatch, 2 usage error or invalid hash,\n"
             "3 match needing a rehash (verify --check-rehash), 4 internal failure.\n"
             "Run 'pwsvc COMMAND --help' for a command's options and examples.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return k_exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return k_exit_ok;
  } catch (const CLI::CallForVersion&) {
    std::cout << app.version() << "\n";
    return k_exit_ok;
  } catch (const CLI::ParseError& error) {
    return print_error(std::string(error.what()) + "; run 'pwsvc --help' for usage",
                       k_exit_usage);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "pwsvc: error: libsodium failed to initialise\n";
    return pwsvc::cli::k_exit_internal;
  }
  return run(argc, argv);
}

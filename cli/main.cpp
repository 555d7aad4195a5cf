// pwsvc: hash, verify and identify passwords from the command line.
#include <iostream>

#include <sodium.h>

#include "commands.hpp"
#include "remote_client.hpp"

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
  app.add_option("--remote", global.remote,
                 "Run hash, verify, identify and check-password on pwsvcd at ADDRESS: unix:PATH, "
                 "http://HOST:PORT or https://HOST:PORT (default: $PWSVC_REMOTE; when "
                 "neither is set, run locally)")
      ->type_name("ADDRESS");
  app.add_option("--api-key-file", global.api_key_file,
                 "Read the API key for http:// and https:// addresses from the one line of "
                 "FILE (default: $PWSVC_API_KEY_FILE)")
      ->type_name("FILE");
  app.add_option("--remote-ca", global.remote_ca,
                 "Trust only the PEM CA or self-signed certificate in FILE for https:// "
                 "(default: the system's CAs)")
      ->type_name("FILE");

  int status = k_exit_ok;
  add_hash_command(app, global, status);
  add_verify_command(app, global, status);
  add_identify_command(app, global, status);
  add_check_password_command(app, global, status);
  add_config_command(app, global, status);
  add_api_key_command(app, status);
  add_bench_command(app, global, status);
  add_tune_command(app, global, status);
  add_audit_command(app, global, status);
  add_keys_command(app, global, status);
  add_breach_index_command(app, status);
  app.footer("With --remote, output and exit statuses are those of a local run. Connecting\n"
             "times out after " + std::to_string(k_connect_timeout.count()) +
             " s, the whole request after " + std::to_string(k_request_timeout.count()) +
             " s; a daemon that is unreachable or busy\n"
             "gives exit status 4.\n\n"
             "Exit status: 0 success or match, 1 mismatch, 2 usage error or invalid hash,\n"
             "3 match needing a rehash (verify --check-rehash), 4 internal failure or daemon\n"
             "unreachable, 5 password rejected by the password policy.\n"
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

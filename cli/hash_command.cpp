// pwsvc hash: hash a password read from stdin, a prompt or a descriptor.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "hash_request.hpp"
#include "password_input.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

struct HashOptions {
  std::string algorithm;
  std::vector<std::string> params;
  std::optional<int> password_fd;
  std::vector<std::string> context;
  bool no_policy = false;
};

int run_hash(const HashOptions& options, const GlobalOptions& global) {
  const RunnerChoice choice = choose_runner(global);
  if (!choice.runner) {
    return choice.failure;
  }
  auto request = parse_hash_request(options.algorithm, options.params);
  if (!request) {
    return print_error(request.error());
  }
  if (options.no_policy && choice.remote) {
    return print_error("--no-policy works only for local runs: pwsvcd always applies its "
                       "password policy; run without --remote to import passwords",
                       k_exit_usage);
  }
  if (auto checked = check_context_words(options.context); !checked) {
    return print_error(checked.error());
  }
  request->new_password = !options.no_policy;
  request->context = options.context;

  auto password =
      read_password(options.password_fd, Confirm::yes, choice.runner->max_password_bytes());
  if (!password) {
    return print_error(password.error());
  }

  auto hashed = choice.runner->hash(password->view(), *request);
  if (!hashed) {
    return print_error(hashed.error());
  }
  std::cout << *hashed << "\n";
  return k_exit_ok;
}

}  // namespace

void add_hash_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<HashOptions>();
  CLI::App* command = app.add_subcommand("hash", "Hash a new password under the policy");
  add_hash_options(*command, options->algorithm, options->params);
  command->add_option("--password-fd", options->password_fd,
                      "Read the password from this file descriptor until end of file, byte for "
                      "byte (default: stdin without its trailing newline, or a prompt)");
  add_context_option(*command, options->context);
  command->add_flag("--no-policy", options->no_policy,
                    "Skip the password policy's rules, to import existing passwords; local runs "
                    "only");
  command->footer(
      "Exit status 5 means the password breaks a rule of the password policy; the message "
      "names the rule.\n"
      "Examples:\n"
      "  printf '%s\\n' \"$PASSWORD\" | pwsvc hash\n"
      "  pwsvc hash --context alice --context alice@example.com < password.txt\n"
      "  pwsvc hash --algorithm bcrypt --param cost=12 < password.txt\n"
      "  pwsvc hash -a argon2id -P m=65536 -P t=3 -P p=4 --password-fd 3 3< secret.bin");
  command->callback([options, &global, &status] { status = run_hash(*options, global); });
}

}  // namespace pwsvc::cli

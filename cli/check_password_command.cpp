// pwsvc check-password: show every password policy rule's verdict on a password.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "hash_request.hpp"
#include "password_input.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

struct CheckOptions {
  std::optional<int> password_fd;
  std::vector<std::string> context;
  bool json = false;
};

std::string text_of(const boost::json::value& value) {
  return value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
}

// Prints a password_report_json() object, from this process or from pwsvcd.
void print_text(const boost::json::object& report) {
  const bool acceptable = report.at("acceptable").as_bool();
  const bool enforced = report.at("enforced").as_bool();
  std::cout << "acceptable: " << (acceptable ? "yes" : "no");
  if (!enforced) {
    std::cout << " (password_policy.enabled is false, so pwsvc hash does not refuse it)";
  }
  std::cout << "\n";

  for (const auto& item : report.at("rules").as_array()) {
    const auto& outcome = item.as_object();
    const std::string rule = text_of(outcome.at("rule"));
    std::cout << "  " << (outcome.at("passed").as_bool() ? "ok    " : "FAIL  ") << rule
              << std::string(rule.size() < 14 ? 14 - rule.size() : 1, ' ')
              << text_of(outcome.at("detail")) << "\n";
  }
  if (const auto* strength = report.if_contains("strength")) {
    std::cout << "strength: " << text_of(*strength) << " of 4 (about 2^"
              << text_of(report.at("entropy_bits")) << " guesses)\n";
    for (const auto& hint : report.at("feedback").as_array()) {
      std::cout << "  - " << text_of(hint) << "\n";
    }
  }
}

int run_check(const CheckOptions& options, const GlobalOptions& global) {
  const RunnerChoice choice = choose_runner(global);
  if (!choice.runner) {
    return choice.failure;
  }
  if (auto checked = check_context_words(options.context); !checked) {
    return print_error(checked.error());
  }
  auto password =
      read_password(options.password_fd, Confirm::no, choice.runner->max_password_bytes());
  if (!password) {
    return print_error(password.error());
  }

  auto report = choice.runner->check_password(password->view(), options.context);
  password->clear();
  if (!report) {
    return print_error(report.error());
  }
  if (options.json) {
    std::cout << boost::json::serialize(*report) << "\n";
  } else {
    print_text(*report);
  }
  return report->at("acceptable").as_bool() ? k_exit_ok : k_exit_refused;
}

}  // namespace

void add_check_password_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check-password", "Show which password policy rules a new password passes");
  command->add_option("--password-fd", options->password_fd,
                      "Read the password from this file descriptor until end of file, byte for "
                      "byte (default: stdin without its trailing newline, or a prompt)");
  add_context_option(*command, options->context);
  command->add_flag("--json", options->json, "Print the result as one JSON object");
  command->footer(
      "Rules: invalid_utf8, too_short, too_long, context_word, breached, weak. Exit status:\n"
      "0 when the password passes every rule, 5 when it breaks one. Nothing is hashed.\n\n"
      "Example:\n"
      "  pwsvc check-password --context alice < password.txt");
  command->callback([options, &global, &status] { status = run_check(*options, global); });
}

}  // namespace pwsvc::cli

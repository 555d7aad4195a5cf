// pwsvc identify: name a stored hash's scheme and parameters and judge it.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

struct IdentifyOptions {
  std::string hash;
  bool json = false;
};

// Returns a JSON string's text, or a number's decimal digits.
std::string display_text(const boost::json::value& value) {
  return value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
}

// Prints an identification_json() object, from this process or from pwsvcd.
void print_text(const boost::json::object& found) {
  std::cout << "scheme:       " << display_text(found.at("scheme")) << "\n";
  if (found.contains("format")) {
    std::cout << "format:       " << display_text(found.at("format")) << "\n";
    std::cout << "parameters:  ";
    for (const auto& member : found.at("parameters").as_object()) {
      std::cout << " " << std::string_view(member.key()) << "=" << display_text(member.value());
    }
    std::cout << "\n";
    std::cout << "salt:         " << display_text(found.at("salt_bytes")) << " bytes\n";
    std::cout << "digest:       " << display_text(found.at("digest_bytes")) << " bytes\n";
  }
  std::cout << "verdict:      " << display_text(found.at("verdict")) << "\n";
  std::cout << "needs rehash: " << (found.at("needs_rehash").as_bool() ? "yes" : "no") << "\n";
  for (const auto& reason : found.at("reasons").as_array()) {
    std::cout << "reason:       " << display_text(reason) << "\n";
  }
}

int run_identify(const IdentifyOptions& options, const GlobalOptions& global) {
  const RunnerChoice choice = choose_runner(global);
  if (!choice.runner) {
    return choice.failure;
  }

  auto found = choice.runner->identify(options.hash);
  if (!found) {
    return print_error(found.error());
  }
  if (options.json) {
    std::cout << boost::json::serialize(*found) << "\n";
  } else {
    print_text(*found);
  }
  const std::string verdict = display_text(found->at("verdict"));
  const bool recognised =
      verdict != verdict_name(Verdict::invalid) && verdict != verdict_name(Verdict::unknown);
  return recognised ? k_exit_ok : k_exit_usage;
}

}  // namespace

void add_identify_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<IdentifyOptions>();
  CLI::App* command = app.add_subcommand(
      "identify", "Show a stored hash's scheme, parameters and policy verdict");
  command->add_option("hash", options->hash, "The stored hash")->required();
  command->add_flag("--json", options->json, "Print the result as one JSON object");
  command->footer(
      "Verdicts: ok, weak (below the policy's floor), legacy (deprecated algorithm),\n"
      "over-limit, locked, invalid, unknown. Exit status: 0 when the hash is recognised,\n"
      "2 when it is invalid or unknown. No password is read.\n\n"
      "Example:\n"
      "  pwsvc identify --json '$2y$10$...'");
  command->callback([options, &global, &status] { status = run_identify(*options, global); });
}

}  // namespace pwsvc::cli

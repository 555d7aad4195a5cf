// pwsvc identify: name a stored hash's scheme and parameters and judge it.
#include <iostream>
#include <memory>


#include "commands.hpp"
#include "json_views.hpp"
#include "pwsvc/engine.hpp"

namespace pwsvc::cli {

namespace {

struct IdentifyOptions {
  std::string hash;
  bool json = false;
};

void print_json(const Identification& found) {
  std::cout << boost::json::serialize(identification_json(found)) << "\n";
}

void print_text(const Identification& found) {
  std::cout << "scheme:       " << found.family << "\n";
  if (found.parsed) {
    std::cout << "format:       " << format_name(found.parsed->format) << "\n";
    std::cout << "parameters:  ";
    for (const auto& [key, value] : found.parsed->params) {
      std::cout << " " << key << "=" << value;
    }
    std::cout << "\n";
    std::cout << "salt:         " << found.parsed->salt_size << " bytes\n";
    std::cout << "digest:       " << found.parsed->digest_size << " bytes\n";
  }
  std::cout << "verdict:      " << verdict_name(found.verdict) << "\n";
  std::cout << "needs rehash: " << (found.needs_rehash ? "yes" : "no") << "\n";
  for (const auto& reason : found.reasons) {
    std::cout << "reason:       " << reason << "\n";
  }
}

int run_identify(const IdentifyOptions& options, const GlobalOptions& global) {
  const LoadedSettings loaded = load_settings(global);
  if (loaded.failure != k_exit_ok) {
    return loaded.failure;
  }

  const Engine engine(loaded.settings.policy, loaded.settings.limits);
  const Identification found = engine.identify(options.hash);
  if (options.json) {
    print_json(found);
  } else {
    print_text(found);
  }
  const bool recognised = found.verdict != Verdict::invalid && found.verdict != Verdict::unknown;
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

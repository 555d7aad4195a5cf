// Registration of every pwsvc subcommand on the CLI11 application.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.hpp"

namespace pwsvc::cli {

// Each function adds one subcommand whose callback runs it and stores its
// exit status in `status`.
void add_hash_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_check_password_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_verify_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_identify_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_config_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_api_key_command(CLI::App& app, int& status);
void add_bench_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_tune_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_audit_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_keys_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_breach_index_command(CLI::App& app, int& status);

}  // namespace pwsvc::cli

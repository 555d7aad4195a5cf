// pwsvc verify: check a password against a stored hash and report the result in the exit status.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "password_input.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

struct VerifyOptions {
  std::string hash;
  std::string hash_file;
  std::optional<int> password_fd;
  bool check_rehash = false;
  bool rehash = false;
  bool json = false;
};

// Reads the stored hash from a file, removing one trailing line break: the
// load-time rule, because verification itself never trims.
Result<std::string> read_hash_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return fail(ErrorCode::invalid_argument,
                "cannot open hash file '" + path + "'; check the path and its permissions");
  }
  std::ostringstream text;
  text << file.rdbuf();
  std::string hash = text.str();
  if (hash.ends_with('\n')) {
    hash.pop_back();
    if (hash.ends_with('\r')) {
      hash.pop_back();
    }
  }
  return hash;
}

Result<std::string> stored_hash(const VerifyOptions& options) {
  if (!options.hash_file.empty()) {
    return read_hash_file(options.hash_file);
  }
  return options.hash;
}

// Prints a verify_result_json() object, from this process or from pwsvcd.
void print_result(const VerifyOptions& options, const boost::json::object& result) {
  if (options.json) {
    std::cout << boost::json::serialize(result) << "\n";
    return;
  }

  if (!result.at("match").as_bool()) {
    std::cout << "mismatch\n";
  } else if (!result.at("needs_rehash").as_bool()) {
    std::cout << "match\n";
  } else {
    const boost::json::array& reasons = result.at("rehash_reasons").as_array();
    std::cout << "match, needs rehash: " << std::string_view(reasons.front().as_string())
              << "\n";
  }
  // A boost::json::string goes through std::string_view because its own
  // operator<< writes it as quoted JSON.
  if (const auto* new_hash = result.if_contains("new_hash")) {
    std::cout << std::string_view(new_hash->as_string()) << "\n";
  }
}

int exit_status(const VerifyOptions& options, const boost::json::object& result) {
  if (!result.at("match").as_bool()) {
    return k_exit_mismatch;
  }
  const bool needs_rehash = result.at("needs_rehash").as_bool();
  return options.check_rehash && needs_rehash ? k_exit_needs_rehash : k_exit_ok;
}

int run_verify(const VerifyOptions& options, const GlobalOptions& global) {
  const RunnerChoice choice = choose_runner(global);
  if (!choice.runner) {
    return choice.failure;
  }
  auto stored = stored_hash(options);
  if (!stored) {
    return print_error(stored.error());
  }

  // Report a hash that can never verify before asking for a password.
  if (auto verifiable = choice.runner->check_verifiable(*stored); !verifiable) {
    return print_error(verifiable.error());
  }

  auto password =
      read_password(options.password_fd, Confirm::no, choice.runner->max_password_bytes());
  if (!password) {
    return print_error(password.error());
  }

  const Rehash rehash = options.rehash ? Rehash::yes : Rehash::no;
  auto result = choice.runner->verify(password->view(), *stored, rehash);
  if (!result) {
    return print_error(result.error());
  }
  print_result(options, *result);
  return exit_status(options, *result);
}

}  // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* command = app.add_subcommand(
      "verify", "Verify a password against a stored hash (exit 0 match, 1 mismatch)");
  auto* hash = command->add_option("hash", options->hash, "The stored hash");
  auto* file = command->add_option("--hash-file", options->hash_file,
                                   "Read the stored hash from this file; one trailing newline "
                                   "is removed");
  hash->excludes(file);
  command->add_option("--password-fd", options->password_fd,
                      "Read the password from this file descriptor until end of file, byte for "
                      "byte (default: stdin without its trailing newline, or a prompt)");
  command->add_flag("--check-rehash", options->check_rehash,
                    "Exit 3 when the password matches but the hash needs a rehash");
  command->add_flag("--rehash", options->rehash,
                    "When the hash needs a rehash, print a new hash under the policy");
  command->add_flag("--json", options->json,
                    "Print {\"match\", \"needs_rehash\", \"scheme\"} as JSON");
  command->footer(
      "Exit status: 0 match, 1 mismatch, 2 usage error or invalid, unsupported or over-limit\n"
      "hash, 3 match needing a rehash (with --check-rehash), 4 internal failure.\n\n"
      "Examples:\n"
      "  pwsvc verify '$argon2id$v=19$m=19456,t=2,p=1$...' < password.txt\n"
      "  pwsvc verify --hash-file stored.txt --check-rehash --rehash --json < password.txt");
  command->callback([options, &global, &status, hash, file] {
    if (hash->count() == 0 && file->count() == 0) {
      status = print_error("verify needs the stored hash as an argument or --hash-file FILE",
                           k_exit_usage);
      return;
    }
    status = run_verify(*options, global);
  });
}

}  // namespace pwsvc::cli

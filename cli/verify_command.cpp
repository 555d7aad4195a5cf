// pwsvc verify: check a password against a stored hash; the exit status is the answer.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>


#include "commands.hpp"
#include "json_views.hpp"
#include "password_input.hpp"
#include "pwsvc/engine.hpp"

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

void print_result(const VerifyOptions& options, const VerifyResult& result,
                  const std::optional<std::string>& new_hash) {
  if (options.json) {
    std::cout << boost::json::serialize(verify_result_json(result, new_hash)) << "\n";
    return;
  }

  if (!result.match) {
    std::cout << "mismatch\n";
  } else if (!result.needs_rehash) {
    std::cout << "match\n";
  } else {
    std::cout << "match, needs rehash: " << result.rehash_reasons.front() << "\n";
  }
  if (new_hash) {
    std::cout << *new_hash << "\n";
  }
}

int exit_status(const VerifyOptions& options, const VerifyResult& result) {
  if (!result.match) {
    return k_exit_mismatch;
  }
  return options.check_rehash && result.needs_rehash ? k_exit_needs_rehash : k_exit_ok;
}

int run_verify(const VerifyOptions& options, const GlobalOptions& global) {
  const LoadedSettings loaded = load_settings(global);
  if (loaded.failure != k_exit_ok) {
    return loaded.failure;
  }
  auto stored = stored_hash(options);
  if (!stored) {
    return print_error(stored.error());
  }

  const Engine engine(loaded.settings.policy, loaded.settings.limits);
  const Identification found = engine.identify(*stored);
  if (!found.parsed || found.verdict == Verdict::over_limit) {
    // Report a hash that can never verify before asking for a password.
    auto rejected = engine.verify({}, *stored);
    return rejected ? print_error("internal error: an invalid hash verified", k_exit_internal)
                    : print_error(rejected.error());
  }

  auto password = read_password(options.password_fd, Confirm::no,
                                loaded.settings.limits.max_password_bytes);
  if (!password) {
    return print_error(password.error());
  }

  auto result = engine.verify(password->view(), *stored);
  if (!result) {
    return print_error(result.error());
  }

  std::optional<std::string> new_hash;
  if (options.rehash && result->needs_rehash) {
    auto hashed = engine.hash(password->view());
    if (hashed) {
      new_hash = std::move(*hashed);
    } else {
      // The match still stands; only the new hash could not be made.
      std::cerr << "pwsvc: warning: no new hash: " << hashed.error().message << "\n";
    }
  }
  print_result(options, *result, new_hash);
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

// The local runner: the operations on an Engine in this process.
#include <cstdlib>
#include <iostream>

#include "json_views.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

class LocalRunner final : public Runner {
 public:
  explicit LocalRunner(Engine engine) : engine_(std::move(engine)) {}

  std::size_t max_password_bytes() const override { return engine_.limits().max_password_bytes; }

  Result<std::string> hash(ByteView password, const HashRequest& request) const override {
    return engine_.hash(password, request);
  }

  Result<void> check_verifiable(std::string_view stored) const override {
    const Identification found = engine_.identify(stored);
    if (found.parsed && found.verdict != Verdict::over_limit) {
      return {};
    }
    // The engine rejects such a hash before any key derivation; its error
    // is the one a verify with a password would get.
    auto rejected = engine_.verify({}, stored);
    if (rejected) {
      return fail(ErrorCode::internal, "internal error: an invalid hash verified");
    }
    return tl::unexpected(rejected.error());
  }

  Result<boost::json::object> verify(ByteView password, std::string_view stored,
                                     Rehash rehash) const override {
    auto result = engine_.verify(password, stored);
    if (!result) {
      return tl::unexpected(result.error());
    }

    std::optional<std::string> new_hash;
    if (rehash == Rehash::yes && result->needs_rehash) {
      auto hashed = engine_.hash(password);
      if (hashed) {
        new_hash = std::move(*hashed);
      } else {
        // The match is still valid, and only the new hash could not be made.
        std::cerr << "pwsvc: warning: no new hash: " << hashed.error().message << "\n";
      }
    }
    return verify_result_json(*result, new_hash);
  }

  Result<boost::json::object> identify(std::string_view stored) const override {
    return identification_json(engine_.identify(stored));
  }

  Result<boost::json::object> check_password(
      ByteView password, const std::vector<std::string>& context) const override {
    auto report = engine_.check_password(password, context);
    if (!report) {
      return tl::unexpected(report.error());
    }
    return password_report_json(*report, engine_.policy().password.enabled);
  }

 private:
  Engine engine_;
};

}  // namespace

RunnerChoice make_local_runner(const GlobalOptions& options) {
  if (!options.api_key_file.empty() || !options.remote_ca.empty()) {
    const char* option = options.api_key_file.empty() ? "--remote-ca" : "--api-key-file";
    print_error(std::string(option) + " applies only to a daemon; give --remote ADDRESS or set "
                "$PWSVC_REMOTE", k_exit_usage);
    return {nullptr, k_exit_usage};
  }
  const LoadedSettings loaded = load_settings(options);
  if (loaded.failure != k_exit_ok) {
    return {nullptr, loaded.failure};
  }
  auto engine = make_engine(loaded.settings);
  if (!engine) {
    return {nullptr, print_error(engine.error().message, exit_code_for(engine.error().code))};
  }
  return {std::make_unique<LocalRunner>(std::move(*engine)), k_exit_ok};
}

RunnerChoice choose_runner(const GlobalOptions& options) {
  if (options.remote) {
    return make_remote_runner(options, *options.remote);
  }
  if (const char* from_env = std::getenv("PWSVC_REMOTE"); from_env != nullptr && *from_env) {
    return make_remote_runner(options, from_env);
  }
  return make_local_runner(options);
}

}  // namespace pwsvc::cli

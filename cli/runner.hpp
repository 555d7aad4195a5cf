// Runner: where hash, verify and identify run, in this process or on pwsvcd.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "cli_common.hpp"
#include "pwsvc/engine.hpp"

namespace pwsvc::cli {

// Whether verify also makes a new hash when the stored one needs a rehash.
enum class Rehash { no, yes };

// Runs the operations of the hash, verify and identify commands. The local
// runner uses an Engine; the remote runner sends the same request to pwsvcd.
// Both return the JSON views of core/json/json_views.hpp, so the commands
// print a local and a remote result with the same code.
class Runner {
 public:
  virtual ~Runner() = default;

  // Returns the longest password to read before the run rejects it.
  virtual std::size_t max_password_bytes() const = 0;

  // Hashes `password` under the policy and `request`.
  virtual Result<std::string> hash(ByteView password, const HashRequest& request) const = 0;

  // Fails with the verify error of a stored hash that can never verify, so
  // that no password is read for it. Runs no key derivation.
  virtual Result<void> check_verifiable(std::string_view stored) const = 0;

  // Verifies `password` against `stored` and returns verify_result_json(),
  // with "new_hash" when `rehash` is yes and a rehash is needed.
  virtual Result<boost::json::object> verify(ByteView password, std::string_view stored,
                                             Rehash rehash) const = 0;

  // Returns identification_json() of `stored`.
  virtual Result<boost::json::object> identify(std::string_view stored) const = 0;

  // Returns password_report_json() of `password` under the password policy.
  virtual Result<boost::json::object> check_password(
      ByteView password, const std::vector<std::string>& context) const = 0;
};

// A runner, or the exit status when none could be made (the error is
// already printed).
struct RunnerChoice {
  std::unique_ptr<Runner> runner;
  int failure = k_exit_ok;
  bool remote = false;
};

// Picks the remote runner when --remote or $PWSVC_REMOTE names a daemon,
// else the local runner with the settings of load_settings().
RunnerChoice choose_runner(const GlobalOptions& options);

// Make the runners; choose_runner() calls them.
RunnerChoice make_local_runner(const GlobalOptions& options);
RunnerChoice make_remote_runner(const GlobalOptions& options, const std::string& address);

}  // namespace pwsvc::cli

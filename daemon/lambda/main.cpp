// bootstrap: the pwsvc service as an AWS Lambda custom runtime (provided.al2023).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <sodium.h>

#include "argon2_memory_cache.hpp"
#include "events.hpp"
#include "kdf_estimate.hpp"
#include "lambda_log.hpp"
#include "runtime_client.hpp"
#include "service.hpp"

namespace {

using namespace pwsvc;
using namespace pwsvc::lambda;
using SteadyClock = std::chrono::steady_clock;

// Estimates are scaled up and given a fixed allowance for sending the reply,
// because a rejected request costs a retry but a timed-out one costs a cold start.
constexpr double k_estimate_factor = 1.25;
constexpr auto k_reply_allowance = std::chrono::milliseconds(50);
// Headroom left outside the memory budget for the runtime itself.
constexpr std::uint64_t k_runtime_headroom_mib = 64;
// True when this bootstrap links the libsodium copy whose Argon2 core calls
// the memory cache (../CMakeLists.txt); set by CMake.
constexpr bool k_argon2_memory_cache_linked = PWSVC_ARGON2_MEMORY_CACHE_LINKED;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string join_issues(const std::vector<ConfigIssue>& issues, std::string_view source) {
  std::string text;
  for (const auto& issue : issues) {
    text += (text.empty() ? "" : "; ") + format_issue(issue, source);
  }
  return text;
}

// Returns the config file to read: PWSVC_CONFIG (relative to the package
// directory, $LAMBDA_TASK_ROOT), else pwsvc.toml in the package when present.
std::string config_path() {
  const std::filesystem::path root = environment("LAMBDA_TASK_ROOT");
  if (const std::string named = environment("PWSVC_CONFIG"); !named.empty()) {
    return (root / named).string();
  }
  std::error_code ignored;
  const std::filesystem::path packaged = root / "pwsvc.toml";
  return !root.empty() && std::filesystem::exists(packaged, ignored) ? packaged.string() : "";
}

// Reads the settings from PWSVC_CONFIG_TOML (the TOML text itself) or from the
// config file; with neither, the defaults apply. Pepper keys are loaded later,
// with the engine, from $PWSVC_KEYRING or the configured key file.
tl::expected<Settings, std::string> load_settings(std::string& source) {
  const std::string text = environment("PWSVC_CONFIG_TOML");
  const std::string path = config_path();
  if (!text.empty() && !environment("PWSVC_CONFIG").empty()) {
    return tl::unexpected(std::string(
        "both PWSVC_CONFIG and PWSVC_CONFIG_TOML are set; set only one of them"));
  }
  if (!text.empty()) {
    source = "PWSVC_CONFIG_TOML";
    auto parsed = parse_config(text);
    if (!parsed) {
      return tl::unexpected(join_issues(parsed.error(), source));
    }
    return std::move(*parsed);
  }
  if (path.empty()) {
    source = "defaults";
    return Settings{};
  }
  source = path;
  auto loaded = load_config(path);
  if (!loaded) {
    return tl::unexpected(join_issues(loaded.error(), path));
  }
  return std::move(*loaded);
}

// Keeps running and queued work inside the function's memory size.
std::uint64_t memory_budget(const DaemonSettings& daemon) {
  const std::string size = environment("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  const std::uint64_t mib = std::strtoull(size.c_str(), nullptr, 10);
  if (mib <= 2 * k_runtime_headroom_mib) {
    return daemon.memory_budget;
  }
  return std::min(daemon.memory_budget, (mib - k_runtime_headroom_mib) << 20);
}

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One execution environment: the service and the Runtime API connection.
class Runtime {
 public:
  Runtime(RuntimeClient& client, LambdaLog& log, std::shared_ptr<const daemon::ServiceState> state,
          std::size_t workers, std::uint64_t budget, std::size_t argon2_memory_cache)
      : client_(client),
        log_(log),
        pool_(workers, budget, state->settings.daemon.max_queue, argon2_memory_cache),
        service_(std::move(state), pool_, metrics_) {}
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // A job abandoned at its deadline may still run, and it uses the service,
  // which is destroyed before the pool.
  ~Runtime() {
    pool_.reject_queued();
    pool_.drain();
  }

  KdfEstimate& estimate() { return estimate_; }

  // Serves invocations until the Runtime API fails; returns the exit status.
  int serve();

 private:
  void handle(Invocation invocation);
  daemon::Response run(daemon::Request request, std::optional<KdfWork> work,
                       std::optional<SteadyClock::time_point> deadline);
  void send(const Invocation& invocation, const Reply& reply);

  RuntimeClient& client_;
  LambdaLog& log_;
  daemon::Metrics metrics_;
  daemon::WorkerPool pool_;
  daemon::Service service_;
  KdfEstimate estimate_;
};

// Returns the error response for a key derivation that did not finish in the
// time the invocation had left.
daemon::Response overrun_response(std::string_view id, std::int64_t waited_ms) {
  return daemon::error_response(
      503, "deadline_exceeded",
      "the key derivation did not finish in the " + std::to_string(waited_ms) +
          " ms the invocation had left for it; raise the function timeout or lower the hash cost",
      id);
}

daemon::Response deadline_response(std::string_view id, double needed_ms, std::int64_t left_ms) {
  return daemon::error_response(
      503, "deadline_exceeded",
      "the request needs about " + std::to_string(static_cast<std::int64_t>(needed_ms)) +
          " ms of key derivation but the invocation has " + std::to_string(left_ms) +
          " ms left; raise the function timeout or lower the hash cost",
      id);
}

// Runs `request` through the service, or rejects it when the estimated key
// derivation cannot finish before `deadline`.
daemon::Response Runtime::run(daemon::Request request, std::optional<KdfWork> work,
                              std::optional<SteadyClock::time_point> deadline) {
  const std::string id = request.request_id;
  const auto started = SteadyClock::now();
  if (work && deadline) {
    const double needed = estimate_.seconds(*work) * k_estimate_factor;
    const auto finish = started + std::chrono::duration_cast<SteadyClock::duration>(
                                      std::chrono::duration<double>(needed)) +
                        k_reply_allowance;
    if (finish > *deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - started);
      return deadline_response(id, needed * 1000, left.count());
    }
  }

  auto promise = std::make_shared<std::promise<daemon::Response>>();
  auto future = promise->get_future();
  service_.handle(std::move(request),
                  [promise](daemon::Response response) { promise->set_value(std::move(response)); });

  // An estimate that was too low must still end in a reply before Lambda
  // stops the environment.
  // NOTE: the overrunning key derivation keeps its worker until it finishes.
  if (deadline && future.wait_until(*deadline - k_reply_allowance) != std::future_status::ready) {
    const auto now = SteadyClock::now();
    log_.write(LogLevel::error, "deadline_overrun", {{"aws_request_id", id}});
    if (work) {
      // The time so far is a lower bound of the real cost, so the next
      // request like this one is rejected up front instead of overrunning.
      estimate_.observe(*work, std::chrono::duration<double>(now - started).count());
    }
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
    return overrun_response(id, waited.count());
  }
  daemon::Response response = future.get();
  if (work && response.status == 200) {
    estimate_.observe(*work, std::chrono::duration<double>(SteadyClock::now() - started).count());
  }
  return response;
}

void Runtime::send(const Invocation& invocation, const Reply& reply) {
  auto sent = reply.error ? client_.send_error(invocation.request_id, *reply.error)
                          : client_.send_response(invocation.request_id, reply.body);
  if (!sent) {
    log_.write(LogLevel::error, "reply_failed",
               {{"aws_request_id", invocation.request_id}, {"error", sent.error()}});
  }
}

void Runtime::handle(Invocation invocation) {
  const auto started = SteadyClock::now();
  std::optional<SteadyClock::time_point> deadline;
  if (invocation.deadline_ms > 0) {
    deadline = started + std::chrono::milliseconds(invocation.deadline_ms - unix_millis());
  }

  if (invocation.event_too_large) {
    const FunctionError too_large{
        "invalid_event", "the event is larger than the " +
                             std::to_string(RuntimeClient::k_max_event_bytes) +
                             " bytes the bootstrap reads; send a smaller event"};
    log_.write(LogLevel::warn, "invalid_event",
               {{"aws_request_id", invocation.request_id}, {"error", too_large.message}});
    return send(invocation, Reply{too_large, {}});
  }

  auto adapted = adapt_event(invocation.event, invocation.request_id,
                             service_.state()->settings.daemon);
  if (!adapted) {
    log_.write(LogLevel::warn, "invalid_event",
               {{"aws_request_id", invocation.request_id}, {"error", adapted.error().message}});
    return send(invocation, Reply{adapted.error(), {}});
  }

  const std::string route(daemon::route_label(adapted->request.target));
  const std::string method = adapted->request.method;
  daemon::Response response;
  if (adapted->early_response) {
    response = std::move(*adapted->early_response);
  } else {
    auto work = kdf_work(adapted->request, *service_.state());
    response = run(std::move(adapted->request), work, deadline);
  }
  send(invocation, make_reply(adapted->kind, response, invocation.request_id));

  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started);
  boost::json::object fields{{"aws_request_id", invocation.request_id},
                             {"kind", event_kind_name(adapted->kind)},
                             {"method", method},
                             {"route", route},
                             {"status", response.status},
                             {"latency_us", latency.count()}};
  if (!response.scheme.empty()) {
    fields["scheme"] = response.scheme;
  }
  if (!response.argon2_memory.empty()) {
    fields["argon2_memory"] = response.argon2_memory;
  }
  log_.write(LogLevel::info, "request", std::move(fields));
}

int Runtime::serve() {
  while (true) {
    auto invocation = client_.next();
    if (!invocation) {
      log_.write(LogLevel::critical, "runtime_api_failed", {{"error", invocation.error()}});
      return 1;
    }
    if (invocation->trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", invocation->trace_id.c_str(), 1);
    }
    handle(std::move(*invocation));
  }
}

// Reports a start-up failure to Lambda and to the log; returns the exit status.
int fail_init(RuntimeClient& client, LambdaLog& log, const FunctionError& error, int status) {
  log.write(LogLevel::critical, "init_failed", {{"error_type", error.type}, {"error", error.message}});
  if (auto sent = client.send_init_error(error); !sent) {
    log.write(LogLevel::critical, "init_error_not_sent", {{"error", sent.error()}});
  }
  return status;
}

int start(RuntimeClient& client) {
  const auto started = SteadyClock::now();
  LambdaLog log(LogLevel::info);
  std::string source;
  auto settings = load_settings(source);
  if (!settings) {
    return fail_init(client, log, {"invalid_config", settings.error()}, 2);
  }
  log.set_level(settings->logging.level);

  const std::size_t workers = settings->daemon.workers != 0
                                  ? settings->daemon.workers
                                  : std::max(1u, std::thread::hardware_concurrency());
  const std::uint64_t budget = memory_budget(settings->daemon);
  auto state = daemon::make_service_state(std::move(*settings));
  if (!state) {
    return fail_init(client, log, {"init_failed", state.error().message}, 1);
  }
  const double dummy_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();

  const std::size_t argon2_memory_cache =
      k_argon2_memory_cache_linked ? daemon::argon2_memory_cache_size(budget, workers) : 0;
  Runtime runtime(client, log, *state, workers, budget, argon2_memory_cache);
  // make_service_state derives one dummy hash under the policy, which is the
  // best measurement of the cost most requests have.
  const Policy& policy = (*state)->settings.policy;
  daemon::Request policy_hash;
  policy_hash.target = "/v1/hash";
  policy_hash.body = R"({"password": "calibration"})";
  if (auto work = kdf_work(policy_hash, **state)) {
    runtime.estimate().observe(*work, dummy_seconds);
  }

  const auto init = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started);
  log.write(LogLevel::info, "started",
            {{"version", PWSVC_VERSION},
             {"config", source},
             {"algorithm", algorithm_name(policy.algorithm)},
             {"workers", workers},
             {"memory_budget", budget},
             {"argon2_memory_cache", argon2_memory_cache},
             {"init_us", init.count()}});
  return runtime.serve();
}

}  // namespace

int main() {
  const std::string endpoint = environment("AWS_LAMBDA_RUNTIME_API");
  if (endpoint.empty()) {
    std::cerr << "bootstrap: error: AWS_LAMBDA_RUNTIME_API is not set; run this program as an "
                 "AWS Lambda custom runtime or under a Runtime API emulator\n";
    return 2;
  }
  RuntimeClient client(endpoint);
  if (sodium_init() < 0) {
    LambdaLog log(LogLevel::info);
    return fail_init(client, log, {"init_failed", "libsodium failed to initialise"}, 1);
  }
  return start(client);
}

// Service: routes a transport-neutral request to the core and builds the response.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "config.hpp"
#include "http_types.hpp"
#include "metrics.hpp"
#include "pwsvc/engine.hpp"
#include "rate_limiter.hpp"
#include "worker_pool.hpp"

namespace pwsvc::daemon {

// Settings that change together on reload: the engine and what surrounds it.
struct ServiceState {
  Settings settings;
  Engine engine;
  // A hash under the policy of a random password, verified against for
  // unknown users so their requests cost as much as real ones.
  std::string dummy_hash;
};

// Builds the state for `settings`, including the dummy hash.
Result<std::shared_ptr<const ServiceState>> make_service_state(Settings settings);

// Handles requests for pwsvcd and the Lambda bootstrap. The completion runs
// exactly once, on the calling thread for cheap routes and on a worker thread
// for key derivations. Thread-safe.
class Service {
 public:
  using Completion = std::function<void(Response)>;

  Service(std::shared_ptr<const ServiceState> state, WorkerPool& pool, Metrics& metrics);

  void handle(Request request, Completion done);

  // Replaces the settings for requests that arrive from now on.
  void reload(std::shared_ptr<const ServiceState> state);
  // Makes /readyz fail and new KDF work get 503, for a graceful shutdown.
  void set_draining();

  std::shared_ptr<const ServiceState> state() const;

 private:
  void route(Request& request, const std::shared_ptr<const ServiceState>& state,
             const Completion& done);
  void handle_hash(Request& request, const std::shared_ptr<const ServiceState>& state,
                   const Completion& done);
  void handle_verify(Request& request, const std::shared_ptr<const ServiceState>& state,
                     const Completion& done);
  void handle_check_password(Request& request, const std::shared_ptr<const ServiceState>& state,
                             const Completion& done);
  void handle_identify(Request& request, const std::shared_ptr<const ServiceState>& state,
                       const Completion& done);
  Response policy_response(const ServiceState& state) const;
  Response metrics_response() const;

  // Queues `work` on the pool with `memory` reserved, and responds 503 at once
  // when it cannot start in time.
  void submit(const Request& request, const ServiceState& state, std::uint64_t memory,
              std::function<Response()> work, const Completion& done);

  mutable std::mutex mutex_;
  std::shared_ptr<const ServiceState> state_;
  WorkerPool& pool_;
  Metrics& metrics_;
  RateLimiter rate_limiter_;
  bool draining_ = false;
};

// Returns the route's path for logs and metrics, or "other" for unknown
// targets, so labels never carry request data.
std::string_view route_label(std::string_view target);

// Builds the one error body: {"error": {"code", "message", "request_id"}}.
Response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::string_view request_id);

// Maps a core error to its HTTP status and error response.
Response core_error_response(const Error& error, std::string_view request_id);

}  // namespace pwsvc::daemon

// Service: authentication, routing, admission and the one error-to-status map.
#include "service.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "argon2_memory_cache.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace pwsvc::daemon {

namespace {

enum class RouteKind { health, ready, policy, metrics, hash, verify, identify, check_password };

struct Route {
  std::string_view path;
  std::string_view method;
  RouteKind kind;
};

constexpr std::array k_routes{
    Route{"/healthz", "GET", RouteKind::health},
    Route{"/readyz", "GET", RouteKind::ready},
    Route{"/v1/policy", "GET", RouteKind::policy},
    Route{"/metrics", "GET", RouteKind::metrics},
    Route{"/v1/hash", "POST", RouteKind::hash},
    Route{"/v1/api/encrypt", "POST", RouteKind::hash},
    Route{"/v1/verify", "POST", RouteKind::verify},
    Route{"/v1/api/verify", "POST", RouteKind::verify},
    Route{"/v1/identify", "POST", RouteKind::identify},
    Route{"/v1/check-password", "POST", RouteKind::check_password},
};

constexpr std::uint64_t k_kib = 1024;

// The longest Retry-After sent. A tiny configured rate can make the real
// wait years long, which would not fit the header's integer.
constexpr double k_max_retry_after_seconds = 86400;

// Converts a rate limiter's wait in seconds to a Retry-After value.
unsigned retry_after_seconds(double wait) {
  return static_cast<unsigned>(std::ceil(std::min(wait, k_max_retry_after_seconds)));
}

// Memory reserved for any KDF call besides the KDF's own working memory.
constexpr std::uint64_t k_call_overhead = 64 * k_kib;

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

const Route* find_route(std::string_view path) {
  for (const auto& route : k_routes) {
    if (route.path == path) {
      return &route;
    }
  }
  return nullptr;
}

Response json_response(unsigned status, const boost::json::object& object) {
  Response response;
  response.status = status;
  response.body = boost::json::serialize(object);
  return response;
}

bool is_json(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string lower;
  for (char c : media) {
    if (c != ' ' && c != '\t') {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return lower == "application/json";
}

// Returns the name of the API key in an "Authorization: Bearer KEY" header,
// comparing SHA-256 digests in constant time against every configured key.
std::optional<std::string> api_key_name(std::string_view authorization,
                                        const std::vector<ApiKey>& keys) {
  constexpr std::string_view scheme = "Bearer ";
  if (!authorization.starts_with(scheme)) {
    return std::nullopt;
  }
  const std::string_view key = authorization.substr(scheme.size());
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr);

  std::optional<std::string> name;
  for (const auto& candidate : keys) {
    if (sodium_memcmp(digest.data(), candidate.sha256.data(), digest.size()) == 0) {
      name = candidate.name;
    }
  }
  return name;
}

bool peer_allowed(const Client& client, const DaemonSettings& daemon) {
  if (daemon.allowed_uids.empty() && daemon.allowed_gids.empty()) {
    return client.uid == 0 || client.uid == ::getuid();
  }
  const auto listed = [](const std::vector<std::uint32_t>& ids, std::uint32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  return listed(daemon.allowed_uids, client.uid) || listed(daemon.allowed_gids, client.gid);
}

std::uint64_t hash_memory(Algorithm algorithm, const ParamMap& params) {
  switch (algorithm) {
    case Algorithm::argon2id:
    case Algorithm::argon2i:
      return params.at("m") * k_kib + k_call_overhead;
    case Algorithm::scrypt:
      return scrypt_memory_kib(static_cast<std::uint32_t>(params.at("ln")), params.at("r"),
                               params.at("p")) *
                 k_kib + k_call_overhead;
    default:
      return k_call_overhead;
  }
}

// Wipes a request body that may hold a password, once it has been parsed.
void wipe(std::string& body) {
  sodium_memzero(body.data(), body.size());
  body.clear();
}

}  // namespace

std::string_view route_label(std::string_view target) {
  const Route* route = find_route(path_of(target));
  return route != nullptr ? route->path : "other";
}

Response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::string_view request_id) {
  const boost::json::object error{{"code", code}, {"message", message}, {"request_id", request_id}};
  Response response = json_response(status, {{"error", error}});
  if (status == 429 || status == 503) {
    response.retry_after = 1;
  }
  return response;
}

Response core_error_response(const Error& error, std::string_view request_id) {
  switch (error.code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::malformed_hash:
    case ErrorCode::unsupported:
    case ErrorCode::limit_exceeded:
      return error_response(400, error_code_name(error.code), error.message, request_id);
    case ErrorCode::resource_exhausted:
    case ErrorCode::unavailable:
      return error_response(503, error_code_name(error.code),
                            "the service is out of resources; retry later", request_id);
    case ErrorCode::missing_key:
      // The service's keyring lacks a key its stored hashes use: a deployment
      // fault, not the client's, and the id is no secret.
      return error_response(500, error_code_name(error.code), error.message, request_id);
    case ErrorCode::internal:
      break;
    case ErrorCode::invalid_utf8:
    case ErrorCode::too_short:
    case ErrorCode::too_long:
    case ErrorCode::context_word:
    case ErrorCode::breached:
    case ErrorCode::weak:
      // The request is well formed, but the password it carries is rejected.
      return error_response(422, error_code_name(error.code), error.message, request_id);
  }
  return error_response(500, "internal", "internal error; the request id is in the service log",
                        request_id);
}

Result<std::shared_ptr<const ServiceState>> make_service_state(Settings settings) {
  auto made = make_engine(settings);
  if (!made) {
    return tl::unexpected(made.error());
  }
  Engine engine = std::move(*made);
  std::array<unsigned char, 32> random{};
  randombytes_buf(random.data(), random.size());
  auto dummy = engine.hash(random);
  sodium_memzero(random.data(), random.size());
  if (!dummy) {
    return tl::unexpected(dummy.error());
  }
  return std::make_shared<const ServiceState>(
      ServiceState{std::move(settings), std::move(engine), std::move(*dummy)});
}

Service::Service(std::shared_ptr<const ServiceState> state, WorkerPool& pool, Metrics& metrics)
    : state_(std::move(state)), pool_(pool), metrics_(metrics) {}

void Service::reload(std::shared_ptr<const ServiceState> state) {
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
}

void Service::set_draining() {
  std::lock_guard lock(mutex_);
  draining_ = true;
}

std::shared_ptr<const ServiceState> Service::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Service::handle(Request request, Completion done) {
  Completion counted = [this, label = route_label(request.target),
                        done = std::move(done)](Response response) {
    metrics_.count_request(label, response.status);
    done(std::move(response));
  };
  route(request, state(), counted);
  wipe(request.body);
}

void Service::route(Request& request, const std::shared_ptr<const ServiceState>& state,
                    const Completion& done) {
  const std::string& id = request.request_id;
  const Route* route = find_route(path_of(request.target));
  if (route == nullptr) {
    return done(error_response(404, "not_found", "no such endpoint; see pwsvcd(8)", id));
  }
  if (request.method != route->method) {
    Response response = error_response(
        405, "method_not_allowed", "use " + std::string(route->method) + " for this endpoint", id);
    response.allow = route->method;
    return done(std::move(response));
  }

  const DaemonSettings& daemon = state->settings.daemon;
  const bool open = route->kind == RouteKind::health || route->kind == RouteKind::ready;
  std::string client_id;
  if (request.client.transport == Client::Transport::unix_socket) {
    if (!peer_allowed(request.client, daemon)) {
      metrics_.count_rejection("forbidden");
      return done(error_response(403, "forbidden",
                                 "this user may not use the socket; see daemon.allowed_uids", id));
    }
    client_id = "uid:" + std::to_string(request.client.uid);
  } else if (request.client.transport == Client::Transport::tcp) {
    const auto name = api_key_name(request.authorization, daemon.api_keys);
    if (!name && !open) {
      metrics_.count_rejection("unauthorized");
      Response response = error_response(
          401, "unauthorized", "send a valid API key as 'Authorization: Bearer KEY'", id);
      response.www_authenticate = "Bearer realm=\"pwsvcd\"";
      return done(std::move(response));
    }
    client_id = name ? "key:" + *name : "ip:" + request.client.address;
  }

  switch (route->kind) {
    case RouteKind::health:
      return done(json_response(200, {{"status", "ok"}}));
    case RouteKind::ready: {
      std::lock_guard lock(mutex_);
      if (draining_) {
        return done(error_response(503, "draining", "the service is shutting down", id));
      }
      return done(json_response(200, {{"status", "ready"}}));
    }
    case RouteKind::policy:
      return done(policy_response(*state));
    case RouteKind::metrics:
      return done(metrics_response());
    default:
      break;
  }

  if (const double wait = rate_limiter_.take_request(client_id, daemon.rate_limit); wait > 0) {
    metrics_.count_rejection("rate_limited");
    Response response = error_response(429, "rate_limited", "too many requests; retry later", id);
    response.retry_after = retry_after_seconds(wait);
    return done(std::move(response));
  }
  if (!is_json(request.content_type)) {
    return done(error_response(415, "unsupported_media_type",
                               "send the body with 'Content-Type: application/json'", id));
  }

  if (route->kind == RouteKind::hash) {
    return handle_hash(request, state, done);
  }
  if (route->kind == RouteKind::verify) {
    return handle_verify(request, state, done);
  }
  if (route->kind == RouteKind::check_password) {
    return handle_check_password(request, state, done);
  }
  return handle_identify(request, state, done);
}

Response Service::policy_response(const ServiceState& state) const {
  return json_response(200, policy_json(state.settings.policy, state.settings.limits));
}

Response Service::metrics_response() const {
  Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = metrics_.render(pool_.running(), pool_.queued(), pool_.reserved_memory(),
                                  pool_.memory_budget());
  return response;
}

void Service::submit(const Request& request, const ServiceState& state, std::uint64_t memory,
                     std::function<Response()> work, const Completion& done) {
  {
    std::lock_guard lock(mutex_);
    if (draining_) {
      return done(error_response(503, "draining", "the service is shutting down",
                                 request.request_id));
    }
  }

  const auto deadline =
      Clock::now() + std::chrono::milliseconds(state.settings.daemon.queue_timeout_ms);
  const std::string id = request.request_id;
  // The response is sent after the worker counts itself free (see Delivery).
  auto job = [this, id, work = std::move(work), done](bool started) -> WorkerPool::Delivery {
    Response response;
    if (started) {
      take_argon2_memory_use();
      response = work();
      response.argon2_memory = argon2_memory_use_name(take_argon2_memory_use());
    } else {
      metrics_.count_rejection("queue_timeout");
      response = error_response(503, "overloaded",
                                "the request waited too long for a worker; retry later", id);
    }
    return [done, response = std::move(response)]() mutable { done(std::move(response)); };
  };

  const Admission admission = pool_.submit_delivering(memory, deadline, std::move(job));
  if (admission == Admission::accepted) {
    return;
  }
  if (admission == Admission::too_large) {
    // Retrying cannot help a request that needs more than the whole budget.
    metrics_.count_rejection("over_budget");
    return done(error_response(
        400, "limit_exceeded",
        "the key derivation needs " + std::to_string(memory / k_kib) +
            " KiB of memory, more than daemon.memory_budget (" +
            std::to_string(pool_.memory_budget() / k_kib) +
            " KiB); lower the memory cost or raise the budget",
        id));
  }

  std::string_view reason = "draining";
  std::string message = "the service is shutting down";
  switch (admission) {
    case Admission::over_budget:
      reason = "memory_budget";
      message = "running and queued work fills daemon.memory_budget; retry later";
      break;
    case Admission::queue_full:
      reason = "queue_full";
      message = "the work queue is full (daemon.max_queue); retry later";
      break;
    case Admission::too_late:
      reason = "queue_timeout";
      message = "the work queued ahead would not let this request finish within "
                "daemon.queue_timeout_ms; retry later";
      break;
    default:
      break;
  }
  metrics_.count_rejection(reason);
  done(error_response(503, reason == "draining" ? "draining" : "overloaded", message, id));
}

void Service::handle_hash(Request& request, const std::shared_ptr<const ServiceState>& state,
                          const Completion& done) {
  auto body = parse_hash_body(request.body);
  wipe(request.body);
  if (!body) {
    return done(core_error_response(body.error(), request.request_id));
  }

  const Policy& policy = state->settings.policy;
  const Algorithm algorithm = body->request.algorithm.value_or(policy.algorithm);
  auto params = can_hash(algorithm)
                    ? resolve_params(algorithm, body->request.params, policy, state->settings.limits)
                    : Result<ParamMap>(fail(ErrorCode::invalid_argument,
                                            "field 'algorithm' names an algorithm pwsvc only "
                                            "verifies"));
  if (!params) {
    return done(core_error_response(params.error(), request.request_id));
  }

  auto shared = std::make_shared<HashBody>(std::move(*body));
  const std::string id = request.request_id;
  auto work = [this, state, shared, algorithm, id]() {
    const auto started = Clock::now();
    auto hashed = state->engine.hash(shared->password.view(), shared->request);
    shared->password.clear();
    if (!hashed) {
      // A rejected password or a failed call ran no full key derivation, so
      // it stays out of the KDF histogram and the log's scheme field.
      return core_error_response(hashed.error(), id);
    }
    metrics_.observe_kdf(algorithm_name(algorithm),
                         std::chrono::duration<double>(Clock::now() - started).count());
    Response response = json_response(200, {{"hash", *hashed}});
    response.scheme = algorithm_name(algorithm);
    return response;
  };
  submit(request, *state, hash_memory(algorithm, *params), std::move(work), done);
}

void Service::handle_verify(Request& request, const std::shared_ptr<const ServiceState>& state,
                            const Completion& done) {
  auto body = parse_verify_body(request.body);
  wipe(request.body);
  if (!body) {
    return done(core_error_response(body.error(), request.request_id));
  }
  const RateLimitSettings& limits = state->settings.daemon.rate_limit;
  if (const double wait = rate_limiter_.check_subject(body->subject, limits); wait > 0) {
    metrics_.count_rejection("failed_verifies");
    Response response = error_response(429, "rate_limited",
                                       "too many failed verifications for this subject", request.request_id);
    response.retry_after = retry_after_seconds(wait);
    return done(std::move(response));
  }

  const bool unknown_user = !body->hash.has_value();
  const std::string stored = unknown_user ? state->dummy_hash : *body->hash;
  const Identification found = state->engine.identify(stored);
  if (!found.parsed || found.verdict == Verdict::over_limit) {
    // Fails before any key derivation, so it runs here instead of on a worker.
    auto result = state->engine.verify(body->password.view(), stored);
    return done(core_error_response(result ? Error{ErrorCode::internal, ""} : result.error(),
                                    request.request_id));
  }

  std::uint64_t memory = found.parsed->cost.memory_kib * k_kib + k_call_overhead;
  if (body->rehash) {
    const Policy& policy = state->settings.policy;
    const auto params = policy.params.find(policy.algorithm);
    if (params != policy.params.end()) {
      memory = std::max(memory, hash_memory(policy.algorithm, params->second));
    }
  }

  auto shared = std::make_shared<VerifyBody>(std::move(*body));
  const std::string id = request.request_id;
  const std::string scheme(algorithm_name(found.parsed->algorithm));
  auto verify = [this, state, shared, stored, unknown_user, scheme, id]() {
    const auto started = Clock::now();
    auto result = state->engine.verify(shared->password.view(), stored);
    if (!result) {
      shared->password.clear();
      return core_error_response(result.error(), id);
    }
    metrics_.observe_kdf(scheme, std::chrono::duration<double>(Clock::now() - started).count());
    if (unknown_user) {
      // The same shape as a real mismatch, and counted as one for the
      // subject, so neither the body nor a later 429 reveals which users exist.
      rate_limiter_.record_failure(shared->subject, state->settings.daemon.rate_limit);
      shared->password.clear();
      VerifyResult mismatch;
      mismatch.algorithm = result->algorithm;
      return json_response(200, verify_result_json(mismatch, std::nullopt));
    }
    if (!result->match) {
      rate_limiter_.record_failure(shared->subject, state->settings.daemon.rate_limit);
    }

    std::optional<std::string> new_hash;
    if (result->match && result->needs_rehash && shared->rehash) {
      auto hashed = state->engine.hash(shared->password.view());
      if (!hashed) {
        shared->password.clear();
        return core_error_response(hashed.error(), id);
      }
      new_hash = std::move(*hashed);
    }
    shared->password.clear();
    return json_response(200, verify_result_json(*result, new_hash));
  };
  auto work = [verify = std::move(verify), scheme]() {
    Response response = verify();
    response.scheme = scheme;
    return response;
  };
  submit(request, *state, memory, std::move(work), done);
}

// The rules usually take microseconds, but Unicode normalization of a
// password full of combining marks takes milliseconds (docs/benchmarks.md),
// so they run on the worker pool, under its admission control, and never
// hold an I/O thread.
void Service::handle_check_password(Request& request,
                                    const std::shared_ptr<const ServiceState>& state,
                                    const Completion& done) {
  auto body = parse_check_password_body(request.body);
  wipe(request.body);
  if (!body) {
    return done(core_error_response(body.error(), request.request_id));
  }

  auto shared = std::make_shared<CheckPasswordBody>(std::move(*body));
  const std::string id = request.request_id;
  auto work = [state, shared, id]() {
    const auto report = state->engine.check_password(shared->password.view(), shared->context);
    shared->password.clear();
    if (!report) {
      return core_error_response(report.error(), id);
    }
    return json_response(200,
                         password_report_json(*report, state->settings.policy.password.enabled));
  };
  submit(request, *state, k_call_overhead, std::move(work), done);
}

void Service::handle_identify(Request& request, const std::shared_ptr<const ServiceState>& state,
                              const Completion& done) {
  auto body = parse_identify_body(request.body);
  if (!body) {
    return done(core_error_response(body.error(), request.request_id));
  }
  return done(json_response(200, identification_json(state->engine.identify(body->hash))));
}

}  // namespace pwsvc::daemon

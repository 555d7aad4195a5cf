// Fuzzes the HTTP request path through the service layer: a request built
// from the input goes through Service::handle with a real WorkerPool, and the
// completion must run exactly once with a well-formed response.
//
// Input: a request line "METHOD TARGET", header lines "Name: value", a blank
// line and the body. Besides Content-Type, Content-Length, Authorization and
// X-Request-Id, the headers Transport (unix, tcp or lambda), Uid, Gid and
// Address set the client that the transport would have established.
#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "service.hpp"

using pwsvc::daemon::Client;
using pwsvc::daemon::Request;
using pwsvc::daemon::Response;
using pwsvc::fuzz::check;

namespace {

// Tiny costs and limits as in fuzz_support.hpp, an API key for TCP clients
// ("fuzz-api-key"), and a failed-verify limit low enough to be reached.
constexpr std::string_view k_config = R"(
[policy]
algorithm = "argon2id"

[policy.argon2id]
m = 8
t = 1
p = 1

[limits]
max_password_bytes = 256
max_hash_length = 512
argon2_max_memory_kib = 64
argon2_max_time_cost = 2
argon2_max_parallelism = 2
bcrypt_max_cost = 5
pbkdf2_max_iterations = 1000
scrypt_max_memory_kib = 256
scrypt_max_parallelism = 2
sha_crypt_max_rounds = 2000

[daemon]
queue_timeout_ms = 2000

[daemon.rate_limit]
requests_per_second = 0
failed_verifies_per_minute = 30

[[daemon.api_keys]]
name = "fuzz"
hash = "sha256:aed2430447c9832d79beb4115b2b797d98cb57c5f8661f18f81b1c564355d07f"
)";

struct Harness {
  pwsvc::daemon::WorkerPool pool{1, 16u << 20, 4};
  pwsvc::daemon::Metrics metrics;
  pwsvc::daemon::Service service;

  Harness() : service(make_state(), pool, metrics) {}

  static std::shared_ptr<const pwsvc::daemon::ServiceState> make_state() {
    auto settings = pwsvc::parse_config(k_config);
    check(settings.has_value(), "the fuzz target's config does not parse");
    auto state = pwsvc::daemon::make_service_state(std::move(*settings));
    check(state.has_value(), "the fuzz target's service state cannot be built");
    return *state;
  }
};

Harness& harness() {
  static Harness instance;
  return instance;
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

template <typename Number>
std::optional<Number> number(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

void apply_header(Request& request, std::string_view name, std::string_view value) {
  const std::string key = lower(name);
  if (key == "content-type") {
    request.content_type = value;
  } else if (key == "content-length") {
    request.content_length = number<std::uint64_t>(value);
  } else if (key == "authorization") {
    request.authorization = value;
  } else if (key == "x-request-id") {
    // The transports pass on only ids like pwsvcd's make_request_id accepts
    // (up to 64 letters, digits, '-' and '_'), and the service echoes them.
    const bool safe = value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                      });
    request.request_id = safe ? value : "fuzz";
  } else if (key == "transport") {
    request.client.transport = value == "unix"  ? Client::Transport::unix_socket
                               : value == "tcp" ? Client::Transport::tcp
                                                : Client::Transport::lambda;
  } else if (key == "uid") {
    request.client.uid = number<uid_t>(value).value_or(0);
  } else if (key == "gid") {
    request.client.gid = number<gid_t>(value).value_or(0);
  } else if (key == "address") {
    request.client.address = value;
  }
}

Request parse_request(std::string_view input) {
  Request request;
  request.request_id = "fuzz";
  request.client.transport = Client::Transport::unix_socket;
  request.client.uid = ::getuid();

  const std::size_t head_end = input.find("\n\n");
  std::string_view head = input.substr(0, head_end);
  request.body = head_end == std::string_view::npos ? "" : input.substr(head_end + 2);

  const std::size_t line_end = std::min(head.find('\n'), head.size());
  const std::string_view start = head.substr(0, line_end);
  const std::size_t space = std::min(start.find(' '), start.size());
  request.method = start.substr(0, space);
  request.target = start.substr(std::min(space + 1, start.size()));
  head.remove_prefix(std::min(line_end + 1, head.size()));

  while (!head.empty()) {
    const std::size_t end = std::min(head.find('\n'), head.size());
    const std::string_view line = head.substr(0, end);
    const std::size_t colon = line.find(": ");
    if (colon != std::string_view::npos) {
      apply_header(request, line.substr(0, colon), line.substr(colon + 2));
    }
    head.remove_prefix(std::min(end + 1, head.size()));
  }
  return request;
}

void check_response(const Response& response) {
  constexpr std::array k_statuses{200u, 400u, 401u, 403u, 404u, 405u, 415u, 422u, 429u, 503u};
  check(std::find(k_statuses.begin(), k_statuses.end(), response.status) != k_statuses.end(),
        "the service returns a status outside its documented set");
  check(response.status != 405 || !response.allow.empty(), "a 405 response has no Allow value");
  if (response.content_type != "application/json") {
    return;
  }
  boost::json::error_code error;
  const boost::json::value body = boost::json::parse(response.body, error);
  check(!error && body.is_object(), "a JSON response body is not a JSON object");
  if (response.status >= 400) {
    const auto* failure = body.get_object().if_contains("error");
    check(failure != nullptr && failure->is_object() &&
              failure->get_object().contains("code"),
          "an error response has no error.code");
  }
}

// Waits for the completion, then for the pool to go idle, so that a second
// call of the completion would be counted before the check.
void run(Request request) {
  std::mutex mutex;
  std::condition_variable finished;
  int calls = 0;
  Response response;
  harness().service.handle(std::move(request), [&](Response result) {
    std::lock_guard lock(mutex);
    response = std::move(result);
    ++calls;
    finished.notify_all();
  });

  std::unique_lock lock(mutex);
  const bool done = finished.wait_for(lock, std::chrono::seconds(10), [&] { return calls > 0; });
  check(done, "the completion did not run within 10 s");
  lock.unlock();
  while (harness().pool.running() > 0 || harness().pool.queued() > 0) {
    std::this_thread::yield();
  }
  lock.lock();
  check(calls == 1, "the completion ran more than once");
  check_response(response);
}

}  // namespace

// Builds the service and runs one PBKDF2 hash before fuzzing starts. OpenSSL
// then allocates its per-thread error queue in the worker thread outside any
// input, so libFuzzer's per-input leak check does not count that queue.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  run(parse_request(
      "POST /v1/hash\nContent-Type: application/json\n\n"
      R"({"password": "pw", "algorithm": "pbkdf2-sha256", "params": {"rounds": 100}})"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(parse_request(pwsvc::fuzz::as_text(data, size)));
  return 0;
}

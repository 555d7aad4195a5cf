// Tests of Service::handle from many threads at once, with reloads; run them
// under ThreadSanitizer (make test-tsan) to check the locking.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "service.hpp"

using namespace pwsvc;
using namespace pwsvc::daemon;

namespace {

constexpr std::string_view k_config = R"(
[policy.argon2id]
m = 8
t = 1
p = 1

[daemon]
# 80 KDF jobs arrive at once, before any run time is known; the pool's first
# estimate of 50 ms per run would put the last of them past a 2 s deadline.
queue_timeout_ms = 10000

[daemon.rate_limit]
requests_per_second = 0
failed_verifies_per_minute = 1000
)";

std::shared_ptr<const ServiceState> make_state() {
  auto settings = parse_config(k_config);
  REQUIRE(settings);
  auto state = make_service_state(std::move(*settings));
  REQUIRE(state);
  return *state;
}

Request post(std::string target, std::string body) {
  Request request;
  request.method = "POST";
  request.target = std::move(target);
  request.content_type = "application/json";
  request.body = std::move(body);
  request.request_id = "test";
  request.client.transport = Client::Transport::unix_socket;
  request.client.uid = ::getuid();
  return request;
}

// Counts completed requests by status and waits until all have completed.
class Tally {
 public:
  Service::Completion completion() {
    return [this](Response response) {
      std::lock_guard lock(mutex_);
      ++(response.status == 200 ? ok_ : other_);
      done_.notify_all();
    };
  }

  bool wait_for(int count) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, std::chrono::seconds(60), [&] { return ok_ + other_ >= count; });
  }

  int ok() {
    std::lock_guard lock(mutex_);
    return ok_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int ok_ = 0;
  int other_ = 0;
};

}  // namespace

TEST_CASE("service: concurrent requests and reloads", "[daemon][service]") {
  WorkerPool pool(2, 64u << 20, 256);
  Metrics metrics;
  Service service(make_state(), pool, metrics);
  Tally tally;

  constexpr int k_threads = 4;
  constexpr int k_rounds = 10;
  std::vector<std::thread> clients;
  for (int i = 0; i < k_threads; ++i) {
    clients.emplace_back([&] {
      for (int round = 0; round < k_rounds; ++round) {
        service.handle(post("/v1/hash", R"({"password": "plum-kettle-47"})"), tally.completion());
        service.handle(post("/v1/verify", R"({"password": "pw", "hash": null})"),
                       tally.completion());
        service.handle(post("/v1/identify", R"({"hash": "$1$ab$cd"})"), tally.completion());
        Request metrics_request = post("/metrics", "");
        metrics_request.method = "GET";
        service.handle(std::move(metrics_request), tally.completion());
      }
    });
  }
  // The states are built here because Catch2 assertions are not thread-safe.
  std::vector<std::shared_ptr<const ServiceState>> states;
  for (int round = 0; round < k_rounds; ++round) {
    states.push_back(make_state());
  }
  std::thread reloader([&] {
    for (const auto& state : states) {
      service.reload(state);
    }
  });

  for (auto& client : clients) {
    client.join();
  }
  reloader.join();
  REQUIRE(tally.wait_for(4 * k_threads * k_rounds));
  pool.drain();
  CHECK(tally.ok() == 4 * k_threads * k_rounds);
}

TEST_CASE("service: draining rejects new key derivations", "[daemon][service]") {
  WorkerPool pool(1, 64u << 20, 16);
  Metrics metrics;
  Service service(make_state(), pool, metrics);
  service.set_draining();

  std::atomic<unsigned> status = 0;
  service.handle(post("/v1/hash", R"({"password": "pw"})"),
                 [&](Response response) { status = response.status; });
  CHECK(status == 503);
}

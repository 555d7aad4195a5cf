// Tests of WorkerPool admission: memory budget, queue limit and deadlines.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <catch2/catch.hpp>

#include "worker_pool.hpp"

using namespace pwsvc::daemon;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t k_mib = 1024 * 1024;

// A job that blocks its worker until the test releases it.
struct Blocker {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();

  WorkerPool::Job job() {
    return [released = released](bool) { released.wait(); };
  }
};

// Gives `pool`'s one worker a job that blocks it, and waits until the worker
// has taken that job off the queue.
void occupy_worker(WorkerPool& pool, Blocker& blocker) {
  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, blocker.job()) == Admission::accepted);
  while (pool.running() == 0) {
    std::this_thread::sleep_for(1ms);
  }
}

}  // namespace

TEST_CASE("worker pool: an idle pool runs a job longer than its deadline", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 8);
  std::promise<bool> started;

  const auto admission = pool.submit(k_mib, Clock::now() + 1ms,
                                     [&](bool in_time) { started.set_value(in_time); });

  REQUIRE(admission == Admission::accepted);
  CHECK(started.get_future().get());
}

TEST_CASE("worker pool: a waiting job that would finish late is rejected", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 8);
  Blocker blocker;
  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, blocker.job()) == Admission::accepted);

  // The first estimate of a run is 50 ms, so a queued job needs about 100 ms.
  CHECK(pool.submit(k_mib, Clock::now() + 60ms, [](bool) {}) == Admission::too_late);
  CHECK(pool.submit(k_mib, Clock::now() + 5s, [](bool) {}) == Admission::accepted);

  blocker.release.set_value();
  pool.drain();
}

TEST_CASE("worker pool: a job past its latest start is not run", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 8);
  Blocker blocker;
  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, blocker.job()) == Admission::accepted);
  std::promise<bool> started;

  // Admitted: 50 ms of estimated wait plus a 50 ms run fit in 300 ms. The
  // first job then keeps the worker busy past the latest start of 250 ms.
  const auto admission = pool.submit(k_mib, Clock::now() + 300ms,
                                     [&](bool in_time) { started.set_value(in_time); });
  REQUIRE(admission == Admission::accepted);
  std::this_thread::sleep_for(400ms);
  blocker.release.set_value();

  CHECK_FALSE(started.get_future().get());
  pool.drain();
}

TEST_CASE("worker pool: queued jobs reserve the memory budget", "[daemon][pool]") {
  WorkerPool pool(1, 10 * k_mib, 8);
  Blocker blocker;
  REQUIRE(pool.submit(6 * k_mib, Clock::now() + 10s, blocker.job()) == Admission::accepted);

  CHECK(pool.submit(11 * k_mib, Clock::now() + 10s, [](bool) {}) == Admission::too_large);
  CHECK(pool.submit(5 * k_mib, Clock::now() + 10s, [](bool) {}) == Admission::over_budget);
  CHECK(pool.submit(4 * k_mib, Clock::now() + 10s, [](bool) {}) == Admission::accepted);
  CHECK(pool.reserved_memory() == 10 * k_mib);

  blocker.release.set_value();
  pool.drain();
  CHECK(pool.reserved_memory() == 0);
}

TEST_CASE("worker pool: a full queue rejects new jobs", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 1);
  Blocker blocker;
  occupy_worker(pool, blocker);

  CHECK(pool.submit(k_mib, Clock::now() + 10s, [](bool) {}) == Admission::accepted);
  CHECK(pool.submit(k_mib, Clock::now() + 10s, [](bool) {}) == Admission::queue_full);

  blocker.release.set_value();
  pool.drain();
}

TEST_CASE("worker pool: drain waits for job captures", "[daemon][pool]") {
  // Stands in for a session that the job owns last: its destructor is slow and
  // must not outlive the caller of drain(), which may free what it touches.
  struct SlowOwner {
    explicit SlowOwner(std::atomic<bool>& flag) : destroyed(&flag) {}
    SlowOwner(const SlowOwner&) = delete;
    SlowOwner& operator=(const SlowOwner&) = delete;
    ~SlowOwner() {
      std::this_thread::sleep_for(100ms);
      destroyed->store(true);
    }
    std::atomic<bool>* destroyed;
  };
  std::atomic<bool> destroyed{false};
  WorkerPool pool(1, 64 * k_mib, 8);
  auto owner = std::make_shared<SlowOwner>(destroyed);

  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, [owner](bool) {}) == Admission::accepted);
  owner.reset();
  pool.drain();

  CHECK(destroyed.load());
}

TEST_CASE("worker pool: reject_queued answers waiting jobs", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 8);
  Blocker blocker;
  occupy_worker(pool, blocker);
  std::atomic<int> rejected{0};
  std::atomic<int> ran{0};
  const auto waiting = [&](bool started) { ++(started ? ran : rejected); };
  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, waiting) == Admission::accepted);
  REQUIRE(pool.submit(k_mib, Clock::now() + 10s, waiting) == Admission::accepted);

  pool.reject_queued();

  CHECK(rejected.load() == 2);
  CHECK(pool.queued() == 0);
  CHECK(pool.reserved_memory() == k_mib);
  CHECK(pool.submit(k_mib, Clock::now() + 10s, waiting) == Admission::stopping);
  blocker.release.set_value();
  pool.drain();
  CHECK(ran.load() == 0);
  CHECK(pool.reserved_memory() == 0);
}

TEST_CASE("worker pool: delivery runs on a free worker", "[daemon][pool]") {
  // The whole budget is one job's memory, as for a client that sends its next
  // request as soon as it has the response to the last one.
  WorkerPool pool(1, k_mib, 8);
  std::promise<Admission> next;

  const auto first = [&](bool) -> WorkerPool::Delivery {
    return [&] {
      next.set_value(pool.submit(k_mib, Clock::now() + 1ms, [](bool) {}));
    };
  };
  REQUIRE(pool.submit_delivering(k_mib, Clock::now() + 10s, first) == Admission::accepted);

  CHECK(next.get_future().get() == Admission::accepted);
  pool.drain();
  CHECK(pool.reserved_memory() == 0);
}

TEST_CASE("worker pool: drain waits for deliveries", "[daemon][pool]") {
  WorkerPool pool(1, 64 * k_mib, 8);
  std::atomic<bool> delivered{false};

  const auto slow = [&](bool) -> WorkerPool::Delivery {
    return [&] {
      std::this_thread::sleep_for(100ms);
      delivered.store(true);
    };
  };
  REQUIRE(pool.submit_delivering(k_mib, Clock::now() + 10s, slow) == Admission::accepted);
  pool.drain();

  CHECK(delivered.load());
}

// WorkerPool: runs key derivations on a fixed set of threads under a memory budget.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace pwsvc::daemon {

using Clock = std::chrono::steady_clock;

// Admission: the outcome of submitting a job, and the reason when it was not queued.
enum class Admission {
  accepted,
  too_large,    // the job alone needs more memory than the whole budget
  over_budget,  // running and queued jobs already hold too much of the budget
  queue_full,
  too_late,     // the job would have to wait and would then finish after its deadline
  stopping,
};

// Runs jobs on `threads` threads. Admission reserves each job's memory from
// the budget until the job finishes, so the memory that running and queued
// jobs need never exceeds the budget. A job that has to wait for a worker is
// queued and started only while the recent average run time predicts it will
// finish by its deadline; a job that finds a worker free always runs, so a
// deadline shorter than one run does not reject everything. With
// `argon2_memory_cache` above 0, each worker keeps the block memory of its
// last libsodium Argon2 derivation for the next one when it is at most that
// many bytes (see Argon2MemoryCache). That memory is not reserved from the
// budget. Thread-safe.
class WorkerPool {
 public:
  // A job gets true when it runs, false when it waited too long to finish by
  // its deadline.
  using Job = std::function<void(bool started)>;
  // The last step of a job, such as sending its response. The worker runs it
  // after releasing the job's memory and worker, so the next request finds both.
  using Delivery = std::function<void()>;
  using DeliveringJob = std::function<Delivery(bool started)>;

  WorkerPool(std::size_t threads, std::uint64_t memory_budget, std::size_t max_queue,
             std::size_t argon2_memory_cache = 0);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  // Queues `job`, which needs `memory` bytes while it runs, or returns why not.
  Admission submit(std::uint64_t memory, Clock::time_point deadline, Job job);
  // The same for a job that returns a Delivery.
  Admission submit_delivering(std::uint64_t memory, Clock::time_point deadline,
                              DeliveringJob job);

  // Stops taking jobs and waits until every queued and running job is done
  // and delivered.
  void drain();

  // Stops taking jobs and calls every queued job with false at once, for a
  // server that can no longer send their responses. Running jobs go on.
  void reject_queued();

  std::size_t queued() const;
  std::size_t running() const;
  std::uint64_t reserved_memory() const;
  std::uint64_t memory_budget() const { return memory_budget_; }
  std::size_t threads() const { return threads_.size(); }

 private:
  struct Entry {
    std::uint64_t memory;
    Clock::time_point latest_start;
    DeliveringJob job;
  };

  void run_worker(std::size_t argon2_memory_cache);
  Clock::duration estimated_wait() const;
  Clock::duration average_run() const;
  // Releases a job's memory and its worker before the job's delivery; `took`
  // is its run time when it ran.
  void finish(std::uint64_t memory, std::optional<Clock::duration> took);
  // Records that a finished job's delivery is done.
  void delivered();

  const std::uint64_t memory_budget_;
  const std::size_t max_queue_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable idle_;
  std::deque<Entry> queue_;
  std::size_t running_ = 0;
  std::size_t delivering_ = 0;
  std::uint64_t reserved_ = 0;
  bool stopping_ = false;
  // Moving average of job run time, for the start-time estimate.
  // NOTE: until the first jobs finish, every run is guessed at 50 ms, so a
  // burst right after start can be refused earlier than its real cost needs.
  double average_seconds_ = 0.05;
  std::vector<std::thread> threads_;
};

}  // namespace pwsvc::daemon

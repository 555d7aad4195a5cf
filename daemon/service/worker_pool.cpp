// WorkerPool: admission by memory budget and deadline, then FIFO execution.
#include "worker_pool.hpp"

#include "argon2_memory_cache.hpp"

namespace pwsvc::daemon {

WorkerPool::WorkerPool(std::size_t threads, std::uint64_t memory_budget, std::size_t max_queue,
                       std::size_t argon2_memory_cache)
    : memory_budget_(memory_budget), max_queue_(max_queue) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, argon2_memory_cache] { run_worker(argon2_memory_cache); });
  }
}

WorkerPool::~WorkerPool() {
  drain();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : threads_) {
    thread.join();
  }
}

Clock::duration WorkerPool::estimated_wait() const {
  // Jobs ahead of a new one, spread over the workers; zero when one is free.
  const std::size_t workers = threads_.size();
  const std::size_t busy = running_ + queue_.size();
  if (busy < workers) {
    return Clock::duration::zero();
  }
  const double rounds = static_cast<double>(busy - workers + 1) / static_cast<double>(workers);
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(rounds * average_seconds_));
}

Clock::duration WorkerPool::average_run() const {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(average_seconds_));
}

Admission WorkerPool::submit(std::uint64_t memory, Clock::time_point deadline, Job job) {
  return submit_delivering(memory, deadline, [job = std::move(job)](bool started) -> Delivery {
    job(started);
    return nullptr;
  });
}

Admission WorkerPool::submit_delivering(std::uint64_t memory, Clock::time_point deadline,
                                        DeliveringJob job) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    return Admission::stopping;
  }
  if (memory > memory_budget_) {
    return Admission::too_large;
  }
  if (reserved_ + memory > memory_budget_) {
    return Admission::over_budget;
  }
  if (queue_.size() >= max_queue_) {
    return Admission::queue_full;
  }
  // A job that finds a worker free runs whenever that worker picks it up.
  const Clock::duration wait = estimated_wait();
  Clock::time_point latest_start = Clock::time_point::max();
  if (wait > Clock::duration::zero()) {
    latest_start = deadline - average_run();
    if (Clock::now() + wait > latest_start) {
      return Admission::too_late;
    }
  }

  reserved_ += memory;
  queue_.push_back({memory, latest_start, std::move(job)});
  lock.unlock();
  work_ready_.notify_one();
  return Admission::accepted;
}

void WorkerPool::finish(std::uint64_t memory, std::optional<Clock::duration> took) {
  std::lock_guard lock(mutex_);
  reserved_ -= memory;
  --running_;
  ++delivering_;
  if (took) {
    const double seconds = std::chrono::duration<double>(*took).count();
    average_seconds_ = 0.8 * average_seconds_ + 0.2 * seconds;
  }
}

void WorkerPool::delivered() {
  std::lock_guard lock(mutex_);
  --delivering_;
  if (running_ == 0 && delivering_ == 0 && queue_.empty()) {
    idle_.notify_all();
  }
}

void WorkerPool::run_worker(std::size_t argon2_memory_cache) {
  const Argon2MemoryCache cache(argon2_memory_cache);
  while (true) {
    std::unique_lock lock(mutex_);
    work_ready_.wait(lock, [this] { return !queue_.empty() || (stopping_ && running_ == 0); });
    if (queue_.empty()) {
      return;
    }
    Entry entry = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();

    const auto started = Clock::now();
    const bool in_time = started <= entry.latest_start;
    Delivery delivery = entry.job(in_time);
    entry.job = nullptr;
    finish(entry.memory, in_time ? std::optional(Clock::now() - started) : std::nullopt);

    // The captures may hold the last reference to a session, whose destructor
    // touches server state, so they are gone before drain() can return.
    if (delivery) {
      delivery();
    }
    delivery = nullptr;
    delivered();
  }
}

void WorkerPool::drain() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  idle_.wait(lock, [this] { return running_ == 0 && delivering_ == 0 && queue_.empty(); });
}

void WorkerPool::reject_queued() {
  std::deque<Entry> rejected;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    rejected.swap(queue_);
    for (const Entry& entry : rejected) {
      reserved_ -= entry.memory;
    }
  }
  idle_.notify_all();

  for (Entry& entry : rejected) {
    if (Delivery delivery = entry.job(false)) {
      delivery();
    }
  }
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t WorkerPool::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::uint64_t WorkerPool::reserved_memory() const {
  std::lock_guard lock(mutex_);
  return reserved_;
}

}  // namespace pwsvc::daemon

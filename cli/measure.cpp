// Load runs over Runners, latency statistics, peak memory and Lambda estimates.
#include "measure.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace pwsvc::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A fixed, public password: the cost of a hash does not depend on it.
constexpr std::string_view k_bench_password = "pwsvc-benchmark-password";

// AWS Lambda prices in USD for us-east-1, first pricing tier (x86_64: the
// first 6 billion GB-seconds a month, arm64: the first 7.5 billion), with
// requests at 0.20 per million. These are the AWS Lambda price list figures
// as quoted by cloudchipr.com/blog/aws-lambda-pricing (2024), checked on
// 2026-12-04. Prices change, so compare them with
// https://aws.amazon.com/lambda/pricing/ before relying on the estimate.
constexpr double k_lambda_x86_usd_per_gb_s = 0.0000166667;
constexpr double k_lambda_arm_usd_per_gb_s = 0.0000133334;
constexpr double k_lambda_usd_per_million_requests = 0.20;
constexpr std::string_view k_lambda_price_source =
    "AWS Lambda price list, us-east-1, first tier, as quoted by "
    "cloudchipr.com/blog/aws-lambda-pricing (2024); checked 2026-12-04";
// Lambda gives a function one full vCPU at 1769 MB and a CPU share in
// proportion to its memory below that.
constexpr double k_lambda_mb_per_vcpu = 1769;

ByteView bench_password() {
  return {reinterpret_cast<const unsigned char*>(k_bench_password.data()),
          k_bench_password.size()};
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// The samples and first error of all threads of one run.
struct SharedResult {
  std::mutex mutex;
  LoadResult result;
  std::optional<Error> error;
  std::atomic<bool> stop{false};

  void fail_with(Error error_found) {
    std::lock_guard lock(mutex);
    if (!error) {
      error = std::move(error_found);
    }
    stop = true;
  }
};

// Runs the loops of one thread and adds its samples to `shared`.
void run_thread(const Runner& runner, const HashRequest& request, const LoadPlan& plan,
                Clock::time_point deadline, SharedResult& shared) {
  std::vector<double> hash_ms;
  std::vector<double> verify_ms;
  std::string first_hash;
  for (std::size_t i = 0; i < plan.iterations && !shared.stop; ++i) {
    if (i > 0 && Clock::now() >= deadline) {
      break;
    }
    const auto started = Clock::now();
    auto hashed = runner.hash(bench_password(), request);
    if (!hashed) {
      return shared.fail_with(hashed.error());
    }
    hash_ms.push_back(elapsed_ms(started));

    if (plan.kind == LoadKind::hash_then_verify) {
      const auto verify_started = Clock::now();
      auto verified = runner.verify(bench_password(), *hashed, Rehash::no);
      if (!verified) {
        return shared.fail_with(verified.error());
      }
      verify_ms.push_back(elapsed_ms(verify_started));
      const auto* match = verified->if_contains("match");
      if (match == nullptr || !match->is_bool() || !match->get_bool()) {
        return shared.fail_with({ErrorCode::internal, "a new hash did not verify"});
      }
    }
    if (first_hash.empty()) {
      first_hash = std::move(*hashed);
    }
  }

  std::lock_guard lock(shared.mutex);
  auto& result = shared.result;
  result.hash_ms.insert(result.hash_ms.end(), hash_ms.begin(), hash_ms.end());
  result.verify_ms.insert(result.verify_ms.end(), verify_ms.begin(), verify_ms.end());
  if (result.first_hash.empty()) {
    result.first_hash = std::move(first_hash);
  }
}

}  // namespace

LatencyStats summarize(std::vector<double>& samples_ms) {
  LatencyStats stats;
  if (samples_ms.empty()) {
    return stats;
  }
  std::sort(samples_ms.begin(), samples_ms.end());
  const std::size_t count = samples_ms.size();
  stats.count = count;
  stats.min_ms = samples_ms.front();
  stats.max_ms = samples_ms.back();
  stats.median_ms = count % 2 == 1
                        ? samples_ms[count / 2]
                        : (samples_ms[count / 2 - 1] + samples_ms[count / 2]) / 2;
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(count)));
  stats.p95_ms = samples_ms[std::max<std::size_t>(rank, 1) - 1];
  return stats;
}

Runners make_runners(const GlobalOptions& global, unsigned count) {
  Runners runner_set;
  for (unsigned i = 0; i < count; ++i) {
    RunnerChoice choice = choose_runner(global);
    if (!choice.runner) {
      return {{}, choice.failure};
    }
    runner_set.runners.push_back(std::move(choice.runner));
  }
  return runner_set;
}

Result<LoadResult> run_load(std::span<const std::unique_ptr<Runner>> runners,
                            const HashRequest& request, const LoadPlan& plan) {
  SharedResult shared;
  const auto started = Clock::now();
  const auto deadline =
      started + std::chrono::duration_cast<Clock::duration>(plan.duration);
  std::vector<std::thread> threads;
  for (const auto& runner : runners) {
    threads.emplace_back(
        [&, runner = runner.get()] { run_thread(*runner, request, plan, deadline, shared); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  shared.result.elapsed_s = elapsed_ms(started) / 1000;

  if (shared.error) {
    return tl::unexpected(*shared.error);
  }
  return std::move(shared.result);
}

bool runs_remotely(const GlobalOptions& global) {
  const char* from_env = std::getenv("PWSVC_REMOTE");
  return global.remote.has_value() || (from_env != nullptr && *from_env != '\0');
}

std::optional<std::uint64_t> peak_memory_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return std::nullopt;
  }
  // Linux reports ru_maxrss in KiB.
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

std::string_view lambda_arch_name(LambdaArch arch) {
  return arch == LambdaArch::arm64 ? "arm64" : "x86_64";
}

LambdaEstimate estimate_lambda(double measured_ms, std::uint32_t memory_mb, LambdaArch arch) {
  LambdaEstimate estimate;
  estimate.memory_mb = memory_mb;
  estimate.arch = arch;

  // Below 1769 MB a function gets a fraction of a vCPU, so a single-threaded
  // hash takes longer in proportion. Above it the extra vCPUs do not speed
  // up a hash with one lane. NOTE: this assumes Lambda's CPUs are as fast as
  // the CPU that made the measurement.
  const double slowdown = std::max(1.0, k_lambda_mb_per_vcpu / memory_mb);
  estimate.billed_ms = std::ceil(measured_ms * slowdown);

  const double price =
      arch == LambdaArch::arm64 ? k_lambda_arm_usd_per_gb_s : k_lambda_x86_usd_per_gb_s;
  const double gb_seconds = (memory_mb / 1024.0) * (estimate.billed_ms / 1000.0);
  estimate.compute_usd = 1e6 * gb_seconds * price;
  estimate.request_usd = k_lambda_usd_per_million_requests;
  estimate.total_usd = estimate.compute_usd + estimate.request_usd;
  return estimate;
}

boost::json::object lambda_json(const LambdaEstimate& estimate) {
  const double price = estimate.arch == LambdaArch::arm64 ? k_lambda_arm_usd_per_gb_s
                                                          : k_lambda_x86_usd_per_gb_s;
  return {{"memory_mb", estimate.memory_mb},
          {"arch", lambda_arch_name(estimate.arch)},
          {"estimated_billed_ms_per_hash", estimate.billed_ms},
          {"compute_usd_per_million", estimate.compute_usd},
          {"requests_usd_per_million", estimate.request_usd},
          {"estimated_usd_per_million_hashes", estimate.total_usd},
          {"usd_per_gb_second", price},
          {"price_source", k_lambda_price_source},
          {"note", "an estimate: Lambda's CPU share scales with memory (about one vCPU at "
                   "1769 MB), and Lambda's CPUs may be slower or faster than this machine's"}};
}

std::string lambda_text(const LambdaEstimate& estimate, std::string_view prefix) {
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(2);
  const std::string lead(prefix);
  text << lead << "AWS Lambda estimate, " << estimate.memory_mb << " MB, "
       << lambda_arch_name(estimate.arch) << ": about " << static_cast<std::uint64_t>(estimate.billed_ms)
       << " ms billed per hash, $" << estimate.total_usd << " per million hashes ($"
       << estimate.compute_usd << " compute + $" << estimate.request_usd << " requests)\n";
  text << lead << "  prices: " << k_lambda_price_source << "\n";
  text << lead << "  an estimate: Lambda's CPU share scales with memory (about one vCPU at "
       << "1769 MB),\n"
       << lead << "  and its CPUs may be slower or faster than the one measured here\n";
  return text.str();
}

std::string machine_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

}  // namespace pwsvc::cli

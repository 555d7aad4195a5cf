// Latency measurement through a Runner, summary statistics, peak memory and
// the AWS Lambda cost estimate shared by pwsvc bench and pwsvc tune.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "runner.hpp"

namespace pwsvc::cli {

// Latency figures of one operation, in milliseconds.
struct LatencyStats {
  std::size_t count = 0;
  double min_ms = 0;
  double median_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;
};

// Summarises `samples_ms`, which it sorts. All figures are 0 for no samples.
// The p95 is the nearest-rank percentile.
LatencyStats summarize(std::vector<double>& samples_ms);

// The operations each thread of a load run performs.
enum class LoadKind {
  hash_only,        // hash in a loop
  hash_then_verify  // hash, then verify that new hash, in a loop
};

// How long a load run goes on: each thread stops after `iterations` loops or
// once `duration` has passed, whichever comes first. Every thread completes
// at least one loop.
struct LoadPlan {
  LoadKind kind = LoadKind::hash_only;
  std::size_t iterations = SIZE_MAX;
  std::chrono::duration<double> duration{3.0};
};

// The latencies of every loop of every thread, and the wall time of the run.
struct LoadResult {
  std::vector<double> hash_ms;
  std::vector<double> verify_ms;
  double elapsed_s = 0;
  std::string first_hash;  // a hash made during the run, for identify
};

// One runner per load thread, or the exit status when one could not be
// made (the error is already printed).
struct Runners {
  std::vector<std::unique_ptr<Runner>> runners;
  int failure = k_exit_ok;
};

// Makes `count` runners with choose_runner(global), so that load threads
// share no connection or state.
Runners make_runners(const GlobalOptions& global, unsigned count);

// Runs `plan` on one thread per runner, each hashing a fixed benchmark
// password with `request`. Fails with the first error of any thread; the
// other threads stop after their current loop.
Result<LoadResult> run_load(std::span<const std::unique_ptr<Runner>> runners,
                            const HashRequest& request, const LoadPlan& plan);

// Returns true when the runners send requests to pwsvcd, as choose_runner()
// decides: --remote, else a non-empty $PWSVC_REMOTE.
bool runs_remotely(const GlobalOptions& global);

// Returns the peak resident set size of this process in bytes (getrusage
// ru_maxrss), or nothing when it cannot be read.
std::optional<std::uint64_t> peak_memory_bytes();

// The CPU architecture of a Lambda function, which sets its price.
enum class LambdaArch { x86_64, arm64 };

// An estimate of what AWS Lambda charges for one million hashes.
struct LambdaEstimate {
  std::uint32_t memory_mb = 0;
  LambdaArch arch = LambdaArch::x86_64;
  double billed_ms = 0;  // estimated duration of one hash on Lambda, rounded up to 1 ms
  double compute_usd = 0;
  double request_usd = 0;
  double total_usd = 0;
};

// Estimates the Lambda cost per million hashes that each take `measured_ms`
// on this machine with one full CPU, at `memory_mb` of function memory.
LambdaEstimate estimate_lambda(double measured_ms, std::uint32_t memory_mb, LambdaArch arch);

std::string_view lambda_arch_name(LambdaArch arch);

// Returns the estimate as JSON, with its price constants and their source.
boost::json::object lambda_json(const LambdaEstimate& estimate);

// Returns the estimate as lines of text, each starting with `prefix`.
std::string lambda_text(const LambdaEstimate& estimate, std::string_view prefix);

// Returns a short description of this machine: CPU model and core count.
std::string machine_description();

}  // namespace pwsvc::cli

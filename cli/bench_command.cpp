// pwsvc bench: measure hash and verify latency, throughput and peak memory.
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "hash_request.hpp"
#include "measure.hpp"

namespace pwsvc::cli {

namespace {

constexpr unsigned k_max_concurrency = 1024;
constexpr double k_max_duration_s = 3600;

struct BenchOptions {
  std::string algorithm;
  std::vector<std::string> params;
  unsigned concurrency = 1;
  double duration_s = 3;
  bool json = false;
  std::optional<std::uint32_t> lambda_memory_mb;
  std::string arch = "x86_64";
};

// Everything one bench run found.
struct BenchReport {
  bool remote = false;
  unsigned concurrency = 1;
  boost::json::object identified;  // identify() of a hash runner_set by the run
  LoadResult load;
  LatencyStats hash;
  LatencyStats verify;
  std::optional<LambdaEstimate> lambda;
};

boost::json::object stats_json(const LatencyStats& stats) {
  return {{"count", stats.count},   {"min_ms", stats.min_ms}, {"median_ms", stats.median_ms},
          {"p95_ms", stats.p95_ms}, {"max_ms", stats.max_ms}};
}

double per_second(std::size_t count, double elapsed_s) {
  return elapsed_s > 0 ? static_cast<double>(count) / elapsed_s : 0;
}

void print_json(const BenchReport& report) {
  boost::json::object root;
  root["mode"] = report.remote ? "remote" : "local";
  root["scheme"] = report.identified.at("scheme");
  if (const auto* parameters = report.identified.if_contains("parameters")) {
    root["parameters"] = *parameters;
  }
  root["concurrency"] = report.concurrency;
  root["load"] = "each thread hashes, then verifies that hash, in a loop";
  root["duration_s"] = report.load.elapsed_s;
  root["hash"] = stats_json(report.hash);
  root["verify"] = stats_json(report.verify);
  root["throughput"] = {
      {"hashes_per_second", per_second(report.hash.count, report.load.elapsed_s)},
      {"verifies_per_second", per_second(report.verify.count, report.load.elapsed_s)}};
  // With --remote the memory of interest is the daemon's, which the client
  // cannot see.
  const auto peak = report.remote ? std::nullopt : peak_memory_bytes();
  root["peak_memory_bytes"] = peak ? boost::json::value(*peak) : boost::json::value(nullptr);
  if (report.lambda) {
    root["lambda"] = lambda_json(*report.lambda);
  }
  std::cout << boost::json::serialize(root) << "\n";
}

std::string cell(std::string_view text, std::size_t width) {
  return std::string(width > text.size() ? width - text.size() : 0, ' ') + std::string(text);
}

void print_stats_row(std::ostream& out, std::string_view name, const LatencyStats& stats) {
  out << "  " << name << std::string(8 - name.size(), ' ');
  for (const double value : {stats.min_ms, stats.median_ms, stats.p95_ms, stats.max_ms}) {
    std::ostringstream number;
    number.setf(std::ios::fixed);
    number.precision(2);
    number << value;
    out << cell(number.str(), 10);
  }
  out << cell(std::to_string(stats.count), 8) << "\n";
}

void print_text(const BenchReport& report) {
  std::cout << "scheme:      " << std::string_view(report.identified.at("scheme").as_string());
  if (const auto* parameters = report.identified.if_contains("parameters")) {
    for (const auto& member : parameters->as_object()) {
      std::cout << " " << std::string_view(member.key()) << "="
                << (member.value().is_string() ? std::string(member.value().get_string())
                                               : boost::json::serialize(member.value()));
    }
  }
  std::cout << "\nmode:        " << (report.remote ? "remote, through pwsvcd" : "local") << "\n";
  std::cout << "load:        " << report.concurrency << " thread(s), each hashing then verifying "
            << "in a loop for " << std::round(report.load.elapsed_s * 10) / 10 << " s\n\n";
  std::cout << "  ms      " << cell("min", 10) << cell("median", 10) << cell("p95", 10)
            << cell("max", 10) << cell("count", 8) << "\n";
  print_stats_row(std::cout, "hash", report.hash);
  print_stats_row(std::cout, "verify", report.verify);
  std::cout.setf(std::ios::fixed);
  std::cout.precision(2);
  std::cout << "\nthroughput:  " << per_second(report.hash.count, report.load.elapsed_s)
            << " hashes/s and " << per_second(report.verify.count, report.load.elapsed_s)
            << " verifies/s\n";
  if (report.remote) {
    std::cout << "peak memory: not measured (the work runs in pwsvcd)\n";
  } else if (const auto peak = peak_memory_bytes()) {
    std::cout << "peak memory: " << static_cast<double>(*peak) / (1024 * 1024)
              << " MiB (peak RSS of this process)\n";
  }
  if (report.lambda) {
    std::cout << "\n" << lambda_text(*report.lambda, "");
  }
}

std::optional<std::string> check_options(const BenchOptions& options) {
  if (options.concurrency < 1 || options.concurrency > k_max_concurrency) {
    return "--concurrency " + std::to_string(options.concurrency) + " is out of range; use 1 to " +
           std::to_string(k_max_concurrency);
  }
  if (!(options.duration_s >= 0.1 && options.duration_s <= k_max_duration_s)) {
    return "--duration must be from 0.1 to " + std::to_string(int(k_max_duration_s)) + " seconds";
  }
  return std::nullopt;
}

int run_bench(const BenchOptions& options, const GlobalOptions& global) {
  if (auto problem = check_options(options)) {
    return print_error(*problem, k_exit_usage);
  }
  auto request = parse_hash_request(options.algorithm, options.params);
  if (!request) {
    return print_error(request.error());
  }
  Runners runner_set = make_runners(global, options.concurrency);
  if (runner_set.failure != k_exit_ok) {
    return runner_set.failure;
  }

  // One untimed loop checks the request and warms up allocators and connections.
  LoadPlan plan{LoadKind::hash_then_verify, 1, std::chrono::duration<double>(0)};
  auto warmup = run_load(std::span(runner_set.runners).first(1), *request, plan);
  if (!warmup) {
    return print_error(warmup.error());
  }
  auto identified = runner_set.runners.front()->identify(warmup->first_hash);
  if (!identified) {
    return print_error(identified.error());
  }

  plan.iterations = SIZE_MAX;
  plan.duration = std::chrono::duration<double>(options.duration_s);
  auto load = run_load(runner_set.runners, *request, plan);
  if (!load) {
    return print_error(load.error());
  }

  BenchReport report;
  report.remote = runs_remotely(global);
  report.concurrency = options.concurrency;
  report.identified = std::move(*identified);
  report.load = std::move(*load);
  report.hash = summarize(report.load.hash_ms);
  report.verify = summarize(report.load.verify_ms);
  if (options.lambda_memory_mb) {
    report.lambda = estimate_lambda(report.hash.median_ms, *options.lambda_memory_mb,
                                    options.arch == "arm64" ? LambdaArch::arm64
                                                            : LambdaArch::x86_64);
  }
  options.json ? print_json(report) : print_text(report);
  return k_exit_ok;
}

}  // namespace

void add_bench_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand(
      "bench", "Measure hash and verify latency, throughput and peak memory of a policy");
  add_hash_options(*command, options->algorithm, options->params);
  command->add_option("--concurrency,-c", options->concurrency,
                      "Threads, each hashing a fixed test password and then verifying that "
                      "hash, in a loop (default: 1)");
  command->add_option("--duration,-d", options->duration_s,
                      "Seconds to run the load; each thread finishes its current loop "
                      "(default: 3)");
  command->add_flag("--json", options->json, "Print one JSON object instead of a table");
  command->add_option("--lambda-memory", options->lambda_memory_mb,
                      "Add an estimate of the AWS Lambda cost per million hashes at this "
                      "function memory in MB (128 to 10240), from the median hash latency")
      ->check(CLI::Range(128, 10240));
  command->add_option("--arch", options->arch,
                      "Lambda architecture for the estimate: x86_64 or arm64 (default: x86_64)")
      ->check(CLI::IsMember({"x86_64", "arm64"}));
  command->footer(
      "Latency is measured under the load: every hash and every verify of every thread is\n"
      "one sample. Throughput counts completed operations over the wall time. Peak memory\n"
      "is the peak resident set size of this process (getrusage ru_maxrss); with --remote\n"
      "the timing covers the whole request to pwsvcd and memory is not measured; the\n"
      "daemon's rate limit (daemon.rate_limit) can reject a fast load with HTTP 429.\n\n"
      "Examples:\n"
      "  pwsvc bench\n"
      "  pwsvc bench -a argon2id -P m=65536 -P t=3 --concurrency 4 --duration 10 --json\n"
      "  pwsvc --remote unix:/run/pwsvc/pwsvcd.sock bench --concurrency 8\n"
      "  pwsvc bench --lambda-memory 1024 --arch arm64");
  command->callback([options, &global, &status] { status = run_bench(*options, global); });
}

}  // namespace pwsvc::cli

// pwsvc tune: find the strongest parameters that hash within a latency target.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "measure.hpp"
#include "svg_plot.hpp"
#include "tune_search.hpp"

namespace pwsvc::cli {

namespace {

constexpr double k_max_target_ms = 60000;
constexpr unsigned k_max_concurrency = 1024;

struct TuneOptions {
  double target_ms = 0;
  std::string algorithm;
  std::string max_memory;
  unsigned concurrency = 1;
  std::string write_path;
  bool force = false;
  std::string plot_path;
  std::optional<std::uint32_t> lambda_memory_mb;
  std::string arch = "x86_64";
};

// Measures through the runners: every thread hashes `samples` times and the
// median is over all of their latencies.
class RunnerMeasurer final : public Measurer {
 public:
  RunnerMeasurer(std::span<const std::unique_ptr<Runner>> runners, Algorithm algorithm)
      : runners_(runners), algorithm_(algorithm) {}

  Result<double> median_ms(const ParamMap& params, int samples) override {
    const LoadPlan plan{LoadKind::hash_only, static_cast<std::size_t>(samples),
                        std::chrono::hours(1)};
    auto load = run_load(runners_, HashRequest{algorithm_, params}, plan);
    if (!load) {
      return tl::unexpected(load.error());
    }
    return summarize(load->hash_ms).median_ms;
  }

 private:
  std::span<const std::unique_ptr<Runner>> runners_;
  Algorithm algorithm_;
};

std::string params_text(const ParamMap& params) {
  std::string text;
  for (const auto& [key, value] : params) {
    text += (text.empty() ? "" : " ") + key + "=" + std::to_string(value);
  }
  return text;
}

std::string fixed(double value, int digits = 1) {
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(digits);
  text << value;
  return text.str();
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return date;
}

// Returns [limits] lines for the parameters that the built-in limits would
// reject, so that the snippet loads on its own.
std::string limit_lines(Algorithm algorithm, const ParamMap& params) {
  const Limits defaults;
  std::string lines;
  auto add = [&lines](std::string_view key, std::uint64_t value, std::uint64_t limit) {
    if (value > limit) {
      lines += std::string(key) + " = " + std::to_string(value) + "\n";
    }
  };
  if (params.contains("m")) {
    add("argon2_max_memory_kib", params.at("m"), defaults.argon2_max_memory_kib);
    add("argon2_max_time_cost", params.at("t"), defaults.argon2_max_time_cost);
  } else if (params.contains("ln")) {
    add("scrypt_max_memory_kib",
        scrypt_memory_kib(static_cast<std::uint32_t>(params.at("ln")), params.at("r"),
                          params.at("p")),
        defaults.scrypt_max_memory_kib);
  } else if (algorithm == Algorithm::bcrypt) {
    add("bcrypt_max_cost", params.at("cost"), defaults.bcrypt_max_cost);
  } else {
    add("pbkdf2_max_iterations", params.at("rounds"), defaults.pbkdf2_max_iterations);
  }
  return lines.empty() ? "" : "\n[limits]\n" + lines;
}

// Returns the one-line explanation of an outcome other than within_target.
std::string outcome_note(const TuneGoal& goal, const TuneResult& result) {
  const std::string name(algorithm_name(goal.algorithm));
  if (result.outcome == TuneOutcome::floor_above_target) {
    return "the target of " + fixed(goal.target_ms) + " ms cannot be met: the OWASP minimum "
           "for " + name + " (" + params_text(result.params) + ") already takes " +
           fixed(result.median_ms) + " ms here, so these are the minimum parameters";
  }
  if (result.outcome == TuneOutcome::capped) {
    return "the search stopped at " + result.cap + " with " + fixed(result.median_ms) +
           " ms, below the target of " + fixed(goal.target_ms) + " ms; raise " + result.cap +
           " for stronger parameters";
  }
  return "";
}

std::string snippet(const TuneGoal& goal, const TuneResult& result, const TuneOptions& options,
                    bool remote, double search_s) {
  const std::string name(algorithm_name(goal.algorithm));
  std::ostringstream text;
  text << "# pwsvc tune --target-ms " << fixed(goal.target_ms) << ": " << name
       << ", median hash latency at most " << fixed(goal.target_ms * (1 + k_tune_tolerance))
       << " ms\n";
  text << "# re-measured median: " << fixed(result.remeasured_ms) << " ms (" << k_final_samples
       << " hashes per thread, concurrency " << options.concurrency << ", "
       << (remote ? "through pwsvcd" : "local") << ")\n";
  text << "# search: " << result.probes.size()
       << (result.probes.size() == 1 ? " probe in " : " probes in ") << fixed(search_s) << " s on "
       << machine_description() << ", " << today() << "\n";
  text << "# OWASP minimum for " << name << ": " << params_text(tune_floor(goal.algorithm))
       << "\n";
  if (const std::string note = outcome_note(goal, result); !note.empty()) {
    text << "# NOTE: " << note << "\n";
  }
  text << "[policy]\nalgorithm = \"" << name << "\"\n\n[policy." << name << "]\n";
  for (const auto& [key, value] : result.params) {
    text << key << " = " << value << "\n";
  }
  text << limit_lines(goal.algorithm, result.params);
  return text.str();
}

// Writes `content` to `path` through a temporary file in the same directory,
// so readers see the old file or the whole new one. Without `force` an
// existing file is kept: link() fails instead of replacing it.
Result<void> write_atomically(const std::string& path, const std::string& content, bool force) {
  const std::filesystem::path target(path);
  const auto directory = target.has_parent_path() ? target.parent_path() : ".";
  std::string temp = (directory / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument,
                "cannot create a file next to " + path + ": " + std::strerror(errno));
  }
  const bool written = ::write(fd, content.data(), content.size()) ==
                           static_cast<ssize_t>(content.size()) &&
                       fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return fail(ErrorCode::internal, "cannot write " + path + ": " + std::strerror(saved_errno));
  }

  const int placed = force ? std::rename(temp.c_str(), path.c_str()) : ::link(temp.c_str(), path.c_str());
  const int place_errno = errno;
  if (!force || placed != 0) {
    ::unlink(temp.c_str());
  }
  if (placed != 0 && place_errno == EEXIST) {
    return fail(ErrorCode::invalid_argument, path + " already exists; add --force to replace it");
  }
  if (placed != 0) {
    return fail(ErrorCode::invalid_argument,
                "cannot write " + path + ": " + std::strerror(place_errno));
  }
  return {};
}

Result<void> write_plot(const std::string& path, const TuneGoal& goal, const TuneResult& result) {
  LatencyPlot plot;
  plot.title = "pwsvc tune: " + std::string(algorithm_name(goal.algorithm)) + ", target " +
               fixed(goal.target_ms) + " ms";
  plot.x_label = work_label(goal.algorithm);
  plot.target_ms = goal.target_ms;
  plot.tolerance = k_tune_tolerance;
  for (const auto& probe : result.probes) {
    plot.points.push_back({work_of(goal.algorithm, probe.params), probe.median_ms, false});
  }
  plot.points.push_back({work_of(goal.algorithm, result.params), result.remeasured_ms, true});
  return write_atomically(path, render_latency_svg(plot), true);
}

// Checks the options and fills the goal; prints the error and returns its
// exit status on failure.
int make_goal(const TuneOptions& options, const GlobalOptions& global, TuneGoal& goal) {
  if (!(options.target_ms >= 1 && options.target_ms <= k_max_target_ms)) {
    return print_error("--target-ms must be from 1 to " + fixed(k_max_target_ms, 0), k_exit_usage);
  }
  if (options.concurrency < 1 || options.concurrency > k_max_concurrency) {
    return print_error("--concurrency " + std::to_string(options.concurrency) +
                           " is out of range; use 1 to " + std::to_string(k_max_concurrency),
                       k_exit_usage);
  }
  const LoadedSettings loaded = load_settings(global);
  if (loaded.failure != k_exit_ok) {
    return loaded.failure;
  }
  goal.target_ms = options.target_ms;
  goal.limits = loaded.settings.limits;
  goal.algorithm = loaded.settings.policy.algorithm;
  if (!options.algorithm.empty()) {
    const auto parsed = parse_algorithm(options.algorithm);
    if (!parsed || !can_tune(*parsed)) {
      return print_error("cannot tune '" + options.algorithm + "'; use argon2id, argon2i, "
                         "scrypt, bcrypt, pbkdf2-sha256 or pbkdf2-sha512", k_exit_usage);
    }
    goal.algorithm = *parsed;
  }
  if (!can_tune(goal.algorithm)) {
    return print_error("cannot tune the policy's algorithm " +
                           std::string(algorithm_name(goal.algorithm)) + "; give --algorithm",
                       k_exit_usage);
  }
  if (!options.max_memory.empty()) {
    const auto bytes = parse_size(options.max_memory);
    if (!bytes || *bytes < 1024 * 1024) {
      return print_error("invalid --max-memory '" + options.max_memory + "'; use a size of at "
                         "least 1MiB such as 64MiB or 1GiB", k_exit_usage);
    }
    goal.max_memory_kib = *bytes / 1024;
  }
  return k_exit_ok;
}

int run_tune(const TuneOptions& options, const GlobalOptions& global) {
  TuneGoal goal;
  if (const int failure = make_goal(options, global, goal); failure != k_exit_ok) {
    return failure;
  }
  if (!options.write_path.empty() && !options.force &&
      std::filesystem::exists(options.write_path)) {
    return print_error(options.write_path + " already exists; add --force to replace it",
                       k_exit_usage);
  }
  Runners runner_set = make_runners(global, options.concurrency);
  if (runner_set.failure != k_exit_ok) {
    return runner_set.failure;
  }

  RunnerMeasurer measurer(runner_set.runners, goal.algorithm);
  const auto started = std::chrono::steady_clock::now();
  auto result = search_params(goal, measurer);
  if (!result) {
    return print_error(result.error());
  }
  const double search_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const bool remote = runs_remotely(global);
  std::string text = snippet(goal, *result, options, remote, search_s);
  if (options.lambda_memory_mb) {
    const auto arch = options.arch == "arm64" ? LambdaArch::arm64 : LambdaArch::x86_64;
    text += "\n" + lambda_text(estimate_lambda(result->remeasured_ms, *options.lambda_memory_mb,
                                               arch), "# ");
  }
  if (const std::string note = outcome_note(goal, *result); !note.empty()) {
    std::cerr << "pwsvc: warning: " << note << "\n";
  }

  std::cout << text;
  if (!options.plot_path.empty()) {
    if (auto plotted = write_plot(options.plot_path, goal, *result); !plotted) {
      return print_error(plotted.error());
    }
  }
  if (!options.write_path.empty()) {
    if (auto written = write_atomically(options.write_path, text, options.force); !written) {
      return print_error(written.error());
    }
  }
  return k_exit_ok;
}

}  // namespace

void add_tune_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<TuneOptions>();
  CLI::App* command = app.add_subcommand(
      "tune", "Find the strongest parameters whose median hash latency meets a target");
  command->add_option("--target-ms,-T", options->target_ms,
                      "Target median hash latency in milliseconds; the choice is at most 10% "
                      "above it")
      ->required();
  command->add_option("--algorithm,-a", options->algorithm,
                      "Algorithm: argon2id, argon2i, scrypt, bcrypt, pbkdf2-sha256 or "
                      "pbkdf2-sha512 (default: the policy's)");
  command->add_option("--max-memory", options->max_memory,
                      "Memory cap of one hash for Argon2 and scrypt, such as 64MiB or 1GiB "
                      "(default: the limits, 256MiB unless configured)")
      ->type_name("SIZE");
  command->add_option("--concurrency,-c", options->concurrency,
                      "Threads hashing at once while measuring; latency under this load must "
                      "meet the target (default: 1)");
  command->add_option("--write,-w", options->write_path,
                      "Also save the snippet to FILE, atomically")
      ->type_name("FILE");
  command->add_flag("--force,-f", options->force, "Let --write replace an existing FILE");
  command->add_option("--plot", options->plot_path,
                      "Draw the measured latencies against cost as an SVG in FILE")
      ->type_name("FILE");
  command->add_option("--lambda-memory", options->lambda_memory_mb,
                      "Add an estimate of the AWS Lambda cost per million hashes at this "
                      "function memory in MB (128 to 10240)")
      ->check(CLI::Range(128, 10240));
  command->add_option("--arch", options->arch,
                      "Lambda architecture for the estimate: x86_64 or arm64 (default: x86_64)")
      ->check(CLI::IsMember({"x86_64", "arm64"}));
  command->footer(
      "Argon2 raises m up to the memory cap and then t; scrypt raises ln, bcrypt cost and\n"
      "PBKDF2 rounds. The search never goes below the OWASP minimums (the built-in policy)\n"
      "and, when even those are slower than the target, prints them with a warning.\n"
      "The output is TOML for pwsvc.toml; its comments record the measurement.\n\n"
      "Examples:\n"
      "  pwsvc tune --target-ms 250\n"
      "  pwsvc tune -T 500 -a argon2id --max-memory 128MiB --concurrency 4 --write policy.toml\n"
      "  pwsvc tune -T 100 -a bcrypt --plot bcrypt.svg --lambda-memory 1769");
  command->callback([options, &global, &status] { status = run_tune(*options, global); });
}

}  // namespace pwsvc::cli

// Growth-then-bisection search over one monotonic cost axis at a time.
#include "tune_search.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace pwsvc::cli {

namespace {

// The bracket is narrowed until its ends are within this fraction of the cost.
constexpr double k_resolution = 0.02;
// Predictions aim a little below the bound so that a probe lands under it.
constexpr double k_aim = 0.97;
// The largest factor one growth step may multiply a linear cost by.
constexpr double k_max_growth = 8;

bool is_argon2(Algorithm algorithm) {
  return algorithm == Algorithm::argon2id || algorithm == Algorithm::argon2i ||
         algorithm == Algorithm::argon2d;
}

// One parameter that the search raises while the others stay fixed.
struct Axis {
  std::string key;
  std::uint64_t start = 0;
  std::uint64_t cap = 0;
  std::uint64_t step = 1;    // values are rounded to multiples of it
  bool doubling = false;     // each +1 doubles the work (scrypt ln, bcrypt cost)
  std::string cap_name;
};

struct AxisResult {
  std::uint64_t value = 0;
  double median_ms = 0;
  TuneOutcome outcome = TuneOutcome::within_target;
};

class AxisSearch {
 public:
  AxisSearch(const TuneGoal& goal, Measurer& measurer, std::vector<Probe>& probes)
      : upper_ms_(goal.target_ms * (1 + k_tune_tolerance)), measurer_(measurer), probes_(probes) {}

  // Searches `axis` with the other parameters of `base`. `start_ms` is the
  // median at axis.start when it is already measured.
  Result<AxisResult> run(const Axis& axis, ParamMap base, std::optional<double> start_ms) {
    base_ = std::move(base);
    std::uint64_t lo = axis.start;
    double lo_ms = 0;
    if (start_ms) {
      lo_ms = *start_ms;
    } else if (auto measured = measure(axis, lo); measured) {
      lo_ms = *measured;
    } else {
      return tl::unexpected(measured.error());
    }
    if (lo_ms > upper_ms_) {
      return AxisResult{lo, lo_ms, TuneOutcome::floor_above_target};
    }

    std::optional<std::uint64_t> hi;
    double hi_ms = 0;
    while (!close_enough(axis, lo, lo_ms, hi)) {
      if (lo >= axis.cap) {
        return AxisResult{lo, lo_ms, TuneOutcome::capped};
      }
      const std::uint64_t next = predict(axis, lo, lo_ms, hi, hi_ms);
      auto measured = measure(axis, next);
      if (!measured) {
        return tl::unexpected(measured.error());
      }
      if (*measured <= upper_ms_) {
        lo = next;
        lo_ms = *measured;
      } else {
        hi = next;
        hi_ms = *measured;
      }
    }
    return AxisResult{lo, lo_ms, TuneOutcome::within_target};
  }

 private:
  Result<double> measure(const Axis& axis, std::uint64_t value) {
    ParamMap params = base_;
    params[axis.key] = value;
    auto measured = measurer_.median_ms(params, k_probe_samples);
    if (measured) {
      probes_.push_back({params, *measured});
    }
    return measured;
  }

  // Stops when the bracket is narrow, when `lo` is already within the
  // resolution of the bound, or when the next doubling step must exceed it.
  bool close_enough(const Axis& axis, std::uint64_t lo, double lo_ms,
                    std::optional<std::uint64_t> hi) const {
    if (hi && *hi - lo <= resolution(axis, lo)) {
      return true;
    }
    if (lo_ms * (1 + k_resolution) >= upper_ms_) {
      return true;
    }
    // Doubling axes double the time per step, up to noise.
    return axis.doubling && lo_ms * 1.8 > upper_ms_;
  }

  std::uint64_t resolution(const Axis& axis, std::uint64_t value) const {
    if (axis.doubling) {
      return 1;
    }
    const auto fraction = static_cast<std::uint64_t>(static_cast<double>(value) * k_resolution);
    return std::max(axis.step, fraction / axis.step * axis.step);
  }

  // Predicts the value whose time is k_aim of the bound: proportional to the
  // cost on linear axes, by interpolation once the bound is bracketed.
  std::uint64_t predict(const Axis& axis, std::uint64_t lo, double lo_ms,
                        std::optional<std::uint64_t> hi, double hi_ms) const {
    const double aim_ms = upper_ms_ * k_aim;
    const std::uint64_t ceiling = hi ? *hi - 1 : axis.cap;
    double guess = 0;
    if (axis.doubling) {
      guess = static_cast<double>(lo) + std::floor(std::log2(aim_ms / std::max(lo_ms, 1e-3)));
    } else if (hi && hi_ms > lo_ms) {
      guess = static_cast<double>(lo) + static_cast<double>(*hi - lo) * (aim_ms - lo_ms) /
                                            (hi_ms - lo_ms);
    } else {
      const double factor = std::min(aim_ms / std::max(lo_ms, 1e-3), k_max_growth);
      guess = static_cast<double>(lo) * factor;
    }

    const double rounded = std::round(guess / static_cast<double>(axis.step)) *
                           static_cast<double>(axis.step);
    const std::uint64_t smallest = lo + (axis.doubling ? 1 : resolution(axis, lo));
    auto next = static_cast<std::uint64_t>(std::clamp(
        rounded, static_cast<double>(smallest), static_cast<double>(UINT64_MAX / 2)));
    return std::min(next, std::max(ceiling, lo + 1));
  }

  double upper_ms_;
  Measurer& measurer_;
  std::vector<Probe>& probes_;
  ParamMap base_;
};

// Returns the largest scrypt ln whose memory fits `cap_kib`, or 0 when none does.
std::uint64_t max_scrypt_ln(std::uint64_t r, std::uint64_t p, std::uint64_t cap_kib) {
  std::uint64_t best = 0;
  for (std::uint32_t ln = 1; ln < 63; ++ln) {
    if (scrypt_memory_kib(ln, r, p) > cap_kib) {
      break;
    }
    best = ln;
  }
  return best;
}

// Returns the name of the smaller memory cap, for messages.
std::string memory_cap_name(const TuneGoal& goal, std::uint64_t limit, std::string_view key) {
  return goal.max_memory_kib < limit ? "--max-memory" : "limits." + std::string(key);
}

// Builds the first axis of `goal.algorithm`, from its floor.
Result<Axis> first_axis(const TuneGoal& goal, const ParamMap& floor) {
  const Limits& limits = goal.limits;
  Axis axis;
  if (is_argon2(goal.algorithm)) {
    axis = {"m", floor.at("m"), std::min(goal.max_memory_kib, limits.argon2_max_memory_kib), 1024,
            false, memory_cap_name(goal, limits.argon2_max_memory_kib, "argon2_max_memory_kib")};
  } else if (goal.algorithm == Algorithm::scrypt) {
    const std::uint64_t cap_kib = std::min(goal.max_memory_kib, limits.scrypt_max_memory_kib);
    axis = {"ln", floor.at("ln"), max_scrypt_ln(floor.at("r"), floor.at("p"), cap_kib), 1, true,
            memory_cap_name(goal, limits.scrypt_max_memory_kib, "scrypt_max_memory_kib")};
  } else if (goal.algorithm == Algorithm::bcrypt) {
    axis = {"cost", floor.at("cost"), limits.bcrypt_max_cost, 1, true, "limits.bcrypt_max_cost"};
  } else {
    axis = {"rounds", floor.at("rounds"), limits.pbkdf2_max_iterations, 1000, false,
            "limits.pbkdf2_max_iterations"};
  }

  if (axis.start > axis.cap) {
    return fail(ErrorCode::invalid_argument,
                "the OWASP minimum of " + std::string(algorithm_name(goal.algorithm)) + ", " +
                    axis.key + "=" + std::to_string(axis.start) + ", is above the largest " +
                    axis.key + "=" + std::to_string(axis.cap) + " that " + axis.cap_name +
                    " allows; raise " + axis.cap_name);
  }
  return axis;
}

}  // namespace

bool can_tune(Algorithm algorithm) { return can_hash(algorithm); }

ParamMap tune_floor(Algorithm algorithm) { return Policy::default_params().at(algorithm); }

Result<TuneResult> search_params(const TuneGoal& goal, Measurer& measurer) {
  if (!can_tune(goal.algorithm)) {
    return fail(ErrorCode::invalid_argument,
                "cannot tune " + std::string(algorithm_name(goal.algorithm)));
  }
  if (!(goal.target_ms > 0)) {
    return fail(ErrorCode::invalid_argument, "the target latency must be above 0 ms");
  }
  const ParamMap floor = tune_floor(goal.algorithm);
  auto axis = first_axis(goal, floor);
  if (!axis) {
    return tl::unexpected(axis.error());
  }

  TuneResult result;
  AxisSearch search(goal, measurer, result.probes);
  auto found = search.run(*axis, floor, std::nullopt);
  if (!found) {
    return tl::unexpected(found.error());
  }
  result.params = floor;
  result.params[axis->key] = found->value;
  std::string cap_name = axis->cap_name;

  // Argon2 spends memory first; only at the memory cap does it add passes.
  if (is_argon2(goal.algorithm) && found->outcome == TuneOutcome::capped) {
    const Axis passes{"t", floor.at("t"), goal.limits.argon2_max_time_cost, 1, false,
                      "limits.argon2_max_time_cost"};
    if (passes.start < passes.cap) {
      found = search.run(passes, result.params, found->median_ms);
      if (!found) {
        return tl::unexpected(found.error());
      }
      result.params["t"] = found->value;
      cap_name = passes.cap_name;
    }
  }
  result.median_ms = found->median_ms;
  result.outcome = found->outcome;
  if (result.outcome == TuneOutcome::capped) {
    result.cap = cap_name;
  }

  auto remeasured = measurer.median_ms(result.params, k_final_samples);
  if (!remeasured) {
    return tl::unexpected(remeasured.error());
  }
  result.remeasured_ms = *remeasured;
  return result;
}

double work_of(Algorithm algorithm, const ParamMap& params) {
  if (is_argon2(algorithm)) {
    return static_cast<double>(params.at("m")) * static_cast<double>(params.at("t"));
  }
  if (algorithm == Algorithm::scrypt) {
    return static_cast<double>(params.at("ln"));
  }
  if (algorithm == Algorithm::bcrypt) {
    return static_cast<double>(params.at("cost"));
  }
  return static_cast<double>(params.at("rounds"));
}

std::string work_label(Algorithm algorithm) {
  if (is_argon2(algorithm)) {
    return "m * t (KiB x passes)";
  }
  if (algorithm == Algorithm::scrypt) {
    return "ln (log2 N)";
  }
  return algorithm == Algorithm::bcrypt ? "cost (log2 rounds)" : "rounds";
}

}  // namespace pwsvc::cli

// The search of pwsvc tune: which cost parameters to measure and when to
// stop. Measuring is behind the Measurer interface, so tests can use a model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pwsvc/policy.hpp"
#include "pwsvc/result.hpp"

namespace pwsvc::cli {

// How far above the target a median latency may be: 10%.
constexpr double k_tune_tolerance = 0.10;

// Hashes per thread for each probe of the search, and for the final
// re-measurement of the choice.
constexpr int k_probe_samples = 3;
constexpr int k_final_samples = 5;

// Measures hashing latency for the search.
class Measurer {
 public:
  virtual ~Measurer() = default;

  // Hashes with `params` `samples` times (per thread, at the tune's
  // concurrency) and returns the median latency in milliseconds.
  virtual Result<double> median_ms(const ParamMap& params, int samples) = 0;
};

// TuneGoal: the target and caps of a search. The memory cap applies to Argon2 (m) and scrypt
// (scrypt_memory_kib()), and the search never leaves `limits`.
struct TuneGoal {
  Algorithm algorithm = Algorithm::argon2id;
  double target_ms = 0;
  std::uint64_t max_memory_kib = UINT64_MAX;
  Limits limits;
};

// One measurement made during the search.
struct Probe {
  ParamMap params;
  double median_ms = 0;
};

enum class TuneOutcome {
  within_target,       // the largest cost at most 10% above the target
  floor_above_target,  // even the OWASP floor is slower than target + 10%
  capped,              // a cap or limit stopped the search below the target
};

struct TuneResult {
  ParamMap params;
  double median_ms = 0;       // the choice's median during the search
  double remeasured_ms = 0;   // the choice's median from k_final_samples more hashes
  TuneOutcome outcome = TuneOutcome::within_target;
  std::string cap;            // for `capped`: the option or limit that stopped it
  std::vector<Probe> probes;  // every search measurement, in order
};

// Returns true for the algorithms that tune supports: those pwsvc can hash with.
bool can_tune(Algorithm algorithm);

// Returns the OWASP minimum parameters of `algorithm`, the policy defaults,
// below which the search never goes.
ParamMap tune_floor(Algorithm algorithm);

// Searches for the strongest parameters whose median latency is at most
// goal.target_ms + 10%: Argon2 raises m up to the memory cap and then t;
// scrypt raises ln, bcrypt cost and PBKDF2 rounds. Each axis grows by
// predicted steps until a probe exceeds the bound, then narrows the bracket
// to within 2% of the cost, and re-measures the choice. Fails with
// invalid_argument when the floor itself is above a cap or limit, and with
// the measurer's error.
Result<TuneResult> search_params(const TuneGoal& goal, Measurer& measurer);

// Returns one number that orders parameters by work, for plots: m * t for
// Argon2, ln for scrypt, cost for bcrypt, rounds for PBKDF2.
double work_of(Algorithm algorithm, const ParamMap& params);

// Returns the axis label that matches work_of().
std::string work_label(Algorithm algorithm);

}  // namespace pwsvc::cli

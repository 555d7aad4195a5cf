// KdfEstimate: how long the key derivation of a request will take, so that
// work which cannot finish before the invocation deadline is rejected up front.
#pragma once

#include <map>
#include <optional>

#include "http_types.hpp"
#include "pwsvc/engine.hpp"
#include "service.hpp"

namespace pwsvc::lambda {

// The key derivation a request needs: its algorithm and a work figure that
// grows linearly with run time within that algorithm.
struct KdfWork {
  Algorithm algorithm{};
  double units = 0;
};

// Returns the key derivations `request` needs, or nothing for routes without
// one and for bodies the service will reject before deriving a key.
std::optional<KdfWork> kdf_work(const daemon::Request& request, const daemon::ServiceState& state);

// Seconds per work unit for each algorithm: first measured with small
// parameters, then corrected by every finished request. Not thread-safe: the
// bootstrap uses it from its main loop only.
class KdfEstimate {
 public:
  // Records that `work` took `seconds`.
  void observe(const KdfWork& work, double seconds);

  // Returns the estimated run time of `work` in seconds. The first request of
  // an algorithm not yet seen times one small hash of it, about a millisecond,
  // which keeps that cost out of the start-up.
  double seconds(const KdfWork& work);

 private:
  void measure(Algorithm algorithm);

  std::map<Algorithm, double> seconds_per_unit_;
};

}  // namespace pwsvc::lambda

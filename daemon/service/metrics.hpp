// Metrics: request, key-derivation and rejection counters in Prometheus text format.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace pwsvc::daemon {

// Counters and histograms of the daemon. Labels come from fixed sets (route
// names, status codes, scheme names, rejection reasons), never from request
// data, so no secret or client value can reach the metrics page. Thread-safe.
class Metrics {
 public:
  void count_request(std::string_view route, unsigned status);
  void observe_kdf(std::string_view scheme, double seconds);
  void count_rejection(std::string_view reason);

  // Renders every metric; the gauges are read by the caller and passed in.
  std::string render(std::size_t in_flight, std::size_t queued, std::uint64_t reserved_bytes,
                     std::uint64_t budget_bytes) const;

 private:
  static constexpr std::array<double, 12> k_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  struct Histogram {
    std::array<std::uint64_t, k_buckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, Histogram> kdf_;
  std::map<std::string, std::uint64_t> rejections_;
};

}  // namespace pwsvc::daemon

// Metrics rendering in the Prometheus text exposition format, version 0.0.4.
#include "metrics.hpp"

#include <sstream>

namespace pwsvc::daemon {

void Metrics::count_request(std::string_view route, unsigned status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), status}];
}

void Metrics::observe_kdf(std::string_view scheme, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& histogram = kdf_[std::string(scheme)];
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      ++histogram.counts[i];
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::count_rejection(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++rejections_[std::string(reason)];
}

std::string Metrics::render(std::size_t in_flight, std::size_t queued,
                            std::uint64_t reserved_bytes, std::uint64_t budget_bytes) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;

  out << "# HELP pwsvc_requests_total HTTP requests by route and status code.\n"
      << "# TYPE pwsvc_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "pwsvc_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << count << "\n";
  }

  out << "# HELP pwsvc_kdf_seconds Time spent in key derivation, by scheme.\n"
      << "# TYPE pwsvc_kdf_seconds histogram\n";
  for (const auto& [scheme, histogram] : kdf_) {
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      out << "pwsvc_kdf_seconds_bucket{scheme=\"" << scheme << "\",le=\"" << k_buckets[i]
          << "\"} " << histogram.counts[i] << "\n";
    }
    out << "pwsvc_kdf_seconds_bucket{scheme=\"" << scheme << "\",le=\"+Inf\"} "
        << histogram.count << "\n"
        << "pwsvc_kdf_seconds_sum{scheme=\"" << scheme << "\"} " << histogram.sum << "\n"
        << "pwsvc_kdf_seconds_count{scheme=\"" << scheme << "\"} " << histogram.count << "\n";
  }

  out << "# HELP pwsvc_rejections_total Requests rejected before any work, by reason.\n"
      << "# TYPE pwsvc_rejections_total counter\n";
  for (const auto& [reason, count] : rejections_) {
    out << "pwsvc_rejections_total{reason=\"" << reason << "\"} " << count << "\n";
  }

  out << "# HELP pwsvc_kdf_in_flight Key derivations running now.\n"
      << "# TYPE pwsvc_kdf_in_flight gauge\n"
      << "pwsvc_kdf_in_flight " << in_flight << "\n"
      << "# HELP pwsvc_kdf_queued Key derivations waiting for a worker.\n"
      << "# TYPE pwsvc_kdf_queued gauge\n"
      << "pwsvc_kdf_queued " << queued << "\n"
      << "# HELP pwsvc_memory_reserved_bytes Memory reserved by running and queued work.\n"
      << "# TYPE pwsvc_memory_reserved_bytes gauge\n"
      << "pwsvc_memory_reserved_bytes " << reserved_bytes << "\n"
      << "# HELP pwsvc_memory_budget_bytes The configured memory budget.\n"
      << "# TYPE pwsvc_memory_budget_bytes gauge\n"
      << "pwsvc_memory_budget_bytes " << budget_bytes << "\n";
  return out.str();
}

}  // namespace pwsvc::daemon

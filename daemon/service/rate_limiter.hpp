// RateLimiter: token buckets per client and per verify subject.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config.hpp"

namespace pwsvc::daemon {

// Token buckets keyed by client id (API key name, peer uid or address) and by
// a hash of the verify `subject`, so the table never contains user names.
// Thread-safe. The tables are pruned when they grow past a fixed size.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes a request token for `client`. Returns 0 when allowed, else the
  // seconds until the next token.
  double take_request(std::string_view client, const RateLimitSettings& settings);

  // Returns 0 when `subject` may verify now, else the seconds to wait, because
  // its failed verifications used up its budget.
  double check_subject(std::string_view subject, const RateLimitSettings& settings);

  // Records a failed verification for `subject`.
  void record_failure(std::string_view subject, const RateLimitSettings& settings);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };

  static void refill(Bucket& bucket, double rate, double burst, Clock::time_point now);
  static void prune(std::unordered_map<std::string, Bucket>& buckets, double rate, double burst,
                    Clock::time_point now);
  static std::string subject_key(std::string_view subject);

  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> clients_;
  std::unordered_map<std::string, Bucket> subjects_;
};

}  // namespace pwsvc::daemon

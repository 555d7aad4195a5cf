// Token-bucket rate limiting; buckets start full and refill continuously.
#include "rate_limiter.hpp"

#include <algorithm>

#include <sodium.h>

namespace pwsvc::daemon {

namespace {

// Past this many tracked keys, full buckets are dropped: a full bucket
// behaves exactly like a missing one.
constexpr std::size_t k_max_tracked = 100000;

}  // namespace

void RateLimiter::refill(Bucket& bucket, double rate, double burst, Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate);
  bucket.updated = now;
}

void RateLimiter::prune(std::unordered_map<std::string, Bucket>& buckets, double rate,
                        double burst, Clock::time_point now) {
  if (buckets.size() < k_max_tracked) {
    return;
  }
  for (auto it = buckets.begin(); it != buckets.end();) {
    refill(it->second, rate, burst, now);
    it = it->second.tokens >= burst ? buckets.erase(it) : std::next(it);
  }
}

std::string RateLimiter::subject_key(std::string_view subject) {
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(subject.data()),
                     subject.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

double RateLimiter::take_request(std::string_view client, const RateLimitSettings& settings) {
  const double rate = settings.requests_per_second;
  const double burst = std::max(1.0, settings.burst);
  if (rate <= 0) {
    return 0;
  }

  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  prune(clients_, rate, burst, now);
  auto [entry, inserted] = clients_.try_emplace(std::string(client), Bucket{burst, now});
  Bucket& bucket = entry->second;
  refill(bucket, rate, burst, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  return (1 - bucket.tokens) / rate;
}

double RateLimiter::check_subject(std::string_view subject, const RateLimitSettings& settings) {
  const double per_minute = settings.failed_verifies_per_minute;
  if (per_minute <= 0 || subject.empty()) {
    return 0;
  }

  const double rate = per_minute / 60;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  const auto found = subjects_.find(subject_key(subject));
  if (found == subjects_.end()) {
    return 0;
  }
  refill(found->second, rate, per_minute, now);
  return found->second.tokens >= 1 ? 0 : (1 - found->second.tokens) / rate;
}

void RateLimiter::record_failure(std::string_view subject, const RateLimitSettings& settings) {
  const double per_minute = settings.failed_verifies_per_minute;
  if (per_minute <= 0 || subject.empty()) {
    return;
  }

  const double rate = per_minute / 60;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  prune(subjects_, rate, per_minute, now);
  auto [entry, inserted] = subjects_.try_emplace(subject_key(subject), Bucket{per_minute, now});
  refill(entry->second, rate, per_minute, now);
  entry->second.tokens = std::max(0.0, entry->second.tokens - 1);
}

}  // namespace pwsvc::daemon

// RequestLog: one JSON line per request and per lifecycle event, on stderr.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace spdlog {
class logger;
}

namespace pwsvc::daemon {

// Fields of one access-log line; no password, hash, body or header value.
struct AccessRecord {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;
  unsigned status = 0;
  std::int64_t latency_us = 0;
  std::string_view client;
  std::string_view scheme;  // empty for routes without key derivation
  // "reused", "mapped" or "unkept" when a libsodium Argon2 derivation ran
  // on a worker with a memory cache, else empty
  std::string_view argon2_memory;
};

// Writes JSON lines through spdlog. Thread-safe.
class RequestLog {
 public:
  explicit RequestLog(std::string_view level);

  void access(const AccessRecord& record);
  // Writes {"level", "event", ...fields}; `fields` must hold no secret.
  void event(std::string_view level, std::string_view event, boost::json::object fields = {});
  bool enabled(std::string_view level) const;
  void set_level(std::string_view level);

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace pwsvc::daemon

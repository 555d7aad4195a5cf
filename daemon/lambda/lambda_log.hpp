// LambdaLog: JSON log lines on stdout, which Lambda sends to CloudWatch Logs.
#pragma once

#include <mutex>
#include <string_view>

#include <boost/json.hpp>

#include "config.hpp"

namespace pwsvc::lambda {

// Writes one JSON object per line and flushes it, so a line is never lost
// when Lambda freezes the environment. Debian 12 ships spdlog and fmt as
// shared libraries only, so the static bootstrap formats lines itself.
// Thread-safe.
class LambdaLog {
 public:
  explicit LambdaLog(LogLevel level) : level_(level) {}

  void set_level(LogLevel level);
  bool enabled(LogLevel level) const;

  // Writes {"time", "level", "event", ...fields}; `fields` must hold no
  // password, hash, request body or header value.
  void write(LogLevel level, std::string_view event, boost::json::object fields = {});

 private:
  mutable std::mutex mutex_;
  LogLevel level_;
};

}  // namespace pwsvc::lambda

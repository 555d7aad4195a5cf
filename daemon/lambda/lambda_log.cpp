// LambdaLog: one flushed JSON line per event.
#include "lambda_log.hpp"

#include <chrono>
#include <cstdio>

namespace pwsvc::lambda {

namespace {

// Unix time in seconds with milliseconds, as pwsvcd writes it.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return std::to_string(millis / 1000) + "." + std::to_string(1000 + millis % 1000).substr(1);
}

}  // namespace

void LambdaLog::set_level(LogLevel level) {
  std::lock_guard lock(mutex_);
  level_ = level;
}

bool LambdaLog::enabled(LogLevel level) const {
  std::lock_guard lock(mutex_);
  return level_ != LogLevel::off && level >= level_;
}

void LambdaLog::write(LogLevel level, std::string_view event, boost::json::object fields) {
  if (!enabled(level)) {
    return;
  }
  boost::json::object line{
      {"time", timestamp()}, {"level", log_level_name(level)}, {"event", event}};
  for (auto& [key, value] : fields) {
    line[key] = std::move(value);
  }
  const std::string text = boost::json::serialize(line) + "\n";

  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace pwsvc::lambda

// JSON log lines through spdlog with a bare "%v" pattern.
#include "request_log.hpp"

#include <chrono>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace pwsvc::daemon {

namespace {

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return std::to_string(millis / 1000) + "." + std::to_string(1000 + millis % 1000).substr(1);
}

}  // namespace

RequestLog::RequestLog(std::string_view level)
    : logger_(std::make_shared<spdlog::logger>(
          "pwsvcd", std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
  logger_->set_pattern("%v");
  set_level(level);
  logger_->flush_on(spdlog::level::trace);
}

void RequestLog::set_level(std::string_view level) {
  logger_->set_level(spdlog::level::from_str(std::string(level)));
}

bool RequestLog::enabled(std::string_view level) const {
  return logger_->should_log(spdlog::level::from_str(std::string(level)));
}

void RequestLog::access(const AccessRecord& record) {
  if (!logger_->should_log(spdlog::level::info)) {
    return;
  }
  boost::json::object line{
      {"time", timestamp()},          {"level", "info"},
      {"event", "request"},           {"request_id", record.request_id},
      {"method", record.method},      {"route", record.route},
      {"status", record.status},      {"latency_us", record.latency_us},
      {"client", record.client},
  };
  if (!record.scheme.empty()) {
    line["scheme"] = record.scheme;
  }
  if (!record.argon2_memory.empty()) {
    line["argon2_memory"] = record.argon2_memory;
  }
  logger_->info(boost::json::serialize(line));
}

void RequestLog::event(std::string_view level, std::string_view event, boost::json::object fields) {
  const auto spd_level = spdlog::level::from_str(std::string(level));
  if (!logger_->should_log(spd_level)) {
    return;
  }
  boost::json::object line{{"time", timestamp()}, {"level", level}, {"event", event}};
  for (auto& [key, value] : fields) {
    line[key] = std::move(value);
  }
  logger_->log(spd_level, boost::json::serialize(line));
}

}  // namespace pwsvc::daemon

// State shared by every listener and session of one pwsvcd process.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "request_log.hpp"
#include "service.hpp"

namespace pwsvc::daemon {

// Lives as long as the server. Counters are atomics because sessions run on
// several I/O threads.
struct ServerContext {
  Service& service;
  Metrics& metrics;
  RequestLog& log;
  std::atomic<std::size_t> connections{0};
  // Requests read but not yet responded to. SIGTERM waits for this to reach zero.
  std::atomic<std::size_t> active_requests{0};
};

}  // namespace pwsvc::daemon

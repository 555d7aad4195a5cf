// Server: binds the configured listeners and runs the I/O threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "server_context.hpp"

namespace pwsvc::daemon {

// Owns the io_context, the listeners and the I/O threads. Not thread-safe:
// call listen() and run() from one thread; stop() is posted onto the context.
class Server {
 public:
  explicit Server(ServerContext& context);

  // Binds every address ("unix:PATH" or "HOST:PORT"); logs each bound
  // address, with the port the kernel chose for port 0.
  Result<void> listen(const std::vector<std::string>& addresses, std::uint32_t socket_mode);

  // Adopts already-bound listening sockets from systemd socket activation.
  Result<void> adopt(const std::vector<int>& descriptors);

  // Runs `threads` I/O threads until stop(); blocks.
  void run(std::size_t threads);

  // Stops accepting, waits up to `drain` for in-flight requests, then stops.
  void stop(std::chrono::milliseconds drain);

  boost::asio::io_context& io() { return io_; }

 private:
  Result<void> listen_unix(const std::string& path, std::uint32_t socket_mode);
  Result<void> listen_tcp(const std::string& host, const std::string& port);
  void wait_for_drain(std::chrono::steady_clock::time_point deadline);

  ServerContext& context_;
  boost::asio::io_context io_;
  std::vector<std::function<void()>> stoppers_;
  std::vector<std::string> unix_paths_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
};

}  // namespace pwsvc::daemon

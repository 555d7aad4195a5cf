// Server: binds the configured listeners and runs the I/O threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server_context.hpp"

namespace pwsvc::daemon {

// Owns the io_context, the listeners and the I/O threads. Not thread-safe:
// call listen() and run() from one thread; stop() is posted onto the context.
class Server {
 public:
  // Serves HTTPS on every TCP listener when `tls` is set, plain HTTP when it
  // is null. Unix sockets always serve plain HTTP.
  Server(ServerContext& context, std::shared_ptr<boost::asio::ssl::context> tls);

  // Binds every address ("unix:PATH" or "HOST:PORT"); logs each bound
  // address, with the port the kernel chose for port 0. Fails on a
  // non-loopback TCP address without TLS unless daemon.allow_plaintext is set.
  Result<void> listen(const std::vector<std::string>& addresses, std::uint32_t socket_mode);

  // Adopts already-bound listening sockets from systemd socket activation,
  // with the same TLS and non-loopback rules as listen().
  Result<void> adopt(const std::vector<int>& descriptors);

  // Runs `threads` I/O threads until stop(); blocks.
  void run(std::size_t threads);

  // Stops accepting, waits up to `drain` for in-flight requests, then stops.
  void stop(std::chrono::milliseconds drain);

  boost::asio::io_context& io() { return io_; }

 private:
  Result<void> listen_unix(const std::string& path, std::uint32_t socket_mode);
  Result<void> listen_tcp(const std::string& host, const std::string& port);
  Result<void> check_exposure(const boost::asio::ip::address& address) const;
  void start_tcp(boost::asio::ip::tcp::acceptor acceptor);
  void wait_for_drain(std::chrono::steady_clock::time_point deadline);

  ServerContext& context_;
  // Declared before io_ so that it outlives every session that io_ still owns.
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::io_context io_;
  std::vector<std::function<void()>> stoppers_;
  std::vector<std::string> unix_paths_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
};

}  // namespace pwsvc::daemon

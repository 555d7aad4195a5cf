// Server: binding listeners, Unix socket hygiene, I/O threads and draining.
#include "server.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sodium.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "listener.hpp"

namespace pwsvc::daemon {

std::string make_request_id(std::string_view offered) {
  const bool safe = !offered.empty() && offered.size() <= 64 &&
                    std::all_of(offered.begin(), offered.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                    });
  if (safe) {
    return std::string(offered);
  }
  unsigned char random[12];
  randombytes_buf(random, sizeof random);
  char hex[2 * sizeof random + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  return hex;
}

Client client_of(asio::ip::tcp::socket& socket) {
  Client client;
  client.transport = Client::Transport::tcp;
  beast::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  client.address = error ? "unknown" : endpoint.address().to_string();
  return client;
}

Client client_of(asio::local::stream_protocol::socket& socket) {
  Client client;
  client.transport = Client::Transport::unix_socket;
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0) {
    client.uid = credentials.uid;
    client.gid = credentials.gid;
  } else {
    // An unknown peer must not pass as root: use an id no allow-list holds.
    client.uid = static_cast<uid_t>(-1);
    client.gid = static_cast<gid_t>(-1);
  }
  return client;
}

Server::Server(ServerContext& context, std::shared_ptr<asio::ssl::context> tls)
    : context_(context), tls_(std::move(tls)) {}

namespace {

// Removes a socket file left by a daemon that is gone, and refuses to touch
// one that a running daemon still accepts connections on or a file that is no socket.
Result<void> clear_stale_socket(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return {};
  }
  if (!S_ISSOCK(info.st_mode)) {
    return fail(ErrorCode::invalid_argument,
                "'" + path + "' exists and is not a socket; choose another path or remove it");
  }

  asio::io_context io;
  asio::local::stream_protocol::socket probe(io);
  beast::error_code error;
  probe.connect(asio::local::stream_protocol::endpoint(path), error);
  if (!error) {
    return fail(ErrorCode::unavailable,
                "another process is listening on '" + path + "'; stop it or choose another path");
  }
  std::filesystem::remove(path, error);
  return {};
}

}  // namespace

Result<void> Server::listen_unix(const std::string& path, std::uint32_t socket_mode) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail(ErrorCode::invalid_argument, "the socket path '" + path + "' is too long");
  }
  if (auto cleared = clear_stale_socket(path); !cleared) {
    return cleared;
  }

  using Protocol = asio::local::stream_protocol;
  Protocol::acceptor acceptor(io_);
  beast::error_code error;
  acceptor.open(Protocol(), error);
  if (!error) acceptor.bind(Protocol::endpoint(path), error);
  if (!error && ::chmod(path.c_str(), static_cast<mode_t>(socket_mode)) != 0) {
    error = beast::error_code(errno, boost::system::system_category());
  }
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return fail(ErrorCode::unavailable,
                "cannot listen on unix:" + path + ": " + error.message());
  }

  auto listener = std::make_shared<Listener<Protocol>>(io_, std::move(acceptor), context_);
  listener->run();
  stoppers_.push_back([listener] { listener->stop(); });
  unix_paths_.push_back(path);
  context_.log.event("info", "listening", {{"address", "unix:" + path}});
  return {};
}

Result<void> Server::listen_tcp(const std::string& host, const std::string& port) {
  using Protocol = asio::ip::tcp;
  beast::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) {
    return fail(ErrorCode::invalid_argument,
                "'" + host + "' is not an IP address; use e.g. 127.0.0.1 or [::1]");
  }
  if (auto allowed = check_exposure(address); !allowed) {
    return allowed;
  }

  Protocol::acceptor acceptor(io_);
  const Protocol::endpoint endpoint(address, static_cast<unsigned short>(std::stoul(port)));
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return fail(ErrorCode::unavailable,
                "cannot listen on " + host + ":" + port + ": " + error.message());
  }

  const auto bound = acceptor.local_endpoint();
  start_tcp(std::move(acceptor));
  const std::string shown = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  context_.log.event("info", "listening",
                     {{"address", shown + ":" + std::to_string(bound.port())},
                      {"port", bound.port()},
                      {"tls", tls_ != nullptr}});
  return {};
}

// Rejects plain HTTP on an address that other hosts can reach, because
// requests carry passwords and API keys.
Result<void> Server::check_exposure(const asio::ip::address& address) const {
  const DaemonSettings& daemon = context_.service.state()->settings.daemon;
  if (tls_ || address.is_loopback() || daemon.allow_plaintext) {
    return {};
  }
  return fail(ErrorCode::invalid_argument,
              "listening on non-loopback address " + address.to_string() +
                  " without TLS would expose passwords on the network; set "
                  "daemon.tls_certificate and daemon.tls_private_key, or set "
                  "daemon.allow_plaintext = true only behind a TLS-terminating proxy");
}

void Server::start_tcp(asio::ip::tcp::acceptor acceptor) {
  auto listener =
      std::make_shared<Listener<asio::ip::tcp>>(io_, std::move(acceptor), context_, tls_);
  listener->run();
  stoppers_.push_back([listener] { listener->stop(); });
}

Result<void> Server::listen(const std::vector<std::string>& addresses, std::uint32_t socket_mode) {
  for (const std::string& address : addresses) {
    Result<void> result;
    if (address.starts_with("unix:")) {
      result = listen_unix(address.substr(5), socket_mode);
    } else {
      const std::size_t colon = address.rfind(':');
      std::string host = address.substr(0, colon);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      }
      result = listen_tcp(host, address.substr(colon + 1));
    }
    if (!result) {
      return result;
    }
  }
  return {};
}

Result<void> Server::adopt(const std::vector<int>& descriptors) {
  for (const int fd : descriptors) {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      return fail(ErrorCode::unavailable, "cannot inspect the socket passed by systemd");
    }
    beast::error_code error;
    if (address.ss_family == AF_UNIX) {
      using Protocol = asio::local::stream_protocol;
      Protocol::acceptor acceptor(io_);
      acceptor.assign(Protocol(), fd, error);
      auto listener = std::make_shared<Listener<Protocol>>(io_, std::move(acceptor), context_);
      listener->run();
      stoppers_.push_back([listener] { listener->stop(); });
    } else {
      using Protocol = asio::ip::tcp;
      Protocol::acceptor acceptor(io_);
      acceptor.assign(address.ss_family == AF_INET6 ? Protocol::v6() : Protocol::v4(), fd, error);
      Protocol::endpoint bound;
      if (!error) bound = acceptor.local_endpoint(error);
      if (!error) {
        if (auto allowed = check_exposure(bound.address()); !allowed) {
          return allowed;
        }
        start_tcp(std::move(acceptor));
      }
    }
    if (error) {
      return fail(ErrorCode::unavailable, "cannot use the socket passed by systemd: " +
                                              error.message());
    }
    context_.log.event("info", "listening", {{"address", "systemd socket " + std::to_string(fd)}});
  }
  return {};
}

void Server::run(std::size_t threads) {
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) {
    pool.emplace_back([this] { io_.run(); });
  }
  io_.run();
  for (auto& thread : pool) {
    thread.join();
  }
  for (const auto& path : unix_paths_) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

void Server::stop(std::chrono::milliseconds drain) {
  asio::post(io_, [this, drain] {
    for (auto& stop : stoppers_) {
      stop();
    }
    wait_for_drain(std::chrono::steady_clock::now() + drain);
  });
}

void Server::wait_for_drain(std::chrono::steady_clock::time_point deadline) {
  if (context_.active_requests.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
    io_.stop();
    return;
  }
  drain_timer_ = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(20));
  drain_timer_->async_wait([this, deadline](beast::error_code) { wait_for_drain(deadline); });
}

}  // namespace pwsvc::daemon

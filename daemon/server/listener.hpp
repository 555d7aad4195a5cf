// Listener: accepts connections on one TCP or Unix socket and starts sessions.
#pragma once

#include <memory>
#include <type_traits>

#include <sys/socket.h>

#include "session.hpp"

namespace pwsvc::daemon {

// Returns who is on the other end of `socket`.
Client client_of(asio::ip::tcp::socket& socket);
Client client_of(asio::local::stream_protocol::socket& socket);

// Starts a TLS session on each connection when `tls` is set, which only a
// TCP listener may have, and a plain HTTP session otherwise.
template <typename Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  Listener(asio::io_context& io, typename Protocol::acceptor acceptor, ServerContext& context,
           std::shared_ptr<asio::ssl::context> tls = nullptr)
      : io_(io),
        strand_(asio::make_strand(io)),
        acceptor_(std::move(acceptor)),
        context_(context),
        tls_(std::move(tls)) {}

  void run() { do_accept(); }

  // Closes the acceptor on the listener's strand, because the accept handler
  // uses it on an I/O thread and an acceptor is not safe to share.
  void stop() {
    asio::post(strand_, [self = this->shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(
        asio::make_strand(io_),
        asio::bind_executor(strand_, [self = this->shared_from_this()](
                                         beast::error_code error, typename Protocol::socket socket) {
          self->on_accept(error, std::move(socket));
        }));
  }

  void on_accept(beast::error_code error, typename Protocol::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!error) {
      start_session(std::move(socket));
    }
    do_accept();
  }

  void start_session(typename Protocol::socket socket) {
    const auto limit = context_.service.state()->settings.daemon.max_connections;
    if (context_.connections.load() >= limit) {
      // Closing at once is cheaper than a 503 and gives a client nothing to hold.
      context_.metrics.count_rejection("connections");
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    Client client = client_of(socket);
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
      if (tls_) {
        std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls_), context_,
                                             std::move(client))
            ->run();
        return;
      }
    }
    std::make_shared<Session<PlainStream<Protocol>>>(PlainStream<Protocol>(std::move(socket)),
                                                     context_, std::move(client))
        ->run();
  }

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  typename Protocol::acceptor acceptor_;
  ServerContext& context_;
  std::shared_ptr<asio::ssl::context> tls_;
};

}  // namespace pwsvc::daemon

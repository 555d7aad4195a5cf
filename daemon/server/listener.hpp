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
        retry_timer_(strand_),
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
      self->retry_timer_.cancel();
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
    if (error) {
      return retry_accept(error);
    }
    failing_ = false;
    start_session(std::move(socket));
    do_accept();
  }

  // Waits before the next accept, because an error such as EMFILE (out of
  // file descriptors) repeats at once while every connection stays open.
  void retry_accept(const beast::error_code& error) {
    if (!failing_) {
      failing_ = true;
      context_.log.event("warn", "accept_failed",
                         {{"error", error.message()},
                          {"retry_after_ms", k_accept_retry.count()}});
    }
    context_.metrics.count_rejection("accept_failed");
    retry_timer_.expires_after(k_accept_retry);
    retry_timer_.async_wait([self = this->shared_from_this()](beast::error_code wait_error) {
      if (!wait_error && self->acceptor_.is_open()) {
        self->do_accept();
      }
    });
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

  static constexpr std::chrono::milliseconds k_accept_retry{100};

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer retry_timer_;
  typename Protocol::acceptor acceptor_;
  ServerContext& context_;
  std::shared_ptr<asio::ssl::context> tls_;
  bool failing_ = false;  // the last accept failed; logged once until one succeeds
};

}  // namespace pwsvc::daemon

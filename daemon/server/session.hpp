// Session: one HTTP/1.1 connection, the same code for TCP, TLS over TCP and Unix sockets.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "server_context.hpp"
#include "pwsvc/wiping_allocator.hpp"

namespace pwsvc::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Returns a fresh random request id, or `offered` when it is a safe token of
// 1 to 64 letters, digits, '-' or '_'.
std::string make_request_id(std::string_view offered);

// The streams a Session runs over: a TCP or Unix socket as it is, or TLS over TCP.
template <typename Protocol>
using PlainStream = beast::basic_stream<Protocol, asio::any_io_executor>;
using TlsStream = beast::ssl_stream<PlainStream<asio::ip::tcp>>;

// Reports whether `error` leaves no connection to send a reply on: the peer
// closed it, a timeout closed it, or TLS failed.
inline bool is_connection_lost(const beast::error_code& error) {
  return error == http::error::end_of_stream || error == beast::error::timeout ||
         error == asio::error::operation_aborted || error == asio::error::connection_reset ||
         error == asio::ssl::error::stream_truncated ||
         error.category() == asio::error::get_ssl_category();
}

// Reads requests with a timeout and a size limit on every step, hands each to
// the Service and writes the response; keeps the connection open while the
// client asks for keep-alive. `Stream` is a PlainStream or the TlsStream. A
// TLS session runs the handshake first, under the header timeout.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool k_tls = std::is_same_v<Stream, TlsStream>;

  Session(Stream stream, ServerContext& context, Client client)
      : stream_(std::move(stream)), idle_timer_(stream_.get_executor()),
        context_(context), client_(std::move(client)) {
    ++context_.connections;
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { --context_.connections; }

  void run() {
    if constexpr (k_tls) {
      do_handshake();
    } else {
      do_read_header();
    }
  }

 private:
  // A peer that does not send its own close_notify within this time is cut
  // off, because the exchange only tells the client that the reply is complete.
  static constexpr std::chrono::seconds k_tls_shutdown_timeout{2};
  // The first read of an idle TLS connection; the header read takes the rest.
  static constexpr std::size_t k_idle_read_bytes = 1024;
  // Room in the read buffer beyond max_header_bytes for body data in transit.
  // Beast waits for a whole chunk line, and for all trailer fields, in the
  // buffer, so its size limit is what bounds them.
  static constexpr std::size_t k_read_slack_bytes = 64 * 1024;

  const DaemonSettings& settings() const { return state_->settings.daemon; }

  auto& lowest_layer() { return beast::get_lowest_layer(stream_); }

  void do_handshake() {
    state_ = context_.service.state();
    lowest_layer().expires_after(std::chrono::milliseconds(settings().header_timeout_ms));
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code error) {
                              self->on_handshake(error);
                            });
  }

  void on_handshake(beast::error_code error) {
    if (error) {
      // Scanners and plaintext clients fail here all the time, so this is a
      // counter and a debug line. OpenSSL's reason contains no key material.
      context_.metrics.count_rejection("tls_handshake");
      if (context_.log.enabled("debug")) {
        context_.log.event("debug", "tls_handshake_failed",
                           {{"client", client_.address}, {"error", error.message()}});
      }
      return close();
    }
    do_read_header();
  }

  void do_wait_idle() {
    // Between requests only the idle timeout applies; the header timeout
    // starts when the next request's first byte arrives.
    if (buffer_.size() > 0) {
      return do_read_header();
    }
    if constexpr (k_tls) {
      // Records already read from the socket may wait inside the TLS layer,
      // where a readiness wait on the socket cannot see them, so read the
      // first bytes of the next request under the idle timeout instead.
      lowest_layer().expires_after(std::chrono::milliseconds(settings().idle_timeout_ms));
      stream_.async_read_some(buffer_.prepare(k_idle_read_bytes),
                              [self = this->shared_from_this()](beast::error_code error,
                                                                std::size_t size) {
                                self->on_idle_read(error, size);
                              });
      return;
    }
    idle_timer_.expires_after(std::chrono::milliseconds(settings().idle_timeout_ms));
    idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code error) {
      if (!error) {
        self->close();
      }
    });
    lowest_layer().socket().async_wait(asio::socket_base::wait_read,
                                       [self = this->shared_from_this()](beast::error_code error) {
                                         self->idle_timer_.cancel();
                                         if (!error) {
                                           self->do_read_header();
                                         }
                                       });
  }

  void on_idle_read(beast::error_code error, std::size_t size) {
    buffer_.commit(size);
    if (error) {
      return close();
    }
    do_read_header();
  }

  void do_read_header() {
    state_ = context_.service.state();
    parser_.emplace();
    parser_->header_limit(settings().max_header_bytes);
    parser_->body_limit(settings().max_body_bytes);
    buffer_.max_size(settings().max_header_bytes + k_read_slack_bytes);
    lowest_layer().expires_after(std::chrono::milliseconds(settings().header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                              self->on_read_header(error);
                            });
  }

  void on_read_header(beast::error_code error) {
    started_ = std::chrono::steady_clock::now();
    method_.clear();
    route_ = "other";
    if (error == http::error::end_of_stream) {
      return do_shutdown();
    }
    if (is_connection_lost(error)) {
      return close();
    }
    request_id_ = make_request_id(header_value("X-Request-Id"));
    request_.request_id = request_id_;
    if (error == http::error::body_limit) {
      return reply_and_close(413, "payload_too_large", "the body exceeds daemon.max_body_bytes");
    }
    if (error == http::error::header_limit || error == http::error::buffer_overflow) {
      return reply_and_close(431, "header_too_large",
                             "the request headers exceed daemon.max_header_bytes");
    }
    if (error) {
      return reply_and_close(400, "bad_request", "the request is not valid HTTP/1.1");
    }

    const auto& header = parser_->get();
    method_ = std::string(header.method_string());
    route_ = route_label(header.target());
    const bool has_body_length =
        parser_->content_length().has_value() || parser_->chunked();
    if (header.method() == http::verb::post && !has_body_length) {
      return reply_and_close(411, "length_required", "send a Content-Length header");
    }
    if (parser_->content_length() && *parser_->content_length() > settings().max_body_bytes) {
      return reply_and_close(413, "payload_too_large",
                             "the body exceeds daemon.max_body_bytes");
    }
    do_read_body();
  }

  void do_read_body() {
    lowest_layer().expires_after(std::chrono::milliseconds(settings().body_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read_body(error);
                     });
  }

  void on_read_body(beast::error_code error) {
    if (error == http::error::body_limit) {
      return reply_and_close(413, "payload_too_large", "the body exceeds daemon.max_body_bytes");
    }
    if (error == http::error::buffer_overflow) {
      return reply_and_close(431, "header_too_large",
                             "a chunk line or the trailer fields exceed daemon.max_header_bytes");
    }
    if (is_connection_lost(error)) {
      return close();
    }
    if (error) {
      return reply_and_close(400, "bad_request", "the request body is not valid HTTP/1.1");
    }
    lowest_layer().expires_never();

    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    request_.content_type = std::string(message[http::field::content_type]);
    request_.authorization = std::string(message[http::field::authorization]);
    request_.body = std::move(message.body());
    request_.client = client_;
    if (buffer_.size() == 0) {
      // Frees, and so wipes, the storage that held the body.
      buffer_.shrink_to_fit();
    }
    ++context_.active_requests;

    auto self = this->shared_from_this();
    context_.service.handle(std::move(request_), [self](Response response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable {
                   self->do_write(std::move(response));
                 });
    });
  }

  std::string header_value(std::string_view name) const {
    return std::string(parser_->get()[name]);
  }

  // Sends an error reply to a request that never reaches the Service, so the
  // request is counted here.
  void reply_and_close(unsigned status, std::string_view code, std::string_view message) {
    keep_alive_ = false;
    context_.metrics.count_request(route_, status);
    ++context_.active_requests;
    do_write(error_response(status, code, message, request_id_));
  }

  void do_write(Response response) {
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(11);
    message->result(response.status);
    message->set(http::field::server, "pwsvcd");
    message->set(http::field::content_type, response.content_type);
    message->set("X-Request-Id", request_id_);
    message->set(http::field::cache_control, "no-store");
    if (response.retry_after) {
      message->set(http::field::retry_after, std::to_string(*response.retry_after));
    }
    if (!response.allow.empty()) {
      message->set(http::field::allow, response.allow);
    }
    if (!response.www_authenticate.empty()) {
      message->set(http::field::www_authenticate, response.www_authenticate);
    }
    message->keep_alive(keep_alive_);
    message->body() = std::move(response.body);
    message->prepare_payload();

    log_access(response);
    lowest_layer().expires_after(std::chrono::milliseconds(settings().body_timeout_ms));
    http::async_write(stream_, *message,
                      [self = this->shared_from_this(), message](beast::error_code error,
                                                                 std::size_t) {
                        self->on_write(error);
                      });
  }

  void on_write(beast::error_code error) {
    --context_.active_requests;
    request_ = Request{};
    if (error) {
      return close();
    }
    if (!keep_alive_) {
      return do_shutdown();
    }
    do_wait_idle();
  }

  void log_access(const Response& response) {
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    const std::string client = client_.transport == Client::Transport::unix_socket
                                   ? "uid:" + std::to_string(client_.uid)
                                   : "ip:" + client_.address;
    context_.log.access({request_id_, method_, route_, response.status,
                         std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                         client, response.scheme, response.argon2_memory});
  }

  // Ends a connection that is still sound. TLS sends close_notify first, so
  // the client can tell a complete reply from a cut one.
  void do_shutdown() {
    if constexpr (k_tls) {
      lowest_layer().expires_after(k_tls_shutdown_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        // The peer may close without its own close_notify, which is fine here.
        self->close();
      });
    } else {
      close();
    }
  }

  void close() {
    beast::error_code ignored;
    lowest_layer().socket().shutdown(asio::socket_base::shutdown_both, ignored);
    lowest_layer().socket().close(ignored);
  }

  Stream stream_;
  asio::steady_timer idle_timer_;
  beast::basic_flat_buffer<WipingAllocator<char>> buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerContext& context_;
  Client client_;
  std::shared_ptr<const ServiceState> state_;
  Request request_;
  std::string request_id_;
  std::string method_;
  std::string_view route_ = "other";
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace pwsvc::daemon

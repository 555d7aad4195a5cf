// Session: one HTTP/1.1 connection, the same code for TCP and Unix sockets.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server_context.hpp"
#include "wiping_allocator.hpp"

namespace pwsvc::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Returns a fresh random request id, or `offered` when it is a safe token of
// 1 to 64 letters, digits, '-' or '_'.
std::string make_request_id(std::string_view offered);

// Reads requests with a timeout and a size limit on every step, hands each to
// the Service and writes the response; keeps the connection open while the
// client asks for keep-alive.
template <typename Protocol>
class Session : public std::enable_shared_from_this<Session<Protocol>> {
 public:
  using Stream = beast::basic_stream<Protocol, asio::any_io_executor>;

  Session(typename Protocol::socket socket, ServerContext& context, Client client)
      : stream_(std::move(socket)), idle_timer_(stream_.get_executor()),
        context_(context), client_(std::move(client)) {
    ++context_.connections;
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { --context_.connections; }

  void run() { do_read_header(); }

 private:
  const DaemonSettings& settings() const { return state_->settings.daemon; }

  void do_wait_idle() {
    // Between requests only the idle timeout applies; the header timeout
    // starts when the next request's first byte arrives.
    if (buffer_.size() > 0) {
      return do_read_header();
    }
    idle_timer_.expires_after(std::chrono::milliseconds(settings().idle_timeout_ms));
    idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code error) {
      if (!error) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(Protocol::socket::shutdown_both, ignored);
        self->stream_.socket().close(ignored);
      }
    });
    stream_.socket().async_wait(Protocol::socket::wait_read,
                                [self = this->shared_from_this()](beast::error_code error) {
                                  self->idle_timer_.cancel();
                                  if (!error) {
                                    self->do_read_header();
                                  }
                                });
  }

  void do_read_header() {
    state_ = context_.service.state();
    parser_.emplace();
    parser_->header_limit(settings().max_header_bytes);
    parser_->body_limit(settings().max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(settings().header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                              self->on_read_header(error);
                            });
  }

  void on_read_header(beast::error_code error) {
    started_ = std::chrono::steady_clock::now();
    method_.clear();
    route_ = "other";
    if (error == http::error::end_of_stream || error == beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::connection_reset) {
      return close();
    }
    request_id_ = make_request_id(header_value("X-Request-Id"));
    request_.request_id = request_id_;
    if (error == http::error::body_limit) {
      return reply_and_close(413, "payload_too_large", "the body exceeds daemon.max_body_bytes");
    }
    if (error == http::error::header_limit) {
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
    stream_.expires_after(std::chrono::milliseconds(settings().body_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read_body(error);
                     });
  }

  void on_read_body(beast::error_code error) {
    if (error == http::error::body_limit) {
      return reply_and_close(413, "payload_too_large", "the body exceeds daemon.max_body_bytes");
    }
    if (error) {
      return close();
    }
    stream_.expires_never();

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

  void reply_and_close(unsigned status, std::string_view code, std::string_view message) {
    keep_alive_ = false;
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
    message->keep_alive(keep_alive_);
    message->body() = std::move(response.body);
    message->prepare_payload();

    log_access(response.status);
    stream_.expires_after(std::chrono::milliseconds(settings().body_timeout_ms));
    http::async_write(stream_, *message,
                      [self = this->shared_from_this(), message](beast::error_code error,
                                                                 std::size_t) {
                        self->on_write(error);
                      });
  }

  void on_write(beast::error_code error) {
    --context_.active_requests;
    request_ = Request{};
    if (error || !keep_alive_) {
      return close();
    }
    do_wait_idle();
  }

  void log_access(unsigned status) {
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    const std::string client = client_.transport == Client::Transport::unix_socket
                                   ? "uid:" + std::to_string(client_.uid)
                                   : "ip:" + client_.address;
    context_.log.access({request_id_, method_, route_, status,
                         std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                         client});
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
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

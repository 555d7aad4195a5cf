// RuntimeClient: the Lambda Runtime API (version 2018-06-01) over plain HTTP/1.1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <tl/expected.hpp>

namespace pwsvc::lambda {

// One event from GET /runtime/invocation/next and the headers that describe it.
struct Invocation {
  std::string request_id;         // Lambda-Runtime-Aws-Request-Id
  std::int64_t deadline_ms = 0;   // Lambda-Runtime-Deadline-Ms, Unix time in milliseconds
  std::string function_arn;       // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;           // Lambda-Runtime-Trace-Id, may be empty
  std::string event;              // the event JSON; may contain a password
  bool event_too_large = false;   // over k_max_event_bytes, so `event` is empty
};

// An error in the shape the Runtime API takes: {"errorMessage", "errorType"}.
struct FunctionError {
  std::string type;
  std::string message;
};

// Talks to the Runtime API endpoint named by AWS_LAMBDA_RUNTIME_API over one
// kept-alive connection, reconnecting when the endpoint closes it. Not
// thread-safe: the bootstrap calls it from its main loop only.
class RuntimeClient {
 public:
  // `endpoint` is "HOST:PORT", e.g. "127.0.0.1:9001".
  explicit RuntimeClient(std::string endpoint);

  // The largest event read. Lambda passes at most 6 MB to a synchronous
  // invocation, and this leaves room for a few KiB more.
  static constexpr std::uint64_t k_max_event_bytes = 6 * 1024 * 1024 + 4096;

  // Blocks until the next invocation arrives. There is no timeout, because
  // Lambda freezes the environment while this request waits.
  tl::expected<Invocation, std::string> next();

  // Sends `body` (JSON) as the result of invocation `request_id`.
  tl::expected<void, std::string> send_response(std::string_view request_id,
                                                std::string_view body);

  // Reports that invocation `request_id` failed.
  tl::expected<void, std::string> send_error(std::string_view request_id,
                                             const FunctionError& error);

  // Reports that the runtime could not start; the caller exits afterwards.
  tl::expected<void, std::string> send_init_error(const FunctionError& error);

 private:
  struct Reply {
    unsigned status = 0;
    std::string body;
    Invocation invocation;
    bool body_too_large = false;  // the body was over the limit and not read
  };

  template <typename Message>
  static Reply reply_of(const Message& response);
  void close();

  tl::expected<Reply, std::string> exchange(std::string_view method, const std::string& target,
                                            std::string_view body, std::string_view error_type);
  tl::expected<Reply, std::string> exchange_once(std::string_view method,
                                                 const std::string& target,
                                                 std::string_view body,
                                                 std::string_view error_type);
  tl::expected<void, std::string> connect();
  tl::expected<void, std::string> post(const std::string& target, std::string_view body,
                                       std::string_view error_type);

  std::string host_;
  std::string port_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  bool connected_ = false;
};

// Builds the error body the Runtime API documents for /error endpoints.
std::string error_body(const FunctionError& error);

}  // namespace pwsvc::lambda

// RuntimeClient: synchronous Boost.Beast requests to the Runtime API.
#include "runtime_client.hpp"

#include <charconv>
#include <cstdlib>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace pwsvc::lambda {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view k_api_prefix = "/2018-06-01/runtime";
template <typename Fields>
std::string header(const Fields& response, std::string_view name) {
  const auto found = response.find(boost::beast::string_view(name.data(), name.size()));
  return found == response.end() ? std::string() : std::string(found->value());
}

std::int64_t parse_deadline(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

std::string error_body(const FunctionError& error) {
  const boost::json::object body{{"errorMessage", error.message},
                                 {"errorType", error.type},
                                 {"stackTrace", boost::json::array()}};
  return boost::json::serialize(body);
}

RuntimeClient::RuntimeClient(std::string endpoint) : socket_(io_) {
  const auto colon = endpoint.rfind(':');
  host_ = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
  port_ = colon == std::string::npos ? "80" : endpoint.substr(colon + 1);
}

tl::expected<void, std::string> RuntimeClient::connect() {
  // Lambda names the endpoint by IP address. Parsing it directly keeps
  // getaddrinfo, which a static glibc binary can only partly use, for names.
  boost::system::error_code error;
  socket_ = boost::asio::ip::tcp::socket(io_);
  const auto address = boost::asio::ip::make_address(host_, error);
  const auto port = static_cast<unsigned short>(std::strtoul(port_.c_str(), nullptr, 10));
  if (!error) {
    socket_.connect({address, port}, error);
  } else {
    boost::asio::ip::tcp::resolver resolver(io_);
    const auto addresses = resolver.resolve(host_, port_, error);
    if (!error) {
      boost::asio::connect(socket_, addresses, error);
    }
  }
  if (!error) {
    // Beast writes the header and the body separately. Without TCP_NODELAY,
    // Nagle's algorithm delays the body until the delayed ACK, about 40 ms.
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), error);
  }
  if (error) {
    return tl::unexpected("cannot connect to the Runtime API at " + host_ + ":" + port_ + ": " +
                          error.message());
  }
  connected_ = true;
  return {};
}

tl::expected<RuntimeClient::Reply, std::string> RuntimeClient::exchange_once(
    std::string_view method, const std::string& target, std::string_view body,
    std::string_view error_type) {
  if (!connected_) {
    if (auto connected = connect(); !connected) {
      return tl::unexpected(connected.error());
    }
  }

  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, host_ + ":" + port_);
  request.set(http::field::user_agent, "pwsvc-bootstrap/" PWSVC_VERSION);
  if (!error_type.empty()) {
    request.set("Lambda-Runtime-Function-Error-Type", error_type);
  }
  if (method != "GET") {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
  }

  boost::system::error_code error;
  http::write(socket_, request, error);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_max_event_bytes);
  if (!error) {
    http::read(socket_, buffer, parser, error);
  }
  // The rest of an oversized body is never read, so the connection is closed,
  // but its headers name the invocation, which still gets an error reply.
  if (error == http::error::body_limit && parser.is_header_done()) {
    close();
    Reply reply = reply_of(parser.get());
    reply.body_too_large = true;
    return reply;
  }
  if (error) {
    const std::string reason = error.message();
    close();
    return tl::unexpected(std::string(method) + " " + target + " failed: " + reason);
  }

  auto response = parser.release();
  if (!response.keep_alive()) {
    close();
  }
  Reply reply = reply_of(response);
  reply.body = std::move(response.body());
  return reply;
}

template <typename Message>
RuntimeClient::Reply RuntimeClient::reply_of(const Message& response) {
  Reply reply;
  reply.status = response.result_int();
  reply.invocation.request_id = header(response, "Lambda-Runtime-Aws-Request-Id");
  reply.invocation.deadline_ms = parse_deadline(header(response, "Lambda-Runtime-Deadline-Ms"));
  reply.invocation.function_arn = header(response, "Lambda-Runtime-Invoked-Function-Arn");
  reply.invocation.trace_id = header(response, "Lambda-Runtime-Trace-Id");
  return reply;
}

void RuntimeClient::close() {
  connected_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// Retries once on a fresh connection, because a kept-alive connection that
// the endpoint closed in between only shows up as a failed write or read.
tl::expected<RuntimeClient::Reply, std::string> RuntimeClient::exchange(
    std::string_view method, const std::string& target, std::string_view body,
    std::string_view error_type) {
  const bool reused = connected_;
  auto reply = exchange_once(method, target, body, error_type);
  if (!reply && reused) {
    reply = exchange_once(method, target, body, error_type);
  }
  return reply;
}

tl::expected<Invocation, std::string> RuntimeClient::next() {
  const std::string target = std::string(k_api_prefix) + "/invocation/next";
  auto reply = exchange("GET", target, {}, {});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if (reply->status != 200) {
    return tl::unexpected("GET " + target + " returned HTTP " + std::to_string(reply->status));
  }
  if (reply->invocation.request_id.empty()) {
    return tl::unexpected("GET " + target + " returned no Lambda-Runtime-Aws-Request-Id header");
  }
  reply->invocation.event = std::move(reply->body);
  reply->invocation.event_too_large = reply->body_too_large;
  return std::move(reply->invocation);
}

tl::expected<void, std::string> RuntimeClient::post(const std::string& target,
                                                    std::string_view body,
                                                    std::string_view error_type) {
  auto reply = exchange("POST", target, body, error_type);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  // The Runtime API returns 202 Accepted. 400 and 413 mean a bad request or
  // an oversized response, and 500 a runtime that must exit.
  if (reply->status != 202) {
    return tl::unexpected("POST " + target + " returned HTTP " + std::to_string(reply->status) +
                          ": " + reply->body.substr(0, 200));
  }
  return {};
}

tl::expected<void, std::string> RuntimeClient::send_response(std::string_view request_id,
                                                             std::string_view body) {
  return post(std::string(k_api_prefix) + "/invocation/" + std::string(request_id) + "/response",
              body, {});
}

tl::expected<void, std::string> RuntimeClient::send_error(std::string_view request_id,
                                                          const FunctionError& error) {
  return post(std::string(k_api_prefix) + "/invocation/" + std::string(request_id) + "/error",
              error_body(error), error.type);
}

tl::expected<void, std::string> RuntimeClient::send_init_error(const FunctionError& error) {
  return post(std::string(k_api_prefix) + "/init/error", error_body(error), error.type);
}

}  // namespace pwsvc::lambda

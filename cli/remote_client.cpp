// RemoteClient: Beast HTTP/1.1 over Unix sockets, TCP and TLS, with timeouts.
#include "remote_client.hpp"

#include <charconv>
#include <cstdint>

#include <sys/un.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace pwsvc::cli {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

using Clock = std::chrono::steady_clock;
using RequestBody = http::basic_string_body<char, std::char_traits<char>, WipingAllocator<char>>;
using RequestFields = http::basic_fields<WipingAllocator<char>>;
using Request = http::request<RequestBody, RequestFields>;

// pwsvcd's responses are small JSON objects, so this limit only stops a
// misbehaving peer.
constexpr std::uint64_t k_max_reply_bytes = 1 << 20;
// How long to wait for the daemon's TLS close_notify before closing anyway.
constexpr std::chrono::seconds k_tls_shutdown_timeout{1};

Error invalid_address(std::string_view text, std::string_view problem) {
  // An address with '@' may carry a user's credentials, so it is not repeated.
  const std::string quoted = text.find('@') == std::string_view::npos
                                 ? " '" + std::string(text) + "'"
                                 : std::string();
  return Error{ErrorCode::invalid_argument,
               "invalid --remote address" + quoted + ": " + std::string(problem) +
                   "; use unix:PATH, http://HOST:PORT or https://HOST:PORT"};
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  const char* end = port.data() + port.size();
  const auto [rest, error] = std::from_chars(port.data(), end, value);
  return !port.empty() && error == std::errc() && rest == end && value >= 1 && value <= 65535;
}

// Splits "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" into `address`.
Result<void> split_host_port(std::string_view authority, std::string_view text,
                             RemoteAddress& address) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return tl::unexpected(invalid_address(text, "the IPv6 address has no closing ']'"));
    }
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return tl::unexpected(invalid_address(text, "expected ':PORT' after ']'"));
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    if (authority.find(':', colon + 1) != std::string_view::npos) {
      return tl::unexpected(invalid_address(text, "write an IPv6 address in brackets"));
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) {
      return tl::unexpected(invalid_address(text, "the port is empty"));
    }
  }

  if (host.empty()) {
    return tl::unexpected(invalid_address(text, "the host is empty"));
  }
  if (!port.empty() && !valid_port(port)) {
    return tl::unexpected(invalid_address(text, "the port must be a number from 1 to 65535"));
  }
  address.host = std::string(host);
  if (!port.empty()) {
    address.port = std::string(port);
  }
  return {};
}

// Runs `io` until the one operation that `start` begins has completed, and
// returns its error. Beast's stream timeouts apply only to asynchronous
// operations, so each step of this blocking client is an asynchronous
// operation run to its end.
template <typename Start>
beast::error_code run_step(asio::io_context& io, Start start) {
  beast::error_code result;
  start([&result](beast::error_code error, auto&&...) { result = error; });
  io.restart();
  io.run();
  return result;
}

Error connect_failure(const RemoteAddress& address, beast::error_code error) {
  if (error == beast::error::timeout) {
    return Error{ErrorCode::unavailable, "connecting to pwsvcd at " + address.text +
                                             " timed out after " +
                                             std::to_string(k_connect_timeout.count()) + " s"};
  }
  return Error{ErrorCode::unavailable, "cannot connect to pwsvcd at " + address.text + ": " +
                                           error.message() +
                                           "; check that pwsvcd is running and listens there"};
}

Error transfer_failure(const RemoteAddress& address, beast::error_code error) {
  if (error == beast::error::timeout) {
    return Error{ErrorCode::unavailable, "pwsvcd at " + address.text + " did not respond within " +
                                             std::to_string(k_request_timeout.count()) + " s"};
  }
  return Error{ErrorCode::unavailable,
               "the request to pwsvcd at " + address.text + " failed: " + error.message()};
}

Error handshake_failure(const RemoteAddress& address, SSL* connection, beast::error_code error) {
  if (error == beast::error::timeout) {
    return connect_failure(address, error);
  }
  const long verified = SSL_get_verify_result(connection);
  if (verified != X509_V_OK) {
    return Error{ErrorCode::unavailable,
                 "the TLS certificate of pwsvcd at " + address.text + " does not verify: " +
                     X509_verify_cert_error_string(verified) +
                     "; for a private CA or a self-signed certificate, give it with "
                     "--remote-ca FILE"};
  }
  return Error{ErrorCode::unavailable,
               "the TLS handshake with pwsvcd at " + address.text + " failed: " + error.message()};
}

// Loads the trusted certificates. With `ca_file`, only those in the file
// are trusted, and a certificate there is a trust anchor even when it is
// not a CA, so a self-signed or pinned server certificate verifies.
Result<void> configure_tls(ssl::context& context, const std::string& ca_file) {
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_verify_mode(ssl::verify_peer);
  beast::error_code error;
  if (ca_file.empty()) {
    context.set_default_verify_paths(error);
    if (error) {
      return fail(ErrorCode::internal, "cannot load the system's CA certificates: " +
                                           error.message());
    }
    return {};
  }

  context.load_verify_file(ca_file, error);
  if (error) {
    return fail(ErrorCode::invalid_argument,
                "cannot load the --remote-ca file '" + ca_file + "': " + error.message() +
                    "; it must hold PEM certificates");
  }
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context.native_handle()),
                              X509_V_FLAG_PARTIAL_CHAIN);
  return {};
}

// Makes the handshake check that the certificate names `host`, as an IP
// address or a DNS name, and sends the name as SNI.
Result<void> expect_peer_name(SSL* connection, const std::string& host) {
  beast::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  int set = 0;
  if (!not_an_address) {
    set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), host.c_str());
  } else {
    set = SSL_set1_host(connection, host.c_str()) == 1 &&
          SSL_set_tlsext_host_name(connection, host.c_str()) == 1;
  }
  if (set != 1) {
    return fail(ErrorCode::invalid_argument,
                "cannot check TLS certificates for the host '" + host + "'");
  }
  return {};
}

Result<asio::ip::tcp::resolver::results_type> resolve(asio::io_context& io,
                                                      const RemoteAddress& address) {
  asio::ip::tcp::resolver resolver(io);
  beast::error_code error;
  // NOTE: name resolution blocks in getaddrinfo(), so the system resolver's
  // own timeouts bound it, not k_connect_timeout.
  auto results = resolver.resolve(address.host, address.port,
                                  asio::ip::resolver_base::numeric_service, error);
  if (error) {
    return fail(ErrorCode::unavailable,
                "cannot resolve the host of " + address.text + ": " + error.message());
  }
  return results;
}

// Writes `request`, wipes its body and reads the response, all before
// `deadline`.
template <typename Stream>
Result<HttpReply> exchange(asio::io_context& io, Stream& stream, Request& request,
                           Clock::time_point deadline, const RemoteAddress& address) {
  beast::get_lowest_layer(stream).expires_at(deadline);
  beast::error_code error =
      run_step(io, [&](auto handler) { http::async_write(stream, request, handler); });
  wipe(request.body());
  if (error) {
    return tl::unexpected(transfer_failure(address, error));
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_max_reply_bytes);
  error = run_step(io, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  if (error) {
    return tl::unexpected(transfer_failure(address, error));
  }

  auto& response = parser.get();
  return HttpReply{response.result_int(), std::move(response.body()),
                   std::string(response[http::field::retry_after])};
}

Result<HttpReply> send_unix(asio::io_context& io, Request& request, Clock::time_point deadline,
                            const RemoteAddress& address) {
  beast::basic_stream<asio::local::stream_protocol> stream(io);
  stream.expires_after(k_connect_timeout);
  const asio::local::stream_protocol::endpoint endpoint(address.path);
  const beast::error_code error =
      run_step(io, [&](auto handler) { stream.async_connect(endpoint, handler); });
  if (error) {
    return tl::unexpected(connect_failure(address, error));
  }
  return exchange(io, stream, request, deadline, address);
}

Result<HttpReply> send_tcp(asio::io_context& io, Request& request, Clock::time_point deadline,
                           const RemoteAddress& address) {
  auto endpoints = resolve(io, address);
  if (!endpoints) {
    return tl::unexpected(endpoints.error());
  }
  beast::tcp_stream stream(io);
  stream.expires_after(k_connect_timeout);
  const beast::error_code error =
      run_step(io, [&](auto handler) { stream.async_connect(*endpoints, handler); });
  if (error) {
    return tl::unexpected(connect_failure(address, error));
  }
  return exchange(io, stream, request, deadline, address);
}

Result<HttpReply> send_tls(asio::io_context& io, Request& request, Clock::time_point deadline,
                           const RemoteAddress& address, const std::string& ca_file) {
  ssl::context context(ssl::context::tls_client);
  if (auto configured = configure_tls(context, ca_file); !configured) {
    return tl::unexpected(configured.error());
  }
  auto endpoints = resolve(io, address);
  if (!endpoints) {
    return tl::unexpected(endpoints.error());
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  if (auto named = expect_peer_name(stream.native_handle(), address.host); !named) {
    return tl::unexpected(named.error());
  }

  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(k_connect_timeout);
  beast::error_code error =
      run_step(io, [&](auto handler) { tcp.async_connect(*endpoints, handler); });
  if (error) {
    return tl::unexpected(connect_failure(address, error));
  }
  // The connect timeout also covers the handshake.
  error = run_step(io, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, handler);
  });
  if (error) {
    return tl::unexpected(handshake_failure(address, stream.native_handle(), error));
  }

  auto reply = exchange(io, stream, request, deadline, address);
  // Sends close_notify but waits only briefly for the daemon's, because the
  // response is already complete and an error here changes nothing.
  tcp.expires_after(k_tls_shutdown_timeout);
  run_step(io, [&](auto handler) { stream.async_shutdown(handler); });
  return reply;
}

}  // namespace

Result<RemoteAddress> parse_remote_address(std::string_view text) {
  RemoteAddress address;
  address.text = std::string(text);
  if (text.starts_with("unix:")) {
    address.scheme = RemoteAddress::Scheme::unix_socket;
    address.path = std::string(text.substr(5));
    if (address.path.empty()) {
      return tl::unexpected(invalid_address(text, "the socket path is empty"));
    }
    if (address.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return tl::unexpected(invalid_address(
          text, "the socket path is longer than " +
                    std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes"));
    }
    return address;
  }

  std::string_view authority;
  if (text.starts_with("http://")) {
    address.scheme = RemoteAddress::Scheme::http;
    address.port = "80";
    authority = text.substr(7);
  } else if (text.starts_with("https://")) {
    address.scheme = RemoteAddress::Scheme::https;
    address.port = "443";
    authority = text.substr(8);
  } else {
    return tl::unexpected(invalid_address(text, "unknown scheme"));
  }
  if (authority.ends_with('/')) {
    authority.remove_suffix(1);
  }
  if (authority.find_first_of("/?#@") != std::string_view::npos) {
    return tl::unexpected(invalid_address(text, "a user, path or query is not allowed"));
  }
  if (auto split = split_host_port(authority, text, address); !split) {
    return tl::unexpected(split.error());
  }
  return address;
}

RemoteClient::RemoteClient(RemoteAddress address, std::optional<WipedString> api_key,
                           std::string ca_file)
    : address_(std::move(address)), api_key_(std::move(api_key)), ca_file_(std::move(ca_file)) {}

Result<HttpReply> RemoteClient::post(std::string_view target, WipedString& body) const {
  Request request;
  request.method(http::verb::post);
  request.target(target);
  request.version(11);
  if (address_.scheme == RemoteAddress::Scheme::unix_socket) {
    request.set(http::field::host, "localhost");
  } else {
    const bool v6 = address_.host.find(':') != std::string::npos;
    request.set(http::field::host, (v6 ? "[" + address_.host + "]" : address_.host) + ":" +
                                       address_.port);
  }
  request.set(http::field::user_agent, std::string("pwsvc/") + PWSVC_VERSION);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/json");
  if (api_key_ && address_.scheme != RemoteAddress::Scheme::unix_socket) {
    WipedString authorization = "Bearer ";
    authorization += *api_key_;
    request.set(http::field::authorization, std::string_view(authorization));
    wipe(authorization);
  }
  request.keep_alive(false);
  request.body() = std::move(body);
  wipe(body);
  request.prepare_payload();

  asio::io_context io;
  const Clock::time_point deadline = Clock::now() + k_request_timeout;
  Result<HttpReply> reply;
  switch (address_.scheme) {
    case RemoteAddress::Scheme::unix_socket:
      reply = send_unix(io, request, deadline, address_);
      break;
    case RemoteAddress::Scheme::http:
      reply = send_tcp(io, request, deadline, address_);
      break;
    case RemoteAddress::Scheme::https:
      reply = send_tls(io, request, deadline, address_, ca_file_);
      break;
  }
  // exchange() wipes the body after a write, and this also covers a failed
  // connect.
  wipe(request.body());
  return reply;
}

}  // namespace pwsvc::cli

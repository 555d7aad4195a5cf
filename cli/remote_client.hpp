// RemoteClient: one HTTP/1.1 request to pwsvcd over a Unix socket, TCP or TLS.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "pwsvc/result.hpp"
#include "pwsvc/wiping_allocator.hpp"

namespace pwsvc::cli {

// How long the client waits for the connection (including the TLS
// handshake), and for the whole request from its start to the last byte of
// the response.
inline constexpr std::chrono::seconds k_connect_timeout{10};
inline constexpr std::chrono::seconds k_request_timeout{30};

// A --remote address taken apart.
struct RemoteAddress {
  enum class Scheme { unix_socket, http, https };

  Scheme scheme = Scheme::unix_socket;
  std::string text;  // as given, for messages
  std::string path;  // unix_socket only
  std::string host;  // http and https: a name or an IP address, without brackets
  std::string port;
};

// Parses "unix:PATH", "http://HOST[:PORT]" or "https://HOST[:PORT]"; the
// port defaults to 80 and 443. Fails with invalid_argument.
Result<RemoteAddress> parse_remote_address(std::string_view text);

// A response as received: status, body and the Retry-After header.
struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // empty when the header is absent
};

// Sends requests to one pwsvcd, each on a new connection.
class RemoteClient {
 public:
  // `api_key` goes in an Authorization header on http and https. It is not
  // sent on a Unix socket, where the daemon checks the peer's uid instead.
  // A non-empty `ca_file` replaces the system's CAs for https.
  RemoteClient(RemoteAddress address, std::optional<WipedString> api_key, std::string ca_file);

  // POSTs `body` as JSON to `target` and returns the response, whatever its
  // status. Wipes `body`, which may hold a password, once it is sent or the
  // request failed. Fails with unavailable when the daemon cannot be reached,
  // does not respond in time or has a TLS certificate that does not verify,
  // and with invalid_argument when the --remote-ca file cannot be loaded.
  Result<HttpReply> post(std::string_view target, WipedString& body) const;

  const RemoteAddress& address() const { return address_; }
  bool has_api_key() const { return api_key_.has_value(); }

 private:
  RemoteAddress address_;
  std::optional<WipedString> api_key_;
  std::string ca_file_;
};

}  // namespace pwsvc::cli

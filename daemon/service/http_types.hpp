// Transport-neutral request and response types shared by pwsvcd and the Lambda bootstrap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace pwsvc::daemon {

// The sender of a request, as the transport established it.
struct Client {
  enum class Transport { unix_socket, tcp, lambda };

  Transport transport = Transport::tcp;
  uid_t uid = 0;        // Unix socket peer, from SO_PEERCRED
  gid_t gid = 0;
  std::string address;  // TCP peer address without the port
};

// One HTTP request. On the KDF routes `body` contains a password, which the
// service wipes once it is parsed.
struct Request {
  std::string method;
  std::string target;
  std::string content_type;
  std::optional<std::uint64_t> content_length;
  std::string authorization;
  std::string body;
  std::string request_id;
  Client client;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::optional<unsigned> retry_after;  // seconds, for 429 and 503
  std::string allow;                    // for 405
  std::string www_authenticate;         // for 401
  std::string scheme;                   // for the access log only, never sent
  // The source of the derivation's Argon2 memory ("reused", "mapped" or
  // "unkept"), empty when none ran through a cache; for logs only.
  std::string_view argon2_memory;
};

}  // namespace pwsvc::daemon

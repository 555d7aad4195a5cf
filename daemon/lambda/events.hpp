// Event adapters: API Gateway and function URL events, and direct invocations,
// to and from the service's transport-neutral requests and responses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "config.hpp"
#include "http_types.hpp"
#include "runtime_client.hpp"

namespace pwsvc::lambda {

enum class EventKind {
  rest_v1,  // API Gateway REST API, or HTTP API with payload format 1.0
  http_v2,  // HTTP API with payload format 2.0, and function URLs
  direct,   // {"action": "hash" | "verify" | "identify", ...} from Invoke
};

std::string_view event_kind_name(EventKind kind);

// A decoded event: the request for the service, or a response the adapter
// gives itself (a body over the size limit or with broken base64).
struct AdaptedEvent {
  EventKind kind = EventKind::direct;
  daemon::Request request;
  std::optional<daemon::Response> early_response;
};

// Decodes `event`, which may contain a password, and wipes it. Fails with an
// `invalid_event` error for text that is not JSON or none of the event kinds.
tl::expected<AdaptedEvent, FunctionError> adapt_event(std::string& event,
                                                      std::string_view aws_request_id,
                                                      const DaemonSettings& daemon);

// The bootstrap's reply to one invocation: a response body or an invocation error.
struct Reply {
  std::optional<FunctionError> error;
  std::string body;
};

// Wraps `response` for the event kind: the proxy integration response for
// HTTP events, with pwsvcd's X-Request-Id (here `request_id`) and
// Cache-Control headers, and for direct invocations the JSON body on success
// or an error named by the response's error code.
Reply make_reply(EventKind kind, const daemon::Response& response, std::string_view request_id);

}  // namespace pwsvc::lambda

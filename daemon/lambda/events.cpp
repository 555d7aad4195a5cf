// Event adapters: payload formats 1.0 and 2.0 and direct invocations.
#include "events.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/json.hpp>
#include <sodium.h>

#include "json_body.hpp"
#include "service.hpp"

namespace pwsvc::lambda {

namespace json = boost::json;

namespace {

struct Action {
  std::string_view name;
  std::string_view target;
};

constexpr std::array k_actions{
    Action{"hash", "/v1/hash"},
    Action{"verify", "/v1/verify"},
    Action{"identify", "/v1/identify"},
    Action{"check-password", "/v1/check-password"},
};

FunctionError invalid_event(std::string message) {
  return {"invalid_event", std::move(message)};
}

std::string_view string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

const json::object* object_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Header names keep the client's case in payload 1.0 and are lowercase in 2.0.
std::string header(const json::object& event, std::string_view name) {
  const json::object* headers = object_at(event, "headers");
  if (headers == nullptr) {
    return {};
  }
  for (const auto& [key, value] : *headers) {
    if (equal_ignoring_case(key, name) && value.is_string()) {
      return std::string(value.get_string());
    }
  }
  return {};
}

// Returns the decoded body, or nothing when it is not valid base64.
std::optional<std::string> decode_base64(std::string_view text) {
  std::string decoded(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    sodium_memzero(decoded.data(), decoded.size());
    return std::nullopt;
  }
  decoded.resize(length);
  return decoded;
}

// HTTP API stages other than $default prefix rawPath with "/STAGE".
std::string path_without_stage(std::string_view raw_path, const json::object& context) {
  const std::string_view stage = string_at(context, "stage");
  const bool prefixed = !stage.empty() && stage != "$default" &&
                        raw_path.size() > stage.size() + 1 && raw_path[0] == '/' &&
                        raw_path.substr(1, stage.size()) == stage &&
                        raw_path[stage.size() + 1] == '/';
  if (prefixed) {
    raw_path.remove_prefix(stage.size() + 1);
  }
  return std::string(raw_path);
}

void fill_http_request(const json::object& event, EventKind kind, daemon::Request& request) {
  const json::object empty;
  const json::object* found = object_at(event, "requestContext");
  const json::object& context = found != nullptr ? *found : empty;
  if (kind == EventKind::http_v2) {
    const json::object* http = object_at(context, "http");
    request.method = http != nullptr ? std::string(string_at(*http, "method")) : "";
    request.target = path_without_stage(string_at(event, "rawPath"), context);
    request.client.address = http != nullptr ? std::string(string_at(*http, "sourceIp")) : "";
  } else {
    request.method = string_at(event, "httpMethod");
    request.target = string_at(event, "path");
    const json::object* identity = object_at(context, "identity");
    request.client.address = identity != nullptr ? std::string(string_at(*identity, "sourceIp")) : "";
  }
  request.content_type = header(event, "content-type");
  request.authorization = header(event, "authorization");
}

// Sets the body of an HTTP event, or an early response when it is unusable.
void fill_http_body(const json::object& event, const DaemonSettings& daemon,
                    AdaptedEvent& adapted) {
  const std::string_view body = string_at(event, "body");
  const json::value* encoded = event.if_contains("isBase64Encoded");
  const bool is_base64 = encoded != nullptr && encoded->is_bool() && encoded->get_bool();
  const std::string& id = adapted.request.request_id;
  if (!is_base64) {
    adapted.request.body = body;
  } else if (auto decoded = decode_base64(body)) {
    adapted.request.body = std::move(*decoded);
  } else {
    adapted.early_response = daemon::error_response(
        400, "invalid_argument", "the event body is marked isBase64Encoded but is not valid base64",
        id);
    return;
  }

  adapted.request.content_length = adapted.request.body.size();
  if (adapted.request.body.size() > daemon.max_body_bytes) {
    sodium_memzero(adapted.request.body.data(), adapted.request.body.size());
    adapted.request.body.clear();
    adapted.early_response = daemon::error_response(
        413, "payload_too_large", "the body exceeds daemon.max_body_bytes", id);
  }
}

tl::expected<AdaptedEvent, FunctionError> adapt_direct(json::object& event,
                                                       AdaptedEvent adapted) {
  const json::value& action = event.at("action");
  const auto found = std::find_if(k_actions.begin(), k_actions.end(), [&](const Action& known) {
    return action.is_string() && action.get_string() == known.name;
  });
  if (found == k_actions.end()) {
    return tl::unexpected(invalid_event(
        "field 'action' must be \"hash\", \"verify\", \"identify\" or \"check-password\""));
  }

  // The service's body parsers accept only their own fields.
  event.erase("action");
  adapted.request.method = "POST";
  adapted.request.target = found->target;
  adapted.request.content_type = "application/json";
  adapted.request.body = json::serialize(event);
  adapted.request.content_length = adapted.request.body.size();
  return adapted;
}

std::optional<EventKind> kind_of(const json::object& event) {
  if (event.contains("action")) {
    return EventKind::direct;
  }
  if (!event.contains("requestContext")) {
    return std::nullopt;
  }
  if (string_at(event, "version") == "2.0") {
    return EventKind::http_v2;
  }
  if (event.contains("httpMethod")) {
    return EventKind::rest_v1;
  }
  return std::nullopt;
}

}  // namespace

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::rest_v1: return "apigateway-1.0";
    case EventKind::http_v2: return "apigateway-2.0";
    case EventKind::direct: return "direct";
  }
  return "direct";
}

tl::expected<AdaptedEvent, FunctionError> adapt_event(std::string& event,
                                                      std::string_view aws_request_id,
                                                      const DaemonSettings& daemon) {
  // The parsed strings may hold the password, so their memory is wiped on free.
  boost::system::error_code error;
  json::value parsed =
      json::parse(event, error, json::make_shared_resource<daemon::WipingResource>());
  sodium_memzero(event.data(), event.size());
  event.clear();
  if (error || !parsed.is_object()) {
    return tl::unexpected(invalid_event("the event is not a JSON object"));
  }

  json::object& object = parsed.get_object();
  const auto kind = kind_of(object);
  if (!kind) {
    return tl::unexpected(invalid_event(
        "the event is neither an API Gateway or function URL request nor a direct invocation "
        "with an 'action' field"));
  }

  AdaptedEvent adapted;
  adapted.kind = *kind;
  adapted.request.request_id = aws_request_id;
  adapted.request.client.transport = daemon::Client::Transport::lambda;
  if (*kind == EventKind::direct) {
    return adapt_direct(object, std::move(adapted));
  }
  fill_http_request(object, *kind, adapted.request);
  fill_http_body(object, daemon, adapted);
  return adapted;
}

namespace {

Reply http_reply(const daemon::Response& response, std::string_view request_id) {
  json::object headers{{"content-type", response.content_type},
                       {"cache-control", "no-store"},
                       {"x-request-id", request_id}};
  if (response.retry_after) {
    headers["retry-after"] = std::to_string(*response.retry_after);
  }
  if (!response.allow.empty()) {
    headers["allow"] = response.allow;
  }
  const json::object proxy{{"statusCode", response.status},
                           {"headers", std::move(headers)},
                           {"body", response.body},
                           {"isBase64Encoded", false}};
  return {std::nullopt, json::serialize(proxy)};
}

// Takes the code and message from the service's {"error": {...}} body.
FunctionError direct_error(const daemon::Response& response) {
  FunctionError error{"internal", "internal error; the request id is in the function log"};
  boost::system::error_code ignored;
  const json::value body = json::parse(response.body, ignored);
  const json::object* top = body.if_object();
  const json::object* inner = top != nullptr ? object_at(*top, "error") : nullptr;
  if (inner != nullptr) {
    error.type = string_at(*inner, "code");
    error.message = string_at(*inner, "message");
  }
  return error;
}

}  // namespace

Reply make_reply(EventKind kind, const daemon::Response& response, std::string_view request_id) {
  if (kind != EventKind::direct) {
    return http_reply(response, request_id);
  }
  if (response.status != 200) {
    return {direct_error(response), {}};
  }
  return {std::nullopt, response.body};
}

}  // namespace pwsvc::lambda

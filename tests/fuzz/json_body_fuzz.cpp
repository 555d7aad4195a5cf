// Fuzzes the strict JSON decoders of the daemon's hash, verify and identify
// request bodies, and checks that an error message never repeats a password.
#include <algorithm>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "json_body.hpp"

using pwsvc::fuzz::check;

namespace {

// Returns the "password" string of `body` when the message check can use it:
// long enough and unlike any fixed message text, and not also a key, because
// the decoder may echo a short printable key in its message.
std::optional<std::string> distinctive_password(std::string_view body) {
  boost::json::error_code error;
  const boost::json::value value = boost::json::parse(body, error);
  if (error || !value.is_object()) {
    return std::nullopt;
  }
  const boost::json::object& object = value.get_object();
  const boost::json::value* password = object.if_contains("password");
  if (password == nullptr || !password->is_string() || password->get_string().size() < 8) {
    return std::nullopt;
  }
  const std::string text(password->get_string());
  const bool unusual = std::any_of(text.begin(), text.end(), [](char c) {
    return std::string_view("#%&*+<>@^|~").find(c) != std::string_view::npos;
  });
  for (const auto& [key, unused] : object) {
    if (std::string_view(key).find(text) != std::string_view::npos) {
      return std::nullopt;
    }
  }
  return unusual ? std::optional<std::string>(text) : std::nullopt;
}

template <typename T>
void check_error(const pwsvc::Result<T>& parsed, const std::optional<std::string>& password) {
  if (parsed) {
    return;
  }
  check(parsed.error().code == pwsvc::ErrorCode::invalid_argument,
        "a body decoder fails with a code other than invalid_argument");
  check(!parsed.error().message.empty(), "a body decoder fails without a message");
  if (password) {
    check(parsed.error().message.find(*password) == std::string::npos,
          "an error message repeats the password");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = pwsvc::fuzz::as_text(data, size);
  const auto password = distinctive_password(body);

  const auto hash = pwsvc::daemon::parse_hash_body(body);
  check_error(hash, password);

  const auto verify = pwsvc::daemon::parse_verify_body(body);
  check_error(verify, password);
  if (verify) {
    check(verify->subject.size() <= 256, "a verify body has a subject over 256 bytes");
  }

  const auto identify = pwsvc::daemon::parse_identify_body(body);
  check_error(identify, password);
  return 0;
}

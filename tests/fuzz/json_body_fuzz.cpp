// Fuzzes the strict JSON decoders of the daemon's hash, verify and identify
// request bodies, and checks that an error message never repeats a password.
#include <algorithm>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "json_body.hpp"

using pwsvc::fuzz::check;

namespace {

// A password that the message check can use, and the keys of its body.
struct Probe {
  std::string password;
  std::vector<std::string> keys;
};

// Returns the "password" string of `body` and the body's keys when the
// password is long enough and unlike any fixed message text.
std::optional<Probe> distinctive_password(std::string_view body) {
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

  Probe probe{std::string(password->get_string()), {}};
  const bool unusual = std::any_of(probe.password.begin(), probe.password.end(), [](char c) {
    return std::string_view("#%&*+<>@^|~").find(c) != std::string_view::npos;
  });
  if (!unusual) {
    return std::nullopt;
  }
  for (const auto& [key, unused] : object) {
    probe.keys.emplace_back(key);
  }
  return probe;
}

// Removes every quoted key from `message`, longest first, because the decoder
// echoes a short printable key, which may itself quote a shorter key.
std::string without_keys(std::string message, std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end(), [](const std::string& left, const std::string& right) {
    return left.size() > right.size();
  });
  for (const std::string& key : keys) {
    const std::string quoted = "'" + key + "'";
    for (auto at = message.find(quoted); at != std::string::npos; at = message.find(quoted, at)) {
      message.erase(at, quoted.size());
    }
  }
  return message;
}

template <typename T>
void check_error(const pwsvc::Result<T>& parsed, const std::optional<Probe>& probe) {
  if (parsed) {
    return;
  }
  check(parsed.error().code == pwsvc::ErrorCode::invalid_argument,
        "a body decoder fails with a code other than invalid_argument");
  check(!parsed.error().message.empty(), "a body decoder fails without a message");
  if (probe) {
    const std::string message = without_keys(parsed.error().message, probe->keys);
    check(message.find(probe->password) == std::string::npos,
          "an error message repeats the password");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = pwsvc::fuzz::as_text(data, size);
  const auto probe = distinctive_password(body);

  const auto hash = pwsvc::daemon::parse_hash_body(body);
  check_error(hash, probe);

  const auto verify = pwsvc::daemon::parse_verify_body(body);
  check_error(verify, probe);
  if (verify) {
    check(verify->subject.size() <= 256, "a verify body has a subject over 256 bytes");
  }

  const auto identify = pwsvc::daemon::parse_identify_body(body);
  check_error(identify, probe);
  return 0;
}

// The remote runner: the operations as requests to pwsvcd, and its statuses as exit codes.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "remote_client.hpp"
#include "request_body.hpp"
#include "runner.hpp"

namespace pwsvc::cli {

namespace {

// The largest request body pwsvcd accepts, the highest value that
// daemon.max_body_bytes may take. The daemon applies its own
// limits.max_password_bytes to the password it receives.
constexpr std::size_t k_max_remote_password_bytes = 16 * 1024 * 1024;
constexpr std::size_t k_max_api_key_bytes = 4096;

// The "error" object of a pwsvcd error response. Its fields are empty when
// the body is not one.
struct DaemonError {
  std::string code;
  std::string message;
  std::string request_id;
};

// Returns `text` with control characters replaced by '?', so that a message
// from the daemon cannot drive the terminal.
std::string printable(std::string_view text) {
  std::string shown(text);
  std::replace_if(
      shown.begin(), shown.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return shown;
}

DaemonError daemon_error(const std::string& body) {
  boost::json::error_code error;
  const boost::json::value parsed = boost::json::parse(body, error);
  const boost::json::object* root = error ? nullptr : parsed.if_object();
  const boost::json::value* inner = root != nullptr ? root->if_contains("error") : nullptr;
  const boost::json::object* object = inner != nullptr ? inner->if_object() : nullptr;
  if (object == nullptr) {
    return {};
  }
  DaemonError found;
  if (const auto* message = object->if_contains("message"); message && message->is_string()) {
    found.message = printable(message->get_string());
  }
  if (const auto* code = object->if_contains("code"); code && code->is_string()) {
    found.code = printable(code->get_string());
  }
  if (const auto* id = object->if_contains("request_id"); id && id->is_string()) {
    found.request_id = printable(id->get_string());
  }
  return found;
}

// Returns the error code of a password rule named by pwsvcd.
ErrorCode rule_code(std::string_view name) {
  for (ErrorCode code : k_password_rules) {
    if (error_code_name(code) == name) {
      return code;
    }
  }
  // An unknown code from a newer pwsvcd maps to weak, so the exit status
  // still reports a rejected password.
  return ErrorCode::weak;
}

bool is_count(const boost::json::value* value) {
  return value != nullptr && (value->is_uint64() || (value->is_int64() && value->get_int64() >= 0));
}

bool is_string(const boost::json::value* value) { return value != nullptr && value->is_string(); }

bool is_bool(const boost::json::value* value) { return value != nullptr && value->is_bool(); }

bool is_string_array(const boost::json::value* value) {
  if (value == nullptr || !value->is_array()) {
    return false;
  }
  const auto& array = value->get_array();
  return std::all_of(array.begin(), array.end(),
                     [](const boost::json::value& item) { return item.is_string(); });
}

// Checks the shape that the shared printers of verify_command.cpp rely on.
bool is_verify_result(const boost::json::object& object) {
  if (!is_bool(object.if_contains("match")) || !is_bool(object.if_contains("needs_rehash")) ||
      !is_string(object.if_contains("scheme"))) {
    return false;
  }
  if (object.at("needs_rehash").get_bool()) {
    const auto* reasons = object.if_contains("rehash_reasons");
    if (!is_string_array(reasons) || reasons->get_array().empty()) {
      return false;
    }
  }
  return !object.contains("new_hash") || is_string(object.if_contains("new_hash"));
}

// Checks the shape that the printer of check_password_command.cpp relies on.
bool is_password_report(const boost::json::object& object) {
  const auto* rules = object.if_contains("rules");
  if (!is_bool(object.if_contains("acceptable")) || !is_bool(object.if_contains("enforced")) ||
      !is_count(object.if_contains("length")) || !is_bool(object.if_contains("normalized")) ||
      rules == nullptr || !rules->is_array()) {
    return false;
  }
  for (const auto& rule : rules->get_array()) {
    const auto* fields = rule.if_object();
    if (fields == nullptr || !is_string(fields->if_contains("rule")) ||
        !is_bool(fields->if_contains("passed")) || !is_string(fields->if_contains("detail"))) {
      return false;
    }
  }
  if (!object.contains("strength")) {
    return true;
  }
  return is_count(object.if_contains("strength")) && is_count(object.if_contains("entropy_bits")) &&
         is_string_array(object.if_contains("feedback"));
}

// Checks the shape that the shared printers of identify_command.cpp rely on.
bool is_identification(const boost::json::object& object) {
  if (!is_string(object.if_contains("scheme")) || !is_string(object.if_contains("verdict")) ||
      !is_bool(object.if_contains("needs_rehash")) ||
      !is_string_array(object.if_contains("reasons"))) {
    return false;
  }
  if (!object.contains("format")) {
    return true;
  }
  const auto* parameters = object.if_contains("parameters");
  if (!is_string(object.if_contains("format")) || parameters == nullptr ||
      !parameters->is_object() || !is_count(object.if_contains("salt_bytes")) ||
      !is_count(object.if_contains("digest_bytes"))) {
    return false;
  }
  const auto& values = parameters->get_object();
  return std::all_of(values.begin(), values.end(), [](const auto& member) {
    return member.value().is_string() || is_count(&member.value());
  });
}

class RemoteRunner final : public Runner {
 public:
  RemoteRunner(RemoteClient client, std::string key_path)
      : client_(std::move(client)), key_path_(std::move(key_path)) {}

  std::size_t max_password_bytes() const override { return k_max_remote_password_bytes; }

  Result<std::string> hash(ByteView password, const HashRequest& request) const override {
    auto body = hash_body(password, request);
    if (!body) {
      return tl::unexpected(body.error());
    }
    auto reply = call("/v1/hash", *body);
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    const auto* hashed = reply->if_contains("hash");
    if (!is_string(hashed)) {
      return tl::unexpected(unexpected_reply());
    }
    return std::string(hashed->get_string());
  }

  // pwsvcd rejects a hash that can never verify before any key derivation,
  // and the verify request reports it with the same message as a local run.
  // The password is read first, though, also at a terminal prompt.
  Result<void> check_verifiable(std::string_view /*stored*/) const override { return {}; }

  // NOTE: when a rehash is due but the new hash cannot be made (a policy
  // that cannot take this password), pwsvcd fails the request, where a local
  // run reports the match and warns.
  Result<boost::json::object> verify(ByteView password, std::string_view stored,
                                     Rehash rehash) const override {
    auto body = verify_body(password, stored, rehash);
    if (!body) {
      return tl::unexpected(body.error());
    }
    auto reply = call("/v1/verify", *body);
    if (reply && !is_verify_result(*reply)) {
      return tl::unexpected(unexpected_reply());
    }
    return reply;
  }

  Result<boost::json::object> check_password(
      ByteView password, const std::vector<std::string>& context) const override {
    auto body = check_password_body(password, context);
    if (!body) {
      return tl::unexpected(body.error());
    }
    auto reply = call("/v1/check-password", *body);
    if (reply && !is_password_report(*reply)) {
      return tl::unexpected(unexpected_reply());
    }
    return reply;
  }

  Result<boost::json::object> identify(std::string_view stored) const override {
    auto body = identify_body(stored);
    if (!body) {
      return tl::unexpected(body.error());
    }
    auto reply = call("/v1/identify", *body);
    if (reply && !is_identification(*reply)) {
      return tl::unexpected(unexpected_reply());
    }
    return reply;
  }

 private:
  // POSTs `body` and returns the JSON object of a 200 response. Any other
  // status becomes an error whose code gives the exit status.
  Result<boost::json::object> call(std::string_view target, WipedString& body) const {
    auto reply = client_.post(target, body);
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    if (reply->status != 200) {
      return tl::unexpected(status_error(*reply));
    }
    boost::json::error_code error;
    boost::json::value parsed = boost::json::parse(reply->body, error);
    if (error || !parsed.is_object()) {
      return tl::unexpected(unexpected_reply());
    }
    return std::move(parsed.get_object());
  }

  Error status_error(const HttpReply& reply) const {
    const DaemonError daemon = daemon_error(reply.body);
    const std::string where = "pwsvcd at " + client_.address().text;
    const std::string status = "HTTP " + std::to_string(reply.status);
    const std::string message = daemon.message.empty() ? "" : ": " + daemon.message;
    const std::string request_id =
        daemon.request_id.empty() ? "" : " (request id " + daemon.request_id + ")";
    switch (reply.status) {
      case 400:
        // The core's own message, exactly as a local run prints it.
        return {ErrorCode::invalid_argument, daemon.message.empty() ? status : daemon.message};
      case 401:
        return {ErrorCode::invalid_argument, unauthorized_message(where)};
      case 422:
        // A rejected password: the rule's code gives the exit status, and the
        // message is the core's own, as a local run prints it.
        return {rule_code(daemon.code), daemon.message.empty() ? status : daemon.message};
      case 403:
        return {ErrorCode::invalid_argument, where + " denied access (" + status + ")" + message};
      case 413:
        return {ErrorCode::invalid_argument,
                where + " rejected the request as too large (" + status + ")" + message +
                    "; the password or the stored hash is too long"};
      case 429:
      case 503: {
        const bool seconds = !reply.retry_after.empty() &&
                             std::all_of(reply.retry_after.begin(), reply.retry_after.end(),
                                         [](char c) { return c >= '0' && c <= '9'; });
        const std::string wait =
            seconds ? " (Retry-After: " + reply.retry_after + " s)" : " (no Retry-After)";
        return {ErrorCode::unavailable, where + " is busy (" + status + ")" + message + wait};
      }
      case 500:
        return {ErrorCode::internal, where + " failed (" + status + ")" + message + request_id};
      default:
        return {ErrorCode::internal,
                where + " responded with " + status + message + request_id +
                    "; check that the address is a pwsvcd of the same version as pwsvc"};
    }
  }

  std::string unauthorized_message(const std::string& where) const {
    if (client_.has_api_key()) {
      return where + " rejected the API key in '" + key_path_ +
             "' (HTTP 401); check that its sha256 hash, as 'pwsvc api-key' prints it, is in a "
             "[[daemon.api_keys]] table of the daemon's config";
    }
    return where + " requires an API key on TCP (HTTP 401); give a key file with "
                   "--api-key-file FILE or $PWSVC_API_KEY_FILE, and make a key with "
                   "'pwsvc api-key'";
  }

  Error unexpected_reply() const {
    return {ErrorCode::internal, "pwsvcd at " + client_.address().text +
                                     " sent a response that is not the JSON pwsvc expects; "
                                     "check that the address is a pwsvcd of the same version"};
  }

  RemoteClient client_;
  std::string key_path_;
};

// Reads the API key: the file's one line without its line break. The key
// must be visible ASCII, because it goes into an HTTP header.
Result<WipedString> read_api_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument, "cannot open the API key file '" + path +
                                                 "': " + std::strerror(errno));
  }
  WipedString key(k_max_api_key_bytes + 3, '\0');
  std::size_t size = 0;
  while (size < key.size()) {
    const ssize_t got = ::read(fd, key.data() + size, key.size() - size);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      const int read_error = errno;
      ::close(fd);
      wipe(key);
      return fail(ErrorCode::invalid_argument, "cannot read the API key file '" + path +
                                                   "': " + std::strerror(read_error));
    }
    if (got == 0) {
      break;
    }
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (size == key.size()) {
    wipe(key);
    return fail(ErrorCode::invalid_argument, "the API key file '" + path + "' is longer than " +
                                                 std::to_string(k_max_api_key_bytes) + " bytes");
  }
  key.resize(size);

  if (key.ends_with('\n')) {
    key.pop_back();
    if (key.ends_with('\r')) {
      key.pop_back();
    }
  }
  const bool visible =
      std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (key.empty() || !visible) {
    wipe(key);
    return fail(ErrorCode::invalid_argument,
                "the API key file '" + path + "' must hold the key on one line, without spaces "
                "or control characters");
  }
  return key;
}

}  // namespace

RunnerChoice make_remote_runner(const GlobalOptions& options, const std::string& text) {
  const auto usage_error = [](const std::string& message) {
    return RunnerChoice{nullptr, print_error(message, k_exit_usage)};
  };
  if (!options.config_path.empty()) {
    return usage_error("--config applies only to local runs, and pwsvcd uses its own config; "
                       "remove --config, or run locally without --remote and with "
                       "$PWSVC_REMOTE unset");
  }
  auto address = parse_remote_address(text);
  if (!address) {
    return usage_error(address.error().message);
  }
  if (!options.remote_ca.empty() && address->scheme != RemoteAddress::Scheme::https) {
    return usage_error("--remote-ca applies only to https:// addresses");
  }

  std::string key_path = options.api_key_file;
  if (key_path.empty()) {
    if (const char* from_env = std::getenv("PWSVC_API_KEY_FILE"); from_env != nullptr) {
      key_path = from_env;
    }
  }
  std::optional<WipedString> key;
  if (!key_path.empty() && address->scheme != RemoteAddress::Scheme::unix_socket) {
    auto read = read_api_key(key_path);
    if (!read) {
      return usage_error(read.error().message);
    }
    key = std::move(*read);
  }

  RemoteClient client(std::move(*address), std::move(key), options.remote_ca);
  return {std::make_unique<RemoteRunner>(std::move(client), std::move(key_path)), k_exit_ok,
          true};
}

}  // namespace pwsvc::cli

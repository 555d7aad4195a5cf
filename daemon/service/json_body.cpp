// Request body parsing; the JSON tree lives in wiped memory and is freed at once.
#include "json_body.hpp"

#include <algorithm>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include <sodium.h>

namespace pwsvc::daemon {

// Boost.JSON 1.81 frees some object keys with a larger alignment than it
// allocated them with (1 at allocation, 16 at release when a parse fails),
// and operator delete needs the alignment that operator new got. So every
// alignment up to the default one takes the plain operator new and delete.
constexpr std::size_t k_default_alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

void* WipingResource::do_allocate(std::size_t bytes, std::size_t align) {
  if (align <= k_default_alignment) {
    return ::operator new(bytes);
  }
  return ::operator new(bytes, std::align_val_t(align));
}

void WipingResource::do_deallocate(void* pointer, std::size_t bytes, std::size_t align) {
  sodium_memzero(pointer, bytes);
  // The unsized forms, because clang 14 declares the sized ones only with
  // -fsized-deallocation.
  if (align <= k_default_alignment) {
    ::operator delete(pointer);
    return;
  }
  ::operator delete(pointer, std::align_val_t(align));
}

bool WipingResource::do_is_equal(const memory_resource& other) const noexcept {
  return this == &other;
}

namespace {

// A basic_parser handler that only looks for a member name repeated within
// one object. Boost.JSON 1.81 keeps one of the values silently, while a proxy
// in front may read the other, so a body with a repeated name is rejected.
class RepeatedKeyFinder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  bool repeated() const { return repeated_; }

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) {
    objects_.pop_back();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) {
    return true;
  }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_key_part(boost::json::string_view part, std::size_t, boost::json::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(boost::json::string_view part, std::size_t, boost::json::error_code& error) {
    key_.append(part.data(), part.size());
    auto& keys = objects_.back();
    repeated_ = std::find(keys.begin(), keys.end(), key_) != keys.end();
    keys.push_back(std::move(key_));
    key_.clear();
    if (repeated_) {
      error = boost::json::error::syntax;
    }
    return !repeated_;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) {
    return true;
  }
  bool on_double(double, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_bool(bool, boost::json::error_code&) { return true; }
  bool on_null(boost::json::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  std::vector<std::vector<std::string>> objects_;
  std::string key_;
  bool repeated_ = false;
};

// Returns true when some object in `body` names a member twice. Bodies that
// are not valid JSON return false and fail in the real parse.
bool has_repeated_key(std::string_view body) {
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::json::basic_parser<RepeatedKeyFinder> parser(options);
  boost::json::error_code error;
  parser.write_some(false, body.data(), body.size(), error);
  return parser.handler().repeated();
}

Result<boost::json::value> parse_object(std::string_view body, boost::json::storage_ptr storage) {
  if (has_repeated_key(body)) {
    return fail(ErrorCode::invalid_argument,
                "the request body names a field twice; send each field once");
  }
  boost::json::error_code error;
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::json::value value = boost::json::parse(body, error, std::move(storage), options);
  if (error) {
    return fail(ErrorCode::invalid_argument, "the request body is not valid JSON");
  }
  if (!value.is_object()) {
    return fail(ErrorCode::invalid_argument, "the request body must be a JSON object");
  }
  return value;
}

Result<void> reject_unknown(const boost::json::object& object,
                            std::initializer_list<std::string_view> known) {
  for (const auto& [key, unused] : object) {
    bool found = false;
    for (std::string_view name : known) {
      found = found || key == name;
    }
    if (!found) {
      std::string list;
      for (std::string_view name : known) {
        list += list.empty() ? "" : ", ";
        list += name;
      }
      // The key is echoed only when it is short and printable.
      const bool printable = key.size() <= 32 && std::all_of(key.begin(), key.end(), [](char c) {
                               return c >= 0x21 && c < 0x7f;
                             });
      return fail(ErrorCode::invalid_argument,
                  "unknown field" + (printable ? " '" + std::string(key) + "'" : std::string()) +
                      "; expected: " + list);
    }
  }
  return {};
}

Result<std::string_view> string_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return fail(ErrorCode::invalid_argument, "field '" + std::string(key) + "' must be a string");
  }
  return std::string_view(value->get_string());
}

// Reads "password" (UTF-8 text) or "password_b64" (any bytes), exactly one.
Result<SecretBytes> password_field(const boost::json::object& object) {
  const bool text = object.contains("password");
  const bool encoded = object.contains("password_b64");
  if (text == encoded) {
    return fail(ErrorCode::invalid_argument,
                "send exactly one of 'password' (a string) and 'password_b64' (base64 of the "
                "password's bytes, for passwords that a JSON string cannot carry)");
  }
  auto field = string_field(object, text ? "password" : "password_b64");
  if (!field) {
    return tl::unexpected(field.error());
  }
  if (text) {
    return SecretBytes::copy_of(*field);
  }

  // An empty string is the empty password. It is returned here because an
  // empty SecretBytes has no buffer, and libsodium's output must not be null.
  if (field->empty()) {
    return SecretBytes();
  }
  SecretBytes password(field->size());
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(password.data(), password.size(), field->data(), field->size(), nullptr,
                        &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != field->data() + field->size()) {
    return fail(ErrorCode::invalid_argument, "field 'password_b64' is not valid padded base64");
  }
  password.truncate(length);
  return password;
}

Result<HashRequest> hash_options(const boost::json::object& object) {
  HashRequest request;
  if (const auto* algorithm = object.if_contains("algorithm")) {
    const auto* name = algorithm->if_string();
    request.algorithm = name ? parse_algorithm(*name) : std::nullopt;
    if (!request.algorithm) {
      return fail(ErrorCode::invalid_argument,
                  "field 'algorithm' must be one of: argon2id, argon2i, scrypt, bcrypt, "
                  "pbkdf2-sha256, pbkdf2-sha512");
    }
  }
  if (const auto* params = object.if_contains("params")) {
    if (!params->is_object()) {
      return fail(ErrorCode::invalid_argument, "field 'params' must be an object of integers");
    }
    for (const auto& [key, value] : params->get_object()) {
      if (!value.is_uint64() && !(value.is_int64() && value.get_int64() >= 0)) {
        return fail(ErrorCode::invalid_argument,
                    "every value in 'params' must be a non-negative integer");
      }
      request.params[std::string(key)] =
          value.is_uint64() ? value.get_uint64() : static_cast<std::uint64_t>(value.get_int64());
    }
  }
  return request;
}

// Context words are few and short: a username, an email address, a name.
constexpr std::size_t k_max_context_words = 16;
constexpr std::size_t k_max_context_bytes = 256;

// Reads the optional "context": an array of short strings.
Result<std::vector<std::string>> context_field(const boost::json::object& object) {
  std::vector<std::string> words;
  const boost::json::value* value = object.if_contains("context");
  if (value == nullptr) {
    return words;
  }
  const std::string rule = "field 'context' must be an array of at most " +
                           std::to_string(k_max_context_words) + " strings of at most " +
                           std::to_string(k_max_context_bytes) +
                           " bytes, such as the username and email address";
  const boost::json::array* array = value->if_array();
  if (array == nullptr || array->size() > k_max_context_words) {
    return fail(ErrorCode::invalid_argument, rule);
  }
  for (const boost::json::value& item : *array) {
    if (!item.is_string() || item.get_string().size() > k_max_context_bytes) {
      return fail(ErrorCode::invalid_argument, rule);
    }
    words.emplace_back(item.get_string());
  }
  return words;
}

}  // namespace

Result<HashBody> parse_hash_body(std::string_view body) {
  WipingResource resource;
  auto value = parse_object(body, boost::json::storage_ptr(&resource));
  if (!value) {
    return tl::unexpected(value.error());
  }
  const auto& object = value->get_object();
  if (auto known =
          reject_unknown(object, {"password", "password_b64", "algorithm", "params", "context"});
      !known) {
    return tl::unexpected(known.error());
  }

  auto password = password_field(object);
  if (!password) {
    return tl::unexpected(password.error());
  }
  auto request = hash_options(object);
  if (!request) {
    return tl::unexpected(request.error());
  }
  auto context = context_field(object);
  if (!context) {
    return tl::unexpected(context.error());
  }
  request->new_password = true;
  request->context = std::move(*context);
  return HashBody{std::move(*password), std::move(*request)};
}

Result<CheckPasswordBody> parse_check_password_body(std::string_view body) {
  WipingResource resource;
  auto value = parse_object(body, boost::json::storage_ptr(&resource));
  if (!value) {
    return tl::unexpected(value.error());
  }
  const auto& object = value->get_object();
  if (auto known = reject_unknown(object, {"password", "password_b64", "context"}); !known) {
    return tl::unexpected(known.error());
  }

  auto password = password_field(object);
  if (!password) {
    return tl::unexpected(password.error());
  }
  auto context = context_field(object);
  if (!context) {
    return tl::unexpected(context.error());
  }
  return CheckPasswordBody{std::move(*password), std::move(*context)};
}

Result<VerifyBody> parse_verify_body(std::string_view body) {
  WipingResource resource;
  auto value = parse_object(body, boost::json::storage_ptr(&resource));
  if (!value) {
    return tl::unexpected(value.error());
  }
  const auto& object = value->get_object();
  if (auto known =
          reject_unknown(object, {"password", "password_b64", "hash", "rehash", "subject"});
      !known) {
    return tl::unexpected(known.error());
  }

  VerifyBody parsed;
  auto password = password_field(object);
  if (!password) {
    return tl::unexpected(password.error());
  }
  parsed.password = std::move(*password);

  const boost::json::value* hash = object.if_contains("hash");
  if (hash == nullptr || !(hash->is_string() || hash->is_null())) {
    return fail(ErrorCode::invalid_argument,
                "field 'hash' must be the stored hash, or null for an unknown user");
  }
  if (hash->is_string()) {
    parsed.hash = std::string(hash->get_string());
  }
  if (const auto* rehash = object.if_contains("rehash")) {
    if (!rehash->is_bool()) {
      return fail(ErrorCode::invalid_argument, "field 'rehash' must be true or false");
    }
    parsed.rehash = rehash->get_bool();
  }
  if (object.contains("subject")) {
    auto subject = string_field(object, "subject");
    if (!subject || subject->size() > 256) {
      return fail(ErrorCode::invalid_argument,
                  "field 'subject' must be a string of at most 256 bytes");
    }
    parsed.subject = std::string(*subject);
  }
  return parsed;
}

Result<IdentifyBody> parse_identify_body(std::string_view body) {
  WipingResource resource;
  auto value = parse_object(body, boost::json::storage_ptr(&resource));
  if (!value) {
    return tl::unexpected(value.error());
  }
  const auto& object = value->get_object();
  if (auto known = reject_unknown(object, {"hash"}); !known) {
    return tl::unexpected(known.error());
  }
  auto hash = string_field(object, "hash");
  if (!hash) {
    return tl::unexpected(hash.error());
  }
  return IdentifyBody{std::string(*hash)};
}

}  // namespace pwsvc::daemon

// Strict JSON request bodies: known fields only, exact types, secrets wiped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "pwsvc/engine.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc::daemon {

// A boost::json memory resource that wipes every block before freeing it, so
// a password parsed from a request body does not linger on the heap.
class WipingResource final : public boost::json::memory_resource {
 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* pointer, std::size_t bytes, std::size_t align) override;
  bool do_is_equal(const memory_resource& other) const noexcept override;
};

struct HashBody {
  SecretBytes password;
  HashRequest request;
};

struct VerifyBody {
  SecretBytes password;
  std::optional<std::string> hash;  // empty for an unknown user ("hash": null)
  bool rehash = false;
  std::string subject;
};

struct IdentifyBody {
  std::string hash;
};

struct CheckPasswordBody {
  SecretBytes password;
  std::vector<std::string> context;
};

// Parse a request body. Errors are invalid_argument with a message naming the
// field; the message never repeats a value from the body. A hash body is a
// new password, so its request has new_password set.
Result<HashBody> parse_hash_body(std::string_view body);
Result<CheckPasswordBody> parse_check_password_body(std::string_view body);
Result<VerifyBody> parse_verify_body(std::string_view body);
Result<IdentifyBody> parse_identify_body(std::string_view body);

}  // namespace pwsvc::daemon

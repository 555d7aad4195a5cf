// Placeholder until the ldap backend lands: recognises nothing.
#include "backend.hpp"

namespace pwsvc {

namespace {

class Stub final : public Backend {
 public:
  bool recognizes(std::string_view) const override { return false; }
  Result<ParsedHash> parse(std::string_view) const override {
    return fail(ErrorCode::unsupported, "not implemented");
  }
  Result<bool> verify(const ParsedHash&, ByteView) const override {
    return fail(ErrorCode::unsupported, "not implemented");
  }
};

}  // namespace

std::unique_ptr<Backend> make_ldap_backend() { return std::make_unique<Stub>(); }

}  // namespace pwsvc

// The list of backends, and the checks every stored hash passes before a backend parses it.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "backend.hpp"
#include "pwsvc/engine.hpp"

namespace pwsvc {

// Holds one instance of every backend. Built once, read-only afterwards.
class Registry {
 public:
  static const Registry& instance();

  // Returns the backend that recognises `stored`, or nullptr.
  const Backend* find(std::string_view stored) const;
  // Returns the backend that creates `algorithm`, or nullptr.
  const Backend* creator(Algorithm algorithm) const;

 private:
  Registry();

  std::vector<std::unique_ptr<Backend>> backends_;
};

// A stored value rejected before format parsing, with the verdict identify reports.
struct Rejection {
  Verdict verdict;
  Error error;
};

// Rejects placeholders, whitespace and prefixes pwsvc deliberately does not
// accept, so no backend ever parses them and nothing is compared as plaintext.
std::optional<Rejection> screen(std::string_view stored);

// Returns a short label for the scheme `stored` appears to be, such as "$2b$"
// or "{SSHA}", for reports about hashes that did not parse.
std::string guess_family(std::string_view stored);

}  // namespace pwsvc

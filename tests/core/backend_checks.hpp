// Parse and verify checks shared by the backend tests.
#pragma once

#include <string_view>

#include <catch2/catch.hpp>

#include "backend.hpp"
#include "pwsvc/engine.hpp"

namespace pwsvc {

// Parses `stored` with `backend` (it must parse) and verifies `password` against it.
inline bool verifies(const Backend& backend, std::string_view stored, std::string_view password) {
  const auto parsed = backend.parse(stored);
  REQUIRE(parsed);
  const auto match = backend.verify(*parsed, as_bytes(password));
  REQUIRE(match);
  return *match;
}

// Returns the error from parsing `stored` with `backend`, which must fail.
inline Error parse_error(const Backend& backend, std::string_view stored) {
  const auto parsed = backend.parse(stored);
  REQUIRE_FALSE(parsed);
  return parsed.error();
}

}  // namespace pwsvc

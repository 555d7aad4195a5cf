// JSON forms of core results, shared by the CLI, pwsvcd and the Lambda bootstrap.
#pragma once

#include <optional>
#include <string>

#include <boost/json.hpp>

#include "pwsvc/engine.hpp"

namespace pwsvc {

// {"scheme", "verdict", "needs_rehash", "format", "parameters", "salt_bytes",
//  "digest_bytes", "reasons"}; the last five only for hashes that parse.
boost::json::object identification_json(const Identification& found);

// {"match", "needs_rehash", "scheme"}, "rehash_reasons" when a rehash is
// needed, and "new_hash" when one was made.
boost::json::object verify_result_json(const VerifyResult& result,
                                       const std::optional<std::string>& new_hash);

// The policy and limits, with no secret: {"policy": {...}, "limits": {...}}.
boost::json::object policy_json(const Policy& policy, const Limits& limits);

}  // namespace pwsvc

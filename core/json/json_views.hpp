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

// The policy and limits, with no secret: {"policy", "limits", "password_policy"}.
boost::json::object policy_json(const Policy& policy, const Limits& limits);

// The [password_policy] settings; the breach index's path is left out.
boost::json::object password_rules_json(const PasswordRules& rules);

// {"acceptable", "enforced", "length", "normalized", "rules": [{"rule",
// "passed", "detail"}]}, with "strength", "entropy_bits" and "feedback" when
// the strength was estimated and "breach_count" when the breach list has the
// password. `enforced` is whether hashing applies the rules.
boost::json::object password_report_json(const PasswordReport& report, bool enforced);

}  // namespace pwsvc

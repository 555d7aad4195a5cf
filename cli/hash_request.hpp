// Parsing of --algorithm and --param KEY=VALUE into a core HashRequest.
#pragma once

#include <string>
#include <vector>

#include "pwsvc/engine.hpp"

namespace pwsvc::cli {

// Parses an algorithm name (empty: the policy's) and KEY=VALUE parameters
// with decimal values; errors name the bad text.
Result<HashRequest> parse_hash_request(const std::string& algorithm,
                                       const std::vector<std::string>& params);

}  // namespace pwsvc::cli

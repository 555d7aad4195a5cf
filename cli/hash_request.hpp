// Parsing of --algorithm and --param KEY=VALUE into a core HashRequest.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pwsvc/engine.hpp"

namespace pwsvc::cli {

// Adds --algorithm/-a and --param/-P, as hash and bench take them.
void add_hash_options(CLI::App& command, std::string& algorithm, std::vector<std::string>& params);

// Parses an algorithm name (empty: the policy's) and KEY=VALUE parameters
// with decimal values; errors name the bad text.
Result<HashRequest> parse_hash_request(const std::string& algorithm,
                                       const std::vector<std::string>& params);

// Adds --context, as hash and check-password take it.
void add_context_option(CLI::App& command, std::vector<std::string>& words);

// Checks --context words against the limits pwsvcd puts on the "context"
// field (16 words of at most 256 bytes, valid UTF-8), so that local and
// remote runs accept the same words.
Result<void> check_context_words(const std::vector<std::string>& words);

}  // namespace pwsvc::cli

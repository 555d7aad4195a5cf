// Reads a password from stdin, a terminal prompt or a file descriptor; never argv.
#pragma once

#include <cstddef>
#include <optional>

#include "pwsvc/result.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc::cli {

// Whether a terminal prompt reads the password twice to confirm it.
enum class Confirm { no, yes };

// Reads the password. With `fd`, the exact bytes until end of file. Otherwise
// from stdin: all bytes with one trailing "\n" or "\r\n" removed, or from a
// prompt with echo off when stdin is a terminal. More than `max_bytes` is an
// invalid_argument error; nothing past the limit is kept in memory.
Result<SecretBytes> read_password(std::optional<int> fd, Confirm confirm, std::size_t max_bytes);

}  // namespace pwsvc::cli

// Unicode helpers for passwords: validation, counting and normalization.
#pragma once

#include <cstddef>
#include <optional>

#include "pwsvc/secret.hpp"

namespace pwsvc {

// Returns true when `bytes` is valid UTF-8: no overlong forms, no
// surrogates, nothing above U+10FFFF.
bool valid_utf8(ByteView bytes);

// Counts the code points of valid UTF-8.
std::size_t count_code_points(ByteView utf8);

// How a password is normalized.
enum class Normalization {
  nfkc,           // compatibility composition, what is hashed
  nfkc_casefold,  // NFKC with case folding, for comparing words
};

// Returns the normalized form of valid UTF-8 `utf8`, in memory that is
// wiped when freed; nothing when `utf8` is not valid UTF-8.
std::optional<SecretBytes> normalize(ByteView utf8, Normalization form);

}  // namespace pwsvc

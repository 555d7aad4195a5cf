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

// The normal form of a password.
enum class Normalization {
  nfkc,  // compatibility composition, what is hashed
  // NFC without default-ignorable code points (such as U+200B ZERO WIDTH
  // SPACE), whose code points are the visible characters a user typed
  nfc_visible,
  // NFKC without default-ignorable code points, for the breach and strength
  // checks, so an invisible character cannot hide a listed password
  nfkc_visible,
  // nfkc_visible with accents and other combining marks removed, for a
  // second strength estimate, because zxcvbn's word lists are unaccented
  nfkc_unmarked,
  // nfkc_visible with case folding and accents removed, for context words
  nfkc_folded,
};

// Returns the normalized form of valid UTF-8 `utf8`, in memory that is
// wiped when freed; nothing when `utf8` is not valid UTF-8.
std::optional<SecretBytes> normalize(ByteView utf8, Normalization form);

}  // namespace pwsvc

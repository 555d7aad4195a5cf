// Unicode helpers on utf8proc, with every intermediate buffer wiped.
#include "unicode.hpp"

#include <cstdint>
#include <vector>

#include <utf8proc.h>

#include "pwsvc/wiping_allocator.hpp"

namespace pwsvc {

namespace {

using CodePoints = std::vector<utf8proc_int32_t, WipingAllocator<utf8proc_int32_t>>;

utf8proc_option_t options_for(Normalization form) {
  int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
  switch (form) {
    case Normalization::nfkc:
      options |= UTF8PROC_COMPAT;
      break;
    case Normalization::nfc_visible:
      options |= UTF8PROC_IGNORE;
      break;
    case Normalization::nfkc_visible:
      options |= UTF8PROC_COMPAT | UTF8PROC_IGNORE;
      break;
    case Normalization::nfkc_unmarked:
      options |= UTF8PROC_COMPAT | UTF8PROC_IGNORE | UTF8PROC_STRIPMARK;
      break;
    case Normalization::nfkc_folded:
      options |= UTF8PROC_COMPAT | UTF8PROC_IGNORE | UTF8PROC_CASEFOLD;
      break;
  }
  return static_cast<utf8proc_option_t>(options);
}

}  // namespace

bool valid_utf8(ByteView bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    utf8proc_int32_t code_point = 0;
    const auto used = utf8proc_iterate(bytes.data() + at,
                                       static_cast<utf8proc_ssize_t>(bytes.size() - at),
                                       &code_point);
    if (used <= 0) {
      return false;
    }
    at += static_cast<std::size_t>(used);
  }
  return true;
}

std::size_t count_code_points(ByteView utf8) {
  std::size_t count = 0;
  for (unsigned char byte : utf8) {
    count += (byte & 0xC0) != 0x80 ? 1 : 0;
  }
  return count;
}

namespace {

// utf8proc_map() would be shorter, but it reallocates its result without
// wiping the old block. Decomposing into our own buffer keeps every copy
// of the password in memory that is zeroed when freed.
std::optional<SecretBytes> normalize_with(ByteView utf8, utf8proc_option_t options) {
  const auto length = static_cast<utf8proc_ssize_t>(utf8.size());

  // Decomposition can grow a string, so retry once with the size it returns.
  CodePoints buffer(utf8.size() + 8);
  auto count = utf8proc_decompose(utf8.data(), length, buffer.data(),
                                  static_cast<utf8proc_ssize_t>(buffer.size()), options);
  if (count > static_cast<utf8proc_ssize_t>(buffer.size())) {
    buffer.resize(static_cast<std::size_t>(count));
    count = utf8proc_decompose(utf8.data(), length, buffer.data(), count, options);
  }
  if (count < 0) {
    return std::nullopt;
  }

  // Composes and encodes in place; UTF-8 never needs more bytes than the
  // buffer's four per code point.
  const auto bytes = utf8proc_reencode(buffer.data(), count, options);
  if (bytes < 0) {
    return std::nullopt;
  }
  return SecretBytes::copy_of(
      ByteView(reinterpret_cast<const unsigned char*>(buffer.data()), static_cast<std::size_t>(bytes)));
}

}  // namespace

std::optional<SecretBytes> normalize(ByteView utf8, Normalization form) {
  auto normalized = normalize_with(utf8, options_for(form));
  if (!normalized || form != Normalization::nfkc_folded) {
    return normalized;
  }

  // Case folding can add marks, such as the dot that U+0130 'İ' folds to, and
  // utf8proc strips marks before it folds, so accents go in a second pass.
  const int strip = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_STRIPMARK;
  return normalize_with(normalized->view(), static_cast<utf8proc_option_t>(strip));
}

}  // namespace pwsvc

// Request bodies written by hand into WipedString, so that no JSON library
// keeps a copy of the password in memory that is freed without wiping.
#include "request_body.hpp"

#include <sodium.h>

namespace pwsvc::cli {

namespace {

unsigned char byte_at(std::string_view text, std::size_t index) {
  return static_cast<unsigned char>(text[index]);
}

// Starts an empty body with room for every member. The password is then
// written once into heap memory, so no small-string buffer or reallocation
// leaves a partial copy behind. An escaped byte takes at most 6 characters.
WipedString empty_body(std::size_t password_size, std::size_t hash_size) {
  constexpr std::size_t k_members_size = 256;
  WipedString body;
  body.reserve(k_members_size + 6 * password_size + 6 * hash_size);
  return body;
}

std::string_view as_text(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Appends `text`, which is valid UTF-8, as a JSON string. Quotes,
// backslashes and control bytes are escaped, and every other byte is copied.
void append_json_string(WipedString& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0x0f];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_password(WipedString& out, ByteView password) {
  if (is_utf8(as_text(password))) {
    out += "\"password\":";
    append_json_string(out, as_text(password));
    return;
  }

  out += "\"password_b64\":\"";
  const std::size_t start = out.size();
  const std::size_t encoded_size =
      sodium_base64_ENCODED_LEN(password.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(start + encoded_size);
  sodium_bin2base64(out.data() + start, encoded_size, password.data(), password.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  // sodium_bin2base64 ends the text with a NUL, which is not part of it.
  out.resize(start + encoded_size - 1);
  out += '"';
}

Result<void> append_stored_hash(WipedString& out, std::string_view stored) {
  if (!is_utf8(stored)) {
    return fail(ErrorCode::invalid_argument,
                "the stored hash is not valid UTF-8, so it cannot be sent to pwsvcd; every "
                "supported hash format is ASCII text");
  }
  out += "\"hash\":";
  append_json_string(out, stored);
  return {};
}

// Appends ,"context":[...] when there are context words.
Result<void> append_context(WipedString& out, const std::vector<std::string>& context) {
  if (context.empty()) {
    return {};
  }
  out += ",\"context\":[";
  for (std::size_t i = 0; i < context.size(); ++i) {
    if (!is_utf8(context[i])) {
      return fail(ErrorCode::invalid_argument, "a --context word is not valid UTF-8");
    }
    out += i == 0 ? "" : ",";
    append_json_string(out, context[i]);
  }
  out += "]";
  return {};
}

}  // namespace

bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = byte_at(text, i);
    if (lead < 0x80) {
      ++i;
      continue;
    }

    // The range of the second byte narrows for the leads where the full
    // range would allow an overlong form, a surrogate or a value above
    // U+10FFFF (RFC 3629, section 4).
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      low = lead == 0xe0 ? 0xa0 : low;
      high = lead == 0xed ? 0x9f : high;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      low = lead == 0xf0 ? 0x90 : low;
      high = lead == 0xf4 ? 0x8f : high;
    } else {
      return false;
    }
    if (text.size() - i < length) {
      return false;
    }
    if (byte_at(text, i + 1) < low || byte_at(text, i + 1) > high) {
      return false;
    }
    for (std::size_t k = 2; k < length; ++k) {
      if ((byte_at(text, i + k) & 0xc0) != 0x80) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

Result<WipedString> hash_body(ByteView password, const HashRequest& request) {
  WipedString body = empty_body(password.size(), 0);
  body += "{";
  append_password(body, password);
  if (request.algorithm) {
    body += ",\"algorithm\":";
    append_json_string(body, algorithm_name(*request.algorithm));
  }
  if (!request.params.empty()) {
    body += ",\"params\":{";
    bool first = true;
    for (const auto& [key, value] : request.params) {
      if (!is_utf8(key)) {
        return fail(ErrorCode::invalid_argument, "a --param key is not valid UTF-8");
      }
      body += first ? "" : ",";
      append_json_string(body, key);
      body += ":";
      body += std::to_string(value);
      first = false;
    }
    body += "}";
  }
  if (auto appended = append_context(body, request.context); !appended) {
    return tl::unexpected(appended.error());
  }
  body += "}";
  return body;
}

Result<WipedString> check_password_body(ByteView password,
                                        const std::vector<std::string>& context) {
  WipedString body = empty_body(password.size(), 0);
  body += "{";
  append_password(body, password);
  if (auto appended = append_context(body, context); !appended) {
    return tl::unexpected(appended.error());
  }
  body += "}";
  return body;
}

Result<WipedString> verify_body(ByteView password, std::string_view stored, Rehash rehash) {
  WipedString body = empty_body(password.size(), stored.size());
  body += "{";
  if (auto appended = append_stored_hash(body, stored); !appended) {
    return tl::unexpected(appended.error());
  }
  body += ",";
  append_password(body, password);
  if (rehash == Rehash::yes) {
    body += ",\"rehash\":true";
  }
  body += "}";
  return body;
}

Result<WipedString> identify_body(std::string_view stored) {
  WipedString body = empty_body(0, stored.size());
  body += "{";
  if (auto appended = append_stored_hash(body, stored); !appended) {
    return tl::unexpected(appended.error());
  }
  body += "}";
  return body;
}

}  // namespace pwsvc::cli

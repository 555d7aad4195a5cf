// A small TOML lexer that finds the characters toml++ 3.3 mishandles; see
// toml_guard.hpp.
#include "toml_guard.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <toml++/toml.h>

namespace pwsvc::config_internal {

namespace {

enum class Context { code, comment, basic, literal, multiline_basic, multiline_literal };

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

constexpr std::string_view k_outside_strings =
    "non-ASCII character outside a string or comment; TOML allows them only inside quoted "
    "strings and comments, so quote the value or remove the character";
constexpr std::string_view k_after_backslash =
    "non-ASCII character after a backslash; in a basic string a backslash starts an escape "
    "such as \\n or \\u00E9, so write the character without the backslash";

ConfigIssue issue_at(std::string_view text, std::size_t at, std::string_view message) {
  const std::size_t line_start = text.rfind('\n', at);
  const std::size_t column = line_start == std::string_view::npos ? at + 1 : at - line_start;
  const std::size_t line = 1 + static_cast<std::size_t>(
                                   std::count(text.begin(), text.begin() + at, '\n'));
  return {"", line, column, std::string(message)};
}

// Returns `text` with every non-ASCII character replaced by '$', which TOML
// accepts only where non-ASCII text is accepted too: in strings and comments.
std::string mask_non_ascii(std::string_view text) {
  std::string masked;
  masked.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      masked += c;
    } else if (byte >= 0xC0) {
      masked += '$';
    }
  }
  return masked;
}

// Returns the index of the character that toml++ reads after the backslash
// at `at`, and whether that backslash ends a line. In multi-line strings
// toml++ skips spaces after a backslash, and after a line-ending backslash
// also every following space and line break.
std::pair<std::size_t, bool> after_backslash(std::string_view text, std::size_t at,
                                             Context context) {
  if (context != Context::multiline_basic) {
    return {at + 1, false};
  }
  const std::size_t next = std::min(text.find_first_not_of(" \t", at + 1), text.size());
  if (next == text.size() || (text[next] != '\n' && text[next] != '\r')) {
    return {next, false};
  }
  return {std::min(text.find_first_not_of(" \t\r\n", next), text.size()), true};
}

// Returns the number of characters from the start of `rest`, which starts a
// multi-line string's closing delimiter, to its end: up to two quotes before
// the closing three belong to the string.
std::size_t closing_run(std::string_view rest) {
  return std::min(rest.find_first_not_of(rest.front()), rest.size());
}

// Finds a non-ASCII character outside strings and comments, or right after a
// backslash in a basic string. Exact for valid TOML only.
std::optional<ConfigIssue> find_misplaced_character(std::string_view text) {
  Context context = Context::code;
  for (std::size_t at = 0; at < text.size(); ++at) {
    const std::string_view rest = text.substr(at);
    const char c = text[at];
    switch (context) {
      case Context::code:
        if (!is_ascii(c)) {
          return issue_at(text, at, k_outside_strings);
        }
        if (c == '#') {
          context = Context::comment;
        } else if (rest.starts_with(R"(""")")) {
          context = Context::multiline_basic;
          at += 2;
        } else if (rest.starts_with("'''")) {
          context = Context::multiline_literal;
          at += 2;
        } else if (c == '"') {
          context = Context::basic;
        } else if (c == '\'') {
          context = Context::literal;
        }
        break;
      case Context::comment:
        context = c == '\n' ? Context::code : context;
        break;
      case Context::basic:
      case Context::multiline_basic:
        if (c == '\\') {
          // toml++ tests the character after a backslash as whitespace.
          const auto [next, line_end] = after_backslash(text, at, context);
          if (next < text.size() && !is_ascii(text[next])) {
            return issue_at(text, next, k_after_backslash);
          }
          at = line_end ? next - 1 : at + 1;
        } else if (context == Context::multiline_basic) {
          if (rest.starts_with(R"(""")")) {
            context = Context::code;
            at += closing_run(rest) - 1;
          }
        } else if (c == '"' || c == '\n') {
          context = Context::code;
        }
        break;
      case Context::literal:
        context = c == '\'' || c == '\n' ? Context::code : context;
        break;
      case Context::multiline_literal:
        if (rest.starts_with("'''")) {
          context = Context::code;
          at += closing_run(rest) - 1;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ConfigIssue> find_unsafe_character(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), is_ascii)) {
    return std::nullopt;
  }

  // The lexer is exact only for valid TOML, so the structure is checked
  // first on a copy in which toml++ sees no non-ASCII character.
  try {
    static_cast<void>(toml::parse(mask_non_ascii(text)));
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return ConfigIssue{"", begin.line, begin.column,
                       "TOML syntax error: " + std::string(error.description()) +
                           " (in this check every non-ASCII character reads as '$')"};
  }
  return find_misplaced_character(text);
}

}  // namespace pwsvc::config_internal

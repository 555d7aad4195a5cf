// A small TOML lexer that finds the characters toml++ 3.3 mishandles; see
// toml_guard.hpp.
#include "toml_guard.hpp"

#include <algorithm>
#include <string>

namespace pwsvc::config_internal {

namespace {

enum class Context { code, comment, basic, literal, multiline_basic, multiline_literal };

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

// Returns the index of the first character after `at` that toml++ does not
// skip as whitespace or a line break, when `at` is a line-ending backslash.
std::optional<std::size_t> after_line_ending_backslash(std::string_view text, std::size_t at) {
  std::size_t next = text.find_first_not_of(" \t", at + 1);
  if (next == std::string_view::npos || (text[next] != '\n' && text[next] != '\r')) {
    return std::nullopt;
  }
  next = text.find_first_not_of(" \t\r\n", next);
  return next == std::string_view::npos ? std::nullopt : std::optional(next);
}

ConfigIssue issue_at(std::string_view text, std::size_t at) {
  const std::size_t line_start = text.rfind('\n', at);
  const std::size_t column = line_start == std::string_view::npos ? at + 1 : at - line_start;
  const std::size_t line = 1 + static_cast<std::size_t>(
                                   std::count(text.begin(), text.begin() + at, '\n'));
  return {"", line, column,
          "non-ASCII character outside a string or comment; TOML allows them only inside "
          "quoted strings and comments, so quote the value or remove the character"};
}

}  // namespace

std::optional<ConfigIssue> find_unsafe_character(std::string_view text) {
  Context context = Context::code;
  for (std::size_t at = 0; at < text.size(); ++at) {
    const std::string_view rest = text.substr(at);
    const char c = text[at];
    switch (context) {
      case Context::code:
        if (!is_ascii(c)) {
          return issue_at(text, at);
        }
        if (c == '#') {
          context = Context::comment;
        } else if (rest.starts_with("\"\"\"")) {
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
        if (c == '\\') {
          ++at;
        } else if (c == '"' || c == '\n') {
          context = Context::code;
        }
        break;
      case Context::literal:
        context = c == '\'' || c == '\n' ? Context::code : context;
        break;
      case Context::multiline_basic:
        if (c == '\\') {
          const auto next = after_line_ending_backslash(text, at);
          if (next && !is_ascii(text[*next])) {
            return issue_at(text, *next);
          }
          at = next ? *next - 1 : at + 1;
        } else if (rest.starts_with("\"\"\"")) {
          context = Context::code;
          at += 2;
        }
        break;
      case Context::multiline_literal:
        if (rest.starts_with("'''")) {
          context = Context::code;
          at += 2;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace pwsvc::config_internal

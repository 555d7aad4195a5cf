// The [password_policy] table: rules for new passwords.
#include "config_reader.hpp"
#include "unicode.hpp"

namespace pwsvc::config_internal {

namespace {

std::optional<bool> boolean(Reader& reader, const toml::node& node, const std::string& key) {
  const auto flag = node.value<bool>();
  if (!node.is_boolean() || !flag) {
    reader.add(node, key, "must be true or false");
    return std::nullopt;
  }
  return flag;
}

void read_unicode(Reader& reader, const toml::node& node, PasswordRules& rules) {
  const auto text = node.value<std::string>();
  for (UnicodeMode mode : {UnicodeMode::nfkc, UnicodeMode::utf8, UnicodeMode::bytes}) {
    if (text && *text == unicode_mode_name(mode)) {
      rules.unicode = mode;
      return;
    }
  }
  const std::string value = text ? " (not \"" + *text + "\")" : "";
  reader.add(node, "password_policy.unicode",
             "must be \"nfkc\", \"utf8\" or \"bytes\", in lower case" + value);
}

void read_context_words(Reader& reader, const toml::node& node, PasswordRules& rules) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    reader.add(node, "password_policy.context_words", "must be an array of strings");
    return;
  }
  for (const auto& item : *array) {
    const auto word = item.value<std::string>();
    if (!item.is_string() || !word || word->empty()) {
      reader.add(item, "password_policy.context_words",
                 "must hold non-empty strings, such as the service's name");
      continue;
    }
    if (count_code_points(as_bytes(*word)) < k_min_context_word) {
      reader.add(item, "password_policy.context_words",
                 "\"" + *word + "\" is too short; a context word needs at least 3 characters");
      continue;
    }
    rules.context_words.push_back(*word);
  }
}

void read_value(Reader& reader, const std::string& name, const toml::node& node,
                PasswordRules& rules) {
  const std::string key = "password_policy." + name;
  if (name == "enabled") {
    rules.enabled = boolean(reader, node, key).value_or(rules.enabled);
  } else if (name == "unicode") {
    read_unicode(reader, node, rules);
  } else if (name == "verify_unnormalized") {
    rules.verify_unnormalized = boolean(reader, node, key).value_or(rules.verify_unnormalized);
  } else if (name == "min_length") {
    rules.min_length = static_cast<std::uint32_t>(
        reader.integer(node, key, 1, 4096).value_or(rules.min_length));
  } else if (name == "max_length") {
    // NIST SP 800-63B requires verifiers to accept at least 64 characters.
    rules.max_length = static_cast<std::uint32_t>(
        reader.integer(node, key, 64, 65536).value_or(rules.max_length));
  } else if (name == "min_strength") {
    rules.min_strength =
        static_cast<std::uint32_t>(reader.integer(node, key, 0, 4).value_or(rules.min_strength));
  } else if (name == "breach_index") {
    const auto path = node.value<std::string>();
    if (!node.is_string() || !path || path->empty()) {
      reader.add(node, key, "must be the path of a file made by 'pwsvc breach-index build'");
    } else {
      rules.breach_index = *path;
    }
  } else if (name == "breach_min_count") {
    rules.breach_min_count = static_cast<std::uint32_t>(
        reader.integer(node, key, 1, UINT32_MAX).value_or(rules.breach_min_count));
  } else if (name == "context_words") {
    read_context_words(reader, node, rules);
  }
}

}  // namespace

void read_password_policy(Reader& reader, const toml::table& table, Settings& settings) {
  reader.reject_unknown(table, "password_policy",
                        {"enabled", "unicode", "verify_unnormalized", "min_length", "max_length",
                         "min_strength", "breach_index", "breach_min_count", "context_words"});
  PasswordRules& rules = settings.policy.password;
  for (const auto& [key, node] : table) {
    read_value(reader, std::string(key.str()), node, rules);
  }

  const toml::node* min_node = table.get("min_length");
  const toml::node& where = min_node != nullptr ? *min_node : static_cast<const toml::node&>(table);
  if (rules.min_length > rules.max_length) {
    reader.add(where, "password_policy.min_length",
               "is " + std::to_string(rules.min_length) + ", above max_length " +
                   std::to_string(rules.max_length) + "; lower min_length or raise max_length");
  }
  // A code point takes at least one byte, so no password could pass.
  if (rules.min_length > settings.limits.max_password_bytes) {
    reader.add(where, "password_policy.min_length",
               "is " + std::to_string(rules.min_length) + ", above limits.max_password_bytes " +
                   std::to_string(settings.limits.max_password_bytes) +
                   ", so no password could pass; lower min_length or raise the limit");
  }
}

}  // namespace pwsvc::config_internal

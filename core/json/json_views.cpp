// JSON forms of core results; field names are part of the public API.
#include "json_views.hpp"

#include <charconv>
#include <cmath>

namespace pwsvc {

namespace {

// Numbers stay numbers in JSON; anything else (such as a bcrypt variant) is a string.
boost::json::value param_value(const std::string& text) {
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc() && end == text.data() + text.size() && !text.empty()) {
    return number;
  }
  return boost::json::value(text);
}

boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array array;
  for (const auto& item : items) {
    array.emplace_back(item);
  }
  return array;
}

}  // namespace

boost::json::object identification_json(const Identification& found) {
  boost::json::object object{{"scheme", found.family},
                             {"verdict", verdict_name(found.verdict)},
                             {"needs_rehash", found.needs_rehash}};
  if (found.parsed) {
    boost::json::object params;
    for (const auto& [key, value] : found.parsed->params) {
      params[key] = param_value(value);
    }
    object["format"] = format_name(found.parsed->format);
    object["parameters"] = std::move(params);
    object["salt_bytes"] = found.parsed->salt_size;
    object["digest_bytes"] = found.parsed->digest_size;
  }
  object["reasons"] = string_array(found.reasons);
  return object;
}

boost::json::object verify_result_json(const VerifyResult& result,
                                       const std::optional<std::string>& new_hash) {
  boost::json::object object{{"match", result.match},
                             {"needs_rehash", result.needs_rehash},
                             {"scheme", algorithm_name(result.algorithm)}};
  if (result.needs_rehash) {
    object["rehash_reasons"] = string_array(result.rehash_reasons);
  }
  if (new_hash) {
    object["new_hash"] = *new_hash;
  }
  return object;
}

boost::json::object policy_json(const Policy& policy, const Limits& limits) {
  boost::json::object params;
  for (const auto& [algorithm, values] : policy.params) {
    boost::json::object entry;
    for (const auto& [key, value] : values) {
      entry[key] = value;
    }
    params[algorithm_name(algorithm)] = std::move(entry);
  }
  boost::json::array deprecated;
  for (const Algorithm algorithm : policy.deprecated) {
    deprecated.emplace_back(algorithm_name(algorithm));
  }

  boost::json::object policy_object{
      {"algorithm", algorithm_name(policy.algorithm)},
      {"salt_bytes", policy.salt_bytes},
      {"rehash_stronger", policy.rehash_stronger == RehashStronger::yes},
      {"deprecated", std::move(deprecated)},
      {"params", std::move(params)},
  };
  boost::json::object limits_object{
      {"max_password_bytes", limits.max_password_bytes},
      {"max_hash_length", limits.max_hash_length},
      {"argon2_max_memory_kib", limits.argon2_max_memory_kib},
      {"argon2_max_time_cost", limits.argon2_max_time_cost},
      {"argon2_max_parallelism", limits.argon2_max_parallelism},
      {"bcrypt_max_cost", limits.bcrypt_max_cost},
      {"pbkdf2_max_iterations", limits.pbkdf2_max_iterations},
      {"scrypt_max_memory_kib", limits.scrypt_max_memory_kib},
      {"scrypt_max_parallelism", limits.scrypt_max_parallelism},
      {"sha_crypt_max_rounds", limits.sha_crypt_max_rounds},
  };
  return {{"policy", std::move(policy_object)},
          {"limits", std::move(limits_object)},
          {"password_policy", password_rules_json(policy.password)}};
}

boost::json::object password_rules_json(const PasswordRules& rules) {
  boost::json::array words;
  for (const std::string& word : rules.context_words) {
    words.emplace_back(word);
  }
  return {
      {"enabled", rules.enabled},
      {"unicode", unicode_mode_name(rules.unicode)},
      {"verify_unnormalized", rules.verify_unnormalized},
      {"min_length", rules.min_length},
      {"max_length", rules.max_length},
      {"min_strength", rules.min_strength},
      {"breach_check", !rules.breach_index.empty()},
      {"breach_min_count", rules.breach_min_count},
      {"context_words", std::move(words)},
  };
}

boost::json::object password_report_json(const PasswordReport& report, bool enforced) {
  boost::json::array rules;
  for (const RuleOutcome& outcome : report.outcomes) {
    rules.push_back(boost::json::object{{"rule", password_rule_name(outcome.rule)},
                                        {"passed", outcome.passed},
                                        {"detail", outcome.detail}});
  }
  boost::json::array feedback;
  for (const std::string& hint : report.feedback) {
    feedback.emplace_back(hint);
  }

  boost::json::object object{
      {"acceptable", report.acceptable()},
      {"enforced", enforced},
      {"length", report.length},
      {"normalized", report.normalized},
      {"rules", std::move(rules)},
  };
  if (report.strength >= 0) {
    object["strength"] = report.strength;
    object["entropy_bits"] = std::lround(report.entropy_bits);
    object["feedback"] = std::move(feedback);
  }
  if (report.breach_count) {
    object["breach_count"] = *report.breach_count;
  }
  return object;
}

}  // namespace pwsvc

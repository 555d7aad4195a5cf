// The summary reports of pwsvc audit.
#include "audit_report.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include <boost/json.hpp>

namespace pwsvc::cli {

namespace {

// Parameter sets beyond this many per run share one "(other)" group per
// scheme and verdict, so a dump of random garbage cannot grow memory.
constexpr std::size_t k_max_groups = 10000;
constexpr std::string_view k_other_params = "(other)";
// Schemes of garbage rows, such as "$abc$", get at most this many "(other)"
// groups past k_max_groups before they share the scheme "(other)" as well.
constexpr std::size_t k_max_other_groups = 1000;
constexpr std::string_view k_other_scheme = "(other)";

// Combines std::hash of each part of a group key. libstdc++ hashes 8 bytes at
// a time, so this is faster than a byte-wise hash of the joined key.
class KeyHash {
 public:
  void add(std::string_view text) {
    value_ = (value_ * 0x9e3779b97f4a7c15ULL) ^ std::hash<std::string_view>{}(text);
  }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0;
};

const Tally::Params k_no_params;

std::string params_text(const Tally::Params& params) {
  std::string text;
  for (const auto& [key, value] : params) {
    if (!text.empty()) {
      text += ',';
    }
    text += key;
    text += '=';
    text += value;
  }
  return text.empty() ? std::string(1, '-') : text;
}

}  // namespace

void Tally::add(const Classification& found) {
  ++total_;
  ++by_verdict_[static_cast<int>(found.verdict)];
  if (found.algorithm) {
    add_to_group(algorithm_name(*found.algorithm), found.params, false, found.verdict);
  } else {
    add_to_group(found.family, k_no_params, false, found.verdict);
  }
}

void Tally::add_unreadable() {
  ++total_;
  ++by_verdict_[static_cast<int>(Verdict::invalid)];
  add_to_group(k_unreadable_scheme, k_no_params, false, Verdict::invalid);
}

void Tally::add_to_group(std::string_view scheme, const Params& params, bool other,
                         Verdict verdict) {
  KeyHash hash;
  hash.add(scheme);
  for (const auto& [key, value] : params) {
    hash.add(key);
    hash.add(value);
  }
  hash.add(other ? "o" : "-");
  hash.add(verdict_name(verdict));

  const auto head = index_.find(hash.value());
  std::size_t at = head == index_.end() ? k_no_entry : head->second;
  for (; at != k_no_entry; at = entries_[at].next) {
    Entry& entry = entries_[at];
    if (entry.verdict == verdict && entry.other == other && entry.scheme == scheme &&
        entry.params == params) {
      ++entry.count;
      return;
    }
  }

  if (entries_.size() >= k_max_groups && !other) {
    add_to_group(scheme, k_no_params, true, verdict);
    return;
  }
  if (entries_.size() >= k_max_groups + k_max_other_groups && scheme != k_other_scheme) {
    add_to_group(k_other_scheme, k_no_params, true, verdict);
    return;
  }
  const std::size_t next = head == index_.end() ? k_no_entry : head->second;
  entries_.push_back(Entry{std::string(scheme), params, other, verdict, next, 1});
  index_[hash.value()] = entries_.size() - 1;
}

std::vector<Tally::Group> Tally::sorted_groups() const {
  std::map<std::string, std::uint64_t, std::less<>> per_scheme;
  std::vector<Group> sorted;
  for (const auto& entry : entries_) {
    per_scheme[entry.scheme] += entry.count;
    const std::string params =
        entry.other ? std::string(k_other_params) : params_text(entry.params);
    sorted.push_back(Group{entry.scheme, params, entry.verdict, entry.count});
  }
  std::sort(sorted.begin(), sorted.end(), [&](const Group& a, const Group& b) {
    const auto a_total = per_scheme.find(a.scheme)->second;
    const auto b_total = per_scheme.find(b.scheme)->second;
    if (a_total != b_total) return a_total > b_total;
    if (a.scheme != b.scheme) return a.scheme < b.scheme;
    if (a.count != b.count) return a.count > b.count;
    if (a.params != b.params) return a.params < b.params;
    return a.verdict < b.verdict;
  });
  return sorted;
}

namespace {

std::string share_text(std::uint64_t count, std::uint64_t total) {
  char text[32];
  const double percent = total == 0 ? 0.0 : 100.0 * static_cast<double>(count) / static_cast<double>(total);
  std::snprintf(text, sizeof text, "%.2f%%", percent);
  return text;
}

void print_text(std::ostream& out, const Tally& tally) {
  const auto groups = tally.sorted_groups();
  std::size_t scheme_width = 6;
  std::size_t params_width = 10;
  for (const auto& group : groups) {
    scheme_width = std::max(scheme_width, group.scheme.size());
    params_width = std::max(params_width, group.params.size());
  }

  char line[64];
  auto print_row = [&](std::string_view scheme, std::string_view params, std::string_view verdict,
                       std::string_view count, std::string_view share) {
    out << scheme << std::string(scheme_width + 2 - scheme.size(), ' ') << params
        << std::string(params_width + 2 - params.size(), ' ') << verdict
        << std::string(12 - verdict.size(), ' ');
    std::snprintf(line, sizeof line, "%12.*s  %8.*s\n", static_cast<int>(count.size()),
                  count.data(), static_cast<int>(share.size()), share.data());
    out << line;
  };
  print_row("SCHEME", "PARAMETERS", "VERDICT", "COUNT", "SHARE");
  for (const auto& group : groups) {
    print_row(group.scheme, group.params, verdict_name(group.verdict),
              std::to_string(group.count), share_text(group.count, tally.total()));
  }

  out << "\nrows: " << tally.total() << " (blank lines skipped: " << tally.blank_lines() << ")\n";
  for (Verdict verdict : k_verdicts) {
    const std::string_view name = verdict_name(verdict);
    out << name << ":" << std::string(12 - name.size(), ' ');
    std::snprintf(line, sizeof line, "%12llu  %8s\n",
                  static_cast<unsigned long long>(tally.count(verdict)),
                  share_text(tally.count(verdict), tally.total()).c_str());
    out << line;
  }
}

boost::json::object verdict_counts(const Tally& tally) {
  boost::json::object counts;
  for (Verdict verdict : k_verdicts) {
    counts[verdict_name(verdict)] = tally.count(verdict);
  }
  return counts;
}

void print_json(std::ostream& out, const Tally& tally) {
  boost::json::object by_scheme;
  for (const auto& group : tally.sorted_groups()) {
    boost::json::value& slot = by_scheme[group.scheme];
    if (!slot.is_object()) {
      slot = {{"count", 0}, {"verdicts", boost::json::object{}},
              {"parameter_sets", boost::json::object{}}};
    }
    boost::json::object& scheme = slot.as_object();
    scheme["count"] = scheme["count"].to_number<std::uint64_t>() + group.count;
    auto& verdicts = scheme["verdicts"].as_object();
    const std::string_view name = verdict_name(group.verdict);
    verdicts[name] = (verdicts.contains(name) ? verdicts[name].to_number<std::uint64_t>() : 0) +
                     group.count;

    auto& sets = scheme["parameter_sets"].as_object();
    if (!sets.contains(group.params)) {
      sets[group.params] = {{"count", 0}, {"verdicts", boost::json::object{}}};
    }
    auto& set = sets[group.params].as_object();
    set["count"] = set["count"].to_number<std::uint64_t>() + group.count;
    set["verdicts"].as_object()[name] = group.count;
  }

  const boost::json::object report{{"total", tally.total()},
                                   {"blank_lines", tally.blank_lines()},
                                   {"by_verdict", verdict_counts(tally)},
                                   {"by_scheme", std::move(by_scheme)}};
  out << boost::json::serialize(report) << "\n";
}

// Quotes a CSV field when it contains a comma, quote or line break (RFC 4180).
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string quoted = "\"";
  for (char c : text) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

void print_csv(std::ostream& out, const Tally& tally) {
  out << "scheme,parameters,verdict,count\n";
  for (const auto& group : tally.sorted_groups()) {
    out << csv_field(group.scheme) << "," << csv_field(group.params) << ","
        << verdict_name(group.verdict) << "," << group.count << "\n";
  }
}

}  // namespace

void print_report(std::ostream& out, const Tally& tally, ReportFormat format) {
  switch (format) {
    case ReportFormat::text:
      print_text(out, tally);
      return;
    case ReportFormat::json:
      print_json(out, tally);
      return;
    case ReportFormat::csv:
      print_csv(out, tally);
      return;
  }
}

}  // namespace pwsvc::cli

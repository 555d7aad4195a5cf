// Counts of audited rows by scheme, parameter set and verdict, and their
// text, JSON and CSV reports.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pwsvc/engine.hpp"

namespace pwsvc::cli {

inline constexpr std::array<Verdict, 9> k_verdicts = {
    Verdict::ok,      Verdict::weak,    Verdict::legacy,  Verdict::over_limit, Verdict::locked,
    Verdict::invalid, Verdict::unknown, Verdict::old_key, Verdict::unpeppered};

// The scheme label of rows whose hash could not be taken from the input.
inline constexpr std::string_view k_unreadable_scheme = "(unreadable row)";

// Row counts by (scheme, parameter set, verdict). Memory grows with the
// number of distinct groups, not with the number of rows.
class Tally {
 public:
  // Counts one classified row.
  void add(const Classification& found);
  // Counts one row whose hash could not be extracted, as invalid.
  void add_unreadable();
  void add_blank() { ++blank_lines_; }

  std::uint64_t total() const { return total_; }
  std::uint64_t blank_lines() const { return blank_lines_; }
  std::uint64_t count(Verdict verdict) const { return by_verdict_[static_cast<int>(verdict)]; }

  using Params = std::vector<std::pair<std::string, std::string>>;

  struct Group {
    std::string scheme;
    std::string params;  // "k=v,k=v", or "-" for hashes that do not parse
    Verdict verdict;
    std::uint64_t count = 0;
  };
  // Returns the groups, largest scheme first, then largest group first.
  std::vector<Group> sorted_groups() const;

 private:
  // A group as it is looked up: the parameters stay pairs, so that counting
  // a row builds no string.
  struct Entry {
    std::string scheme;
    Params params;
    bool other = false;  // the "(other)" group of a scheme past k_max_groups
    Verdict verdict;
    std::size_t next;  // the next entry with the same hash, or k_no_entry
    std::uint64_t count = 0;
  };
  static constexpr std::size_t k_no_entry = static_cast<std::size_t>(-1);

  void add_to_group(std::string_view scheme, const Params& params, bool other, Verdict verdict);

  std::uint64_t total_ = 0;
  std::uint64_t blank_lines_ = 0;
  std::array<std::uint64_t, k_verdicts.size()> by_verdict_{};
  std::vector<Entry> entries_;
  // Hash of scheme, parameters and verdict -> first entry with that hash.
  std::unordered_map<std::uint64_t, std::size_t> index_;
};

enum class ReportFormat { text, json, csv };

void print_report(std::ostream& out, const Tally& tally, ReportFormat format);

}  // namespace pwsvc::cli

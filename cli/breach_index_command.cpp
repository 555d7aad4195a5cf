// pwsvc breach-index: build and query the offline breached-password index.
#include <cctype>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "password_input.hpp"
#include "pwsvc/breach_index.hpp"

namespace pwsvc::cli {

namespace {

// Bounds the bytes read from stdin; a longer password is rejected as invalid.
constexpr std::size_t k_max_check_password_bytes = 4096;

struct BuildOptions {
  std::string format = "auto";
  std::string memory = "256M";
  std::string list_path;
  std::string index_path;
};

struct CheckOptions {
  std::string index_path;
  std::optional<int> password_fd;
};

// Parses "SIZE" as bytes with an optional binary suffix K, M or G ("KiB" and
// "MiB" are accepted too). Returns nothing when the text is not a size.
std::optional<std::size_t> parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 12) {
    return std::nullopt;
  }

  std::string suffix = text.substr(digits);
  for (char& c : suffix) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const std::map<std::string, unsigned> shifts = {
      {"", 0}, {"B", 0}, {"K", 10}, {"KIB", 10}, {"M", 20}, {"MIB", 20}, {"G", 30}, {"GIB", 30}};
  const auto shift = shifts.find(suffix);
  if (shift == shifts.end()) {
    return std::nullopt;
  }
  const std::uint64_t value = std::stoull(text.substr(0, digits));
  if (value > (std::numeric_limits<std::size_t>::max() >> shift->second)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(value) << shift->second;
}

std::string_view format_name(BreachListFormat format) {
  switch (format) {
    case BreachListFormat::hibp:
      return "hibp";
    case BreachListFormat::words:
      return "words";
    case BreachListFormat::automatic:
      break;
  }
  return "auto";
}

int run_build(const BuildOptions& options) {
  const auto memory = parse_size(options.memory);
  if (!memory) {
    return print_error("invalid --memory value '" + options.memory +
                           "'; give bytes with an optional K, M or G suffix, e.g. 256M",
                       k_exit_usage);
  }

  const std::map<std::string, BreachListFormat> formats = {{"auto", BreachListFormat::automatic},
                                                           {"hibp", BreachListFormat::hibp},
                                                           {"words", BreachListFormat::words}};
  auto stats = build_breach_index(options.list_path, options.index_path,
                                  BreachBuildOptions{formats.at(options.format), *memory});
  if (!stats) {
    return print_error(stats.error());
  }
  std::cout << "wrote " << options.index_path << ": " << stats->entries << " entries from "
            << stats->lines << " lines (format " << format_name(stats->format) << ", "
            << stats->duplicates << " duplicates merged, " << stats->runs << " sorted runs, "
            << stats->index_bytes << " bytes)\n";
  return k_exit_ok;
}

int run_check(const CheckOptions& options) {
  auto index = BreachIndex::open(options.index_path);
  if (!index) {
    return print_error(index.error());
  }
  auto password = read_password(options.password_fd, Confirm::no, k_max_check_password_bytes);
  if (!password) {
    return print_error(password.error());
  }

  const auto count = index->contains_password(password->view());
  if (!count) {
    std::cout << "not found\n";
    return k_exit_ok;
  }
  std::cout << "found, seen " << (*count == 1 ? std::string("once") : std::to_string(*count) + " times")
            << "\n";
  return k_exit_mismatch;
}

void add_build(CLI::App& parent, int& status) {
  auto options = std::make_shared<BuildOptions>();
  CLI::App* build = parent.add_subcommand("build", "Build an index from a HIBP or word list");
  build
      ->add_option("--format", options->format,
                   "List format: hibp (HEX:COUNT lines of SHA-1), words (one password a "
                   "line), or auto (hibp when the first line parses as hibp; default)")
      ->check(CLI::IsMember({"auto", "hibp", "words"}))
      ->type_name("FORMAT");
  build
      ->add_option("--memory", options->memory,
                   "Sort buffer size in bytes, with an optional K, M or G suffix; larger lists "
                   "are sorted in runs on disk next to OUT (default: 256M, minimum: 1M)")
      ->type_name("SIZE");
  build->add_option("LIST", options->list_path, "The breach list to read")->required();
  build->add_option("OUT", options->index_path, "The index file to write")->required();
  build->footer(
      "Equal hashes are merged by summing their counts. OUT is replaced atomically.\n\n"
      "Example:\n"
      "  pwsvc breach-index build --memory 1G pwned-passwords-sha1.txt breached.idx");
  build->callback([options, &status] { status = run_build(*options); });
}

void add_check(CLI::App& parent, int& status) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* check = parent.add_subcommand("check", "Look up a password read from stdin in an index");
  check->add_option("INDEX", options->index_path, "The index file")->required();
  check->add_option("--password-fd", options->password_fd,
                    "Read the password's exact bytes from file descriptor FD until end of file")
      ->type_name("FD");
  check->footer(
      "Exit status: 0 not found, 1 found, 2 usage error or invalid index.\n\n"
      "Example:\n"
      "  printf '%s' 'hunter2' | pwsvc breach-index check breached.idx");
  check->callback([options, &status] { status = run_check(*options); });
}

}  // namespace

void add_breach_index_command(CLI::App& app, int& status) {
  CLI::App* command =
      app.add_subcommand("breach-index", "Build or query an offline index of breached passwords");
  command->require_subcommand(1);
  add_build(*command, status);
  add_check(*command, status);
}

}  // namespace pwsvc::cli

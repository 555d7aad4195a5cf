// pwsvc audit: judge every stored hash of a dump against the policy, in
// constant memory, and report counts by scheme, parameters and verdict.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "audit_input.hpp"
#include "audit_report.hpp"
#include "commands.hpp"

namespace pwsvc::cli {

namespace {

using VerdictSet = std::array<bool, k_verdicts.size()>;

struct AuditOptions {
  std::vector<std::string> files;
  bool csv = false;
  bool jsonl = false;
  bool no_header = false;
  InputSpec spec;
  std::string format = "text";
  std::string list;
  bool show_hash = false;
  std::string fail_on;
  bool no_progress = false;
};

// Unreadable rows are reported one by one up to this count, then only counted.
constexpr std::uint64_t k_max_row_warnings = 10;

std::optional<VerdictSet> parse_verdicts(const std::string& text, const char* option) {
  VerdictSet set{};
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string name = text.substr(start, comma - start);
    std::replace(name.begin(), name.end(), '_', '-');
    bool known = false;
    for (Verdict verdict : k_verdicts) {
      if (name == verdict_name(verdict)) {
        set[static_cast<int>(verdict)] = true;
        known = true;
      }
    }
    if (!known) {
      print_error(std::string(option) + ": unknown verdict '" + name +
                      "'; use ok, weak, legacy, over-limit, locked, invalid or unknown",
                  k_exit_usage);
      return std::nullopt;
    }
    start = comma + 1;
  }
  return set;
}

// Returns the exit status of a usage error, or k_exit_ok.
int check_usage(AuditOptions& options) {
  if (options.csv && options.jsonl) {
    return print_error("--csv and --jsonl cannot be combined; choose one input format", k_exit_usage);
  }
  if (options.csv != !options.spec.column.empty()) {
    return print_error("--csv needs --column COL, and --column applies only to --csv",
                       k_exit_usage);
  }
  if (options.jsonl != !options.spec.field.empty()) {
    return print_error("--jsonl needs --field NAME, and --field applies only to --jsonl",
                       k_exit_usage);
  }
  if ((!options.spec.id_column.empty() || options.no_header) && !options.csv) {
    return print_error("--id-column and --no-header apply only to --csv", k_exit_usage);
  }
  if (!options.spec.id_field.empty() && !options.jsonl) {
    return print_error("--id-field applies only to --jsonl", k_exit_usage);
  }
  if (options.show_hash && options.list.empty()) {
    return print_error("--show-hash applies only to --list", k_exit_usage);
  }
  options.spec.format = options.csv     ? InputFormat::csv
                        : options.jsonl ? InputFormat::jsonl
                                        : InputFormat::lines;
  options.spec.csv_header = !options.no_header;
  if (options.files.empty()) {
    options.files.push_back("-");
  }
  return k_exit_ok;
}

// Appends `text`, writing control bytes as \xNN so one row stays one line.
void append_printable(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
}

// The --list output, buffered so that millions of ids cost few writes.
class ListWriter {
 public:
  ~ListWriter() { flush(); }

  void write(const LineReader& lines, const Row& row, bool show_hash) {
    if (row.id.empty()) {
      append_printable(buffer_, lines.name());
      buffer_ += ':';
      buffer_ += std::to_string(row.line);
    } else {
      append_printable(buffer_, row.id);
    }
    if (show_hash) {
      buffer_ += '\t';
      append_printable(buffer_, row.hash);
    }
    buffer_ += '\n';
    if (buffer_.size() >= 1 << 16) {
      flush();
    }
  }

  void flush() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
    std::fflush(stdout);
    buffer_.clear();
  }

 private:
  std::string buffer_;
};

// The progress line on stderr: rows, bytes, rate and, when every input's
// size is known, the time left.
class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  Progress(bool enabled, std::optional<std::uint64_t> total_bytes)
      : enabled_(enabled), total_bytes_(total_bytes), start_(Clock::now()), last_(start_) {}

  // Called once a row; looks at the clock only every 16384 rows.
  void tick(std::uint64_t rows, std::uint64_t done_bytes, const LineReader& lines) {
    if (!enabled_ || (rows & 0x3fff) != 0) {
      return;
    }
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) {
      return;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const std::uint64_t bytes = done_bytes + lines.position().value_or(lines.text_bytes());
    char text[160];
    int length = std::snprintf(text, sizeof text, "\rpwsvc: audit: %llu rows, %.1f MiB, %.0f rows/s",
                               static_cast<unsigned long long>(rows),
                               static_cast<double>(bytes) / 1048576.0,
                               static_cast<double>(rows) / seconds);
    if (total_bytes_ && bytes > 0 && *total_bytes_ >= bytes) {
      const double left = seconds * static_cast<double>(*total_bytes_ - bytes) / static_cast<double>(bytes);
      length += std::snprintf(text + length, sizeof text - length, ", %.0f s left", left);
    }
    std::fprintf(stderr, "%s\033[K", text);
    shown_ = true;
  }

  void clear() {
    if (shown_) {
      std::fputs("\r\033[K", stderr);
      shown_ = false;
    }
  }

 private:
  bool enabled_;
  std::optional<std::uint64_t> total_bytes_;
  Clock::time_point start_;
  Clock::time_point last_;
  bool shown_ = false;
};

// The state of one run over all input files.
struct AuditRun {
  const Engine& engine;
  const AuditOptions& options;
  VerdictSet fail_on{};
  VerdictSet list{};
  bool listing = false;
  Tally tally;
  ListWriter writer;
  bool failed = false;
  std::uint64_t unreadable_rows = 0;
  std::uint64_t done_bytes = 0;
};

void count_row(AuditRun& run, const RowReader& rows, const Row& row) {
  Verdict verdict = Verdict::invalid;
  if (row.problem.empty()) {
    const Classification found = run.engine.classify(row.hash);
    verdict = found.verdict;
    run.tally.add(found);
  } else {
    run.tally.add_unreadable();
    if (++run.unreadable_rows <= k_max_row_warnings) {
      std::cerr << "pwsvc: warning: " << rows.lines().name() << ": line " << row.line
                << ": unreadable row, counted as invalid: " << row.problem << "\n";
    }
  }

  const auto index = static_cast<int>(verdict);
  run.failed = run.failed || run.fail_on[index];
  if (run.listing && run.list[index]) {
    run.writer.write(rows.lines(), row, run.options.show_hash);
  }
}

// Audits one file. Returns false after printing the error that stopped it.
bool audit_file(AuditRun& run, const std::string& path, Progress& progress) {
  std::string error;
  auto lines = LineReader::open(path, error);
  if (!lines) {
    progress.clear();
    print_error(error, k_exit_usage);
    return false;
  }
  auto rows = make_row_reader(std::move(lines), run.options.spec);

  Row row;
  for (;;) {
    const RowReader::Status status = rows->next(row);
    if (status == RowReader::Status::end) {
      break;
    }
    if (status == RowReader::Status::error) {
      progress.clear();
      print_error(rows->error(), k_exit_usage);
      return false;
    }
    if (status == RowReader::Status::blank) {
      run.tally.add_blank();
      continue;
    }
    count_row(run, *rows, row);
    progress.tick(run.tally.total(), run.done_bytes, rows->lines());
  }
  const LineReader& done = rows->lines();
  run.done_bytes += done.size().value_or(done.text_bytes());
  return true;
}

// Opens every input once before the audit starts, so that a missing file
// fails at once instead of after an hour of work on the files before it.
std::optional<std::uint64_t> check_inputs(const std::vector<std::string>& files, int& status) {
  std::optional<std::uint64_t> total = 0;
  for (const auto& path : files) {
    std::string error;
    auto lines = LineReader::open(path, error);
    if (!lines) {
      status = print_error(error, k_exit_usage);
      return std::nullopt;
    }
    if (total && lines->size()) {
      *total += *lines->size();
    } else {
      total.reset();
    }
  }
  status = k_exit_ok;
  return total;
}

int run_audit(AuditOptions& options, const GlobalOptions& global) {
  if (const int usage = check_usage(options); usage != k_exit_ok) {
    return usage;
  }
  if (global.remote) {
    return print_error("audit runs locally only; drop --remote", k_exit_usage);
  }
  const LoadedSettings loaded = load_settings(global);
  if (loaded.failure != k_exit_ok) {
    return loaded.failure;
  }
  auto made = make_engine(loaded.settings);
  if (!made) {
    return print_error(made.error().message, exit_code_for(made.error().code));
  }
  const Engine engine = std::move(*made);

  AuditRun run{engine, options, {}, {}, false, {}, {}, false, 0, 0};
  if (!options.fail_on.empty()) {
    auto set = parse_verdicts(options.fail_on, "--fail-on");
    if (!set) return k_exit_usage;
    run.fail_on = *set;
  }
  if (!options.list.empty()) {
    auto set = parse_verdicts(options.list, "--list");
    if (!set) return k_exit_usage;
    run.list = *set;
    run.listing = true;
  }

  int status = k_exit_ok;
  const auto total_bytes = check_inputs(options.files, status);
  if (status != k_exit_ok) {
    return status;
  }
  const bool show_progress = !options.no_progress && isatty(STDERR_FILENO) != 0;
  Progress progress(show_progress, total_bytes);
  for (const auto& path : options.files) {
    if (!audit_file(run, path, progress)) {
      return k_exit_usage;
    }
  }
  progress.clear();

  if (run.unreadable_rows > k_max_row_warnings) {
    std::cerr << "pwsvc: warning: " << run.unreadable_rows - k_max_row_warnings
              << " more unreadable rows not shown\n";
  }
  if (run.listing) {
    run.writer.flush();
  } else {
    const ReportFormat format = options.format == "json" ? ReportFormat::json
                                : options.format == "csv" ? ReportFormat::csv
                                                          : ReportFormat::text;
    print_report(std::cout, run.tally, format);
  }
  return run.failed ? k_exit_mismatch : k_exit_ok;
}

}  // namespace

void add_audit_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<AuditOptions>();
  CLI::App* command = app.add_subcommand(
      "audit", "Count the stored hashes of a dump by scheme, parameters and policy verdict");
  command->add_option("file", options->files,
                      "Dump files, plain or gzip; '-' or none reads stdin")
      ->type_name("FILE");

  command->add_flag("--csv", options->csv, "Read CSV (RFC 4180) with a header row");
  command->add_option("--column", options->spec.column,
                      "CSV column of the hash: a header name or a 1-based number")
      ->type_name("COL");
  command->add_option("--id-column", options->spec.id_column,
                      "CSV column of the row id shown by --list (default: FILE:LINE)")
      ->type_name("COL");
  command->add_flag("--no-header", options->no_header,
                    "The CSV has no header row; columns are numbers");

  command->add_flag("--jsonl", options->jsonl, "Read JSON lines, one object a line");
  command->add_option("--field", options->spec.field, "JSON member containing the hash")
      ->type_name("NAME");
  command->add_option("--id-field", options->spec.id_field,
                      "JSON member of the row id shown by --list (default: FILE:LINE)")
      ->type_name("NAME");

  command->add_option("--format", options->format, "Summary format: text, json or csv (default: text)")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  command->add_option("--list", options->list,
                      "Print the ids of the rows with these verdicts instead of the summary")
      ->type_name("VERDICT[,VERDICT...]");
  command->add_flag("--show-hash", options->show_hash,
                    "With --list, print each row's hash after its id, separated by a tab");
  command->add_option("--fail-on", options->fail_on,
                      "Exit with status 1 when any row has one of these verdicts")
      ->type_name("VERDICT[,VERDICT...]");
  command->add_flag("--no-progress", options->no_progress,
                    "Print no progress line on stderr (default: printed when stderr is a terminal)");

  command->footer(
      "Lines hold a bare hash or name:hash[:...] as in /etc/shadow and htpasswd.\n"
      "Empty lines are skipped and counted apart from rows. Rows that cannot be read\n"
      "(bad CSV quoting, invalid JSON) count as invalid and are reported with their line.\n"
      "Verdicts: ok, weak, legacy, over-limit, locked, invalid, unknown, old-key,\n"
      "unpeppered.\n\n"
      "Exit status: 0 done, 1 a row has a --fail-on verdict, 2 usage error or an input\n"
      "that cannot be read (missing file, corrupt gzip, CSV column not in the header).\n\n"
      "Examples:\n"
      "  pwsvc audit /etc/shadow\n"
      "  pwsvc audit --csv --column password_hash --id-column email users.csv.gz\n"
      "  pwsvc audit --jsonl --field hash --list weak,legacy dump.jsonl\n"
      "  pwsvc audit --format json --fail-on invalid,unknown hashes.txt");
  command->callback([options, &global, &status] { status = run_audit(*options, global); });
}

}  // namespace pwsvc::cli

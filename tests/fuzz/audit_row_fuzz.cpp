// Fuzzes pwsvc audit's row parsing: a whole input file is read with the
// line, CSV or JSON-lines reader, each row's hash is split off and
// classified, and the tally is printed in every report format.
//
// Input: one byte that picks the input format and columns, then the file,
// which may also be gzip-compressed.
#include <array>
#include <sstream>

#include <sys/mman.h>
#include <unistd.h>

#include "audit_input.hpp"
#include "audit_report.hpp"
#include "fuzz_support.hpp"

using pwsvc::cli::InputFormat;
using pwsvc::cli::InputSpec;
using pwsvc::cli::RowReader;
using pwsvc::fuzz::check;

namespace {

const pwsvc::Engine& engine() {
  static const pwsvc::Engine instance(pwsvc::fuzz::tiny_policy(), pwsvc::fuzz::tiny_limits());
  return instance;
}

InputSpec pick_spec(std::uint8_t selector) {
  InputSpec spec;
  switch (selector % 5) {
    case 1:
      spec.format = InputFormat::csv;
      spec.column = "hash";
      spec.id_column = "user";
      break;
    case 2:
      spec.format = InputFormat::csv;
      spec.csv_header = false;
      spec.column = "2";
      spec.id_column = "1";
      break;
    case 3:
      spec.format = InputFormat::jsonl;
      spec.field = "hash";
      spec.id_field = "user";
      break;
    case 4:
      spec.format = InputFormat::jsonl;
      spec.field = "password_hash";
      break;
    default:
      break;
  }
  return spec;
}

// An in-memory file that LineReader can open by path, like a dump on disk.
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view content) : fd_(::memfd_create("audit-input", 0)) {
    check(fd_ >= 0, "memfd_create failed");
    std::size_t written = 0;
    while (written < content.size()) {
      const ssize_t count = ::write(fd_, content.data() + written, content.size() - written);
      check(count > 0, "writing the memory file failed");
      written += static_cast<std::size_t>(count);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

void print_reports(const pwsvc::cli::Tally& tally) {
  for (const auto format : {pwsvc::cli::ReportFormat::text, pwsvc::cli::ReportFormat::json,
                            pwsvc::cli::ReportFormat::csv}) {
    std::ostringstream out;
    pwsvc::cli::print_report(out, tally, format);
    check(!out.str().empty(), "a report is empty");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const MemoryFile file(pwsvc::fuzz::as_text(data + 1, size - 1));
  std::string error;
  auto lines = pwsvc::cli::LineReader::open(file.path(), error);
  check(lines != nullptr, "LineReader cannot open a memory file");
  auto rows = pwsvc::cli::make_row_reader(std::move(lines), pick_spec(data[0]));

  pwsvc::cli::Tally tally;
  pwsvc::cli::Row row;
  std::uint64_t counted = 0;
  std::uint64_t last_line = 0;
  for (RowReader::Status status = rows->next(row); status != RowReader::Status::end &&
                                                   status != RowReader::Status::error;
       status = rows->next(row)) {
    check(counted + tally.blank_lines() <= size, "the reader returns more rows than bytes");
    if (status == RowReader::Status::blank) {
      tally.add_blank();
      continue;
    }
    check(row.line >= last_line, "row line numbers go backwards");
    last_line = row.line;
    if (row.problem.empty()) {
      tally.add(engine().classify(row.hash));
    } else {
      tally.add_unreadable();
    }
    ++counted;
  }
  check(tally.total() == counted, "the tally total differs from the rows counted");
  print_reports(tally);
  return 0;
}

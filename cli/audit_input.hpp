// Readers for pwsvc audit: stored hashes from plain or gzip files as lines,
// name:hash records, CSV or JSON lines, in constant memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

namespace pwsvc::cli {

// Splits a plain or gzip-compressed file into lines; zlib reads plain files
// through unchanged, so the magic bytes decide. Lines longer than
// k_max_line_bytes are reported as too long and skipped.
class LineReader {
 public:
  enum class Status { line, too_long, end, error };

  static constexpr std::size_t k_max_line_bytes = 1 << 20;

  // Opens `path`, or stdin for "-". Returns nullptr and sets `error` when
  // the file cannot be opened.
  static std::unique_ptr<LineReader> open(const std::string& path, std::string& error);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the next line into `line` without its "\n" or "\r\n". The view
  // stays valid until the next call. On Status::error, error() describes the failure.
  Status next(std::string_view& line);

  const std::string& name() const { return name_; }
  std::uint64_t line_number() const { return line_number_; }
  const std::string& error() const { return error_; }
  // Bytes of the file consumed so far (compressed bytes for gzip), when
  // the file is seekable.
  std::optional<std::uint64_t> position() const;
  // The file's size in bytes when it is a regular file.
  std::optional<std::uint64_t> size() const { return size_; }
  // Bytes of text read so far, after decompression.
  std::uint64_t text_bytes() const { return text_bytes_; }

 private:
  LineReader(gzFile file, std::string name, std::optional<std::uint64_t> size);
  bool fill();

  gzFile file_;
  std::string name_;
  std::optional<std::uint64_t> size_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t text_bytes_ = 0;
  std::string error_;
};

enum class InputFormat { lines, csv, jsonl };

// The input format and the fields that contain the hash and the row id.
struct InputSpec {
  InputFormat format = InputFormat::lines;
  std::string column;  // CSV: header name or 1-based index
  std::string id_column;
  bool csv_header = true;
  std::string field;  // JSON lines: member name
  std::string id_field;
};

// One row of a dump. The views stay valid until the next call to next().
struct Row {
  std::string_view hash;
  std::string_view id;  // empty when the input has no id for the row
  std::uint64_t line = 0;  // first line of the row
  std::string_view problem;  // set for a row whose hash cannot be extracted
};

// Reads rows from one file in one of the input formats.
class RowReader {
 public:
  enum class Status { row, blank, end, error };

  virtual ~RowReader() = default;
  // Reads the next row. A row that cannot be read gets Status::row with
  // `problem` set; Status::error is for failures that stop the file, such as
  // a corrupt gzip stream or a CSV column that is not in the header.
  virtual Status next(Row& row) = 0;
  virtual const std::string& error() const = 0;
  virtual const LineReader& lines() const = 0;
};

// Reads the next line into `line` and starts `row` at its line number.
// Returns the status to hand back for anything but an ordinary line (end of
// input, a failure, a blank line, or a row that is too long), else nothing.
std::optional<RowReader::Status> begin_row(LineReader& lines, Row& row, std::string_view& line);

std::unique_ptr<RowReader> make_row_reader(std::unique_ptr<LineReader> lines,
                                           const InputSpec& spec);

// Splits a name:hash line as in /etc/shadow or htpasswd, or returns the
// whole line as the hash. Werkzeug hashes, which contain colons, are
// recognised before splitting. Exposed for tests of the rules.
void split_name_and_hash(std::string_view line, std::string_view& name, std::string_view& hash);

}  // namespace pwsvc::cli

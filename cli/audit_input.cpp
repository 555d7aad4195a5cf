// Line splitting, gzip decoding and plain-line rows of pwsvc audit.
#include "audit_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/json.hpp>

namespace pwsvc::cli {

namespace {

// zlib's own buffer; larger reads cost fewer system calls on big dumps.
constexpr unsigned k_zlib_buffer_bytes = 256 * 1024;
constexpr std::size_t k_read_bytes = 1 << 20;

}  // namespace

std::unique_ptr<LineReader> LineReader::open(const std::string& path, std::string& error) {
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const std::string name = is_stdin ? "<stdin>" : path;
  if (fd < 0) {
    error = name + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }

  struct stat info {};
  if (fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    error = name + ": cannot read: " + (S_ISDIR(info.st_mode) ? "is a directory"
                                                              : std::strerror(errno));
    close(fd);
    return nullptr;
  }
  std::optional<std::uint64_t> size;
  if (S_ISREG(info.st_mode)) {
    size = static_cast<std::uint64_t>(info.st_size);
  }

  gzFile file = gzdopen(fd, "rb");
  if (file == nullptr) {
    error = name + ": cannot open: out of memory";
    close(fd);
    return nullptr;
  }
  gzbuffer(file, k_zlib_buffer_bytes);
  return std::unique_ptr<LineReader>(new LineReader(file, name, size));
}

LineReader::LineReader(gzFile file, std::string name, std::optional<std::uint64_t> size)
    : file_(file), name_(std::move(name)), size_(size), buffer_(k_max_line_bytes + k_read_bytes) {}

LineReader::~LineReader() { gzclose(file_); }

std::optional<std::uint64_t> LineReader::position() const {
  const z_off_t offset = gzoffset(file_);
  if (offset < 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(offset);
}

// Moves the unread tail to the front and reads more. Returns false on a
// read or decompression error.
bool LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const int got = gzread(file_, buffer_.data() + end_,
                         static_cast<unsigned>(std::min(k_read_bytes, buffer_.size() - end_)));
  if (got < 0) {
    int code = 0;
    error_ = name_ + ": line " + std::to_string(line_number_ + 1) +
             ": cannot read: " + gzerror(file_, &code);
    if (code == Z_ERRNO) {
      error_ += std::string(" (") + std::strerror(errno) + ")";
    }
    return false;
  }
  if (got == 0) {
    int code = 0;
    const char* message = gzerror(file_, &code);
    // A gzip stream cut short reads as end of input with Z_BUF_ERROR.
    if (code != Z_OK && code != Z_STREAM_END) {
      error_ = name_ + ": line " + std::to_string(line_number_ + 1) +
               ": cannot read: " + message + " (corrupt or truncated gzip data)";
      return false;
    }
    eof_ = true;
  }
  end_ += static_cast<std::size_t>(got);
  text_bytes_ += static_cast<std::uint64_t>(got);
  return true;
}

LineReader::Status LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      std::size_t length = static_cast<std::size_t>(newline - start);
      begin_ += length + 1;
      ++line_number_;
      if (skipping_) {
        skipping_ = false;
        return Status::too_long;
      }
      if (length > 0 && start[length - 1] == '\r') {
        --length;
      }
      line = std::string_view(start, length);
      return Status::line;
    }

    if (eof_) {
      if (begin_ == end_ && !skipping_) {
        return Status::end;
      }
      // The last line has no line ending.
      ++line_number_;
      line = std::string_view(start, end_ - begin_);
      begin_ = end_;
      if (skipping_) {
        skipping_ = false;
        return Status::too_long;
      }
      return Status::line;
    }

    if (end_ - begin_ >= k_max_line_bytes) {
      // Drop the start of an over-long line and keep reading to its end.
      skipping_ = true;
      begin_ = end_ = 0;
    }
    if (!fill()) {
      return Status::error;
    }
  }
}

namespace {

// Returns the length of a Werkzeug prefix such as "pbkdf2:sha256:600000" or
// "pbkdf2:sha256" that `text` starts with, up to its first '$', or 0.
std::size_t werkzeug_prefix_length(std::string_view text) {
  constexpr std::string_view k_method = "pbkdf2:";
  if (!text.starts_with(k_method)) {
    return 0;
  }
  std::size_t at = k_method.size();
  const std::size_t digest_start = at;
  while (at < text.size() && (std::isalnum(static_cast<unsigned char>(text[at])) != 0)) {
    ++at;
  }
  if (at == digest_start || at == text.size()) {
    return 0;
  }
  if (text[at] == ':') {
    const std::size_t digits_start = ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0) {
      ++at;
    }
    if (at == digits_start || at == text.size()) {
      return 0;
    }
  }
  return text[at] == '$' ? at : 0;
}

// Returns `text` up to its first ':' after `skip` characters.
std::string_view up_to_colon(std::string_view text, std::size_t skip) {
  const std::size_t colon = text.find(':', skip);
  return colon == std::string_view::npos ? text : text.substr(0, colon);
}

}  // namespace

void split_name_and_hash(std::string_view line, std::string_view& name, std::string_view& hash) {
  name = {};
  // No user name starts with '$' or '{', and crypt(3) and LDAP hashes do.
  if (line.starts_with('$') || line.starts_with('{')) {
    hash = line;
    return;
  }
  if (const std::size_t prefix = werkzeug_prefix_length(line); prefix > 0) {
    hash = up_to_colon(line, prefix);
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    hash = line;
    return;
  }
  name = line.substr(0, colon);
  const std::string_view rest = line.substr(colon + 1);
  hash = up_to_colon(rest, werkzeug_prefix_length(rest));
}

std::optional<RowReader::Status> begin_row(LineReader& lines, Row& row, std::string_view& line) {
  const auto status = lines.next(line);
  row = Row{};
  row.line = lines.line_number();
  if (status == LineReader::Status::too_long) {
    row.problem = "the line is longer than 1 MiB";
    return RowReader::Status::row;
  }
  if (status != LineReader::Status::line) {
    return status == LineReader::Status::end ? RowReader::Status::end : RowReader::Status::error;
  }
  if (line.empty()) {
    return RowReader::Status::blank;
  }
  return std::nullopt;
}

namespace {

// Plain lines: a bare hash, or name:hash[:...] as in /etc/shadow.
class PlainRowReader final : public RowReader {
 public:
  explicit PlainRowReader(std::unique_ptr<LineReader> lines) : lines_(std::move(lines)) {}

  Status next(Row& row) override {
    std::string_view line;
    if (const auto early = begin_row(*lines_, row, line)) {
      return *early;
    }
    split_name_and_hash(line, row.id, row.hash);
    return Status::row;
  }

  const std::string& error() const override { return lines_->error(); }
  const LineReader& lines() const override { return *lines_; }

 private:
  std::unique_ptr<LineReader> lines_;
};

}  // namespace

std::unique_ptr<RowReader> make_csv_row_reader(std::unique_ptr<LineReader> lines,
                                               const InputSpec& spec);
std::unique_ptr<RowReader> make_jsonl_row_reader(std::unique_ptr<LineReader> lines,
                                                 const InputSpec& spec);

std::unique_ptr<RowReader> make_row_reader(std::unique_ptr<LineReader> lines,
                                           const InputSpec& spec) {
  switch (spec.format) {
    case InputFormat::lines:
      return std::make_unique<PlainRowReader>(std::move(lines));
    case InputFormat::csv:
      return make_csv_row_reader(std::move(lines), spec);
    case InputFormat::jsonl:
      return make_jsonl_row_reader(std::move(lines), spec);
  }
  return nullptr;
}

}  // namespace pwsvc::cli

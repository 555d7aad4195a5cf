// Breach index builder (external sort of a HIBP or word list) and mmap reader.
#include "pwsvc/breach_index.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <queue>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pwsvc {

// NOTE: the file format is little-endian and the reader loads integers with
// memcpy in host order, so big-endian hosts are not supported.
static_assert(std::endian::native == std::endian::little, "breach index needs a little-endian host");

namespace {

constexpr char k_magic[8] = {'P', 'W', 'S', 'V', 'C', 'B', 'I', '1'};
constexpr std::uint32_t k_version = 1;
constexpr std::size_t k_header_bytes = 64;
constexpr std::size_t k_record_bytes = 12;
constexpr unsigned k_min_bucket_bits = 8;
constexpr unsigned k_max_bucket_bits = 20;
constexpr std::uint64_t k_target_bucket_records = 256;
constexpr std::size_t k_max_reported_lines = 5;
constexpr std::size_t k_io_buffer_bytes = std::size_t{1} << 20;
// Longer lines are malformed in both formats. Must stay below k_io_buffer_bytes.
constexpr std::size_t k_max_line_bytes = 65536;

struct Entry {
  std::uint64_t key;
  std::uint32_t count;
};

std::uint64_t load_u64(const unsigned char* bytes) {
  std::uint64_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

std::uint32_t load_u32(const unsigned char* bytes) {
  std::uint32_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

std::uint64_t key_of(const Sha1Digest& digest) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    key = (key << 8) | digest[i];
  }
  return key;
}

std::uint32_t saturated_sum(std::uint32_t a, std::uint32_t b) {
  const std::uint64_t sum = std::uint64_t{a} + b;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, std::numeric_limits<std::uint32_t>::max()));
}

std::string system_error(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// Chooses enough buckets for about k_target_bucket_records records each.
unsigned bucket_bits_for(std::uint64_t entries) {
  unsigned bits = k_min_bucket_bits;
  while (bits < k_max_bucket_bits && (entries >> bits) > k_target_bucket_records) {
    ++bits;
  }
  return bits;
}

// ---- Parsing the list ----

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Parses "HEX" or "HEX:COUNT". Counts above 2^32 - 1 saturate.
std::optional<Entry> parse_hibp_line(std::string_view line) {
  if (line.size() < 40) {
    return std::nullopt;
  }
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    const int value = hex_value(line[i]);
    if (value < 0) {
      return std::nullopt;
    }
    if (i < 16) {
      key = (key << 4) | static_cast<std::uint64_t>(value);
    }
  }
  if (line.size() == 40) {
    return Entry{key, 1};
  }

  const std::string_view count_text = line.substr(41);
  if (line[40] != ':' || count_text.empty()) {
    return std::nullopt;
  }
  std::uint32_t count = 0;
  for (const char c : count_text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const std::uint64_t next = std::uint64_t{count} * 10 + static_cast<unsigned>(c - '0');
    count = static_cast<std::uint32_t>(std::min<std::uint64_t>(next, std::numeric_limits<std::uint32_t>::max()));
  }
  return Entry{key, count};
}

Entry word_entry(std::string_view line) {
  return Entry{key_of(sha1_digest(as_bytes(line))), 1};
}

// One line of the list, without "\n" or "\r\n".
struct ListLine {
  std::string_view text;  // empty when too_long
  bool too_long = false;
};

// Reads a list line by line through a fixed buffer, so memory stays bounded
// whatever the input. A line over k_max_line_bytes is skipped and flagged.
class LineReader {
 public:
  explicit LineReader(std::FILE* file) : file_(file), buffer_(k_io_buffer_bytes) {}

  // Returns the next line, valid until the next call, or nothing at the end.
  std::optional<ListLine> next() {
    while (true) {
      const char* start = buffer_.data() + begin_;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
      if (newline != nullptr) {
        const auto length = static_cast<std::size_t>(newline - start);
        begin_ += length + 1;
        return complete(std::string_view(start, length));
      }
      // One byte more than the maximum leaves room for a "\r" before the "\n".
      if (end_ - begin_ > k_max_line_bytes + 1) {
        skip_rest_of_line();
        return ListLine{{}, true};
      }
      if (end_of_file_) {
        if (begin_ == end_) {
          return std::nullopt;
        }
        const std::string_view rest(start, end_ - begin_);
        begin_ = end_;
        return complete(rest);
      }
      refill();
    }
  }

 private:
  static ListLine complete(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() > k_max_line_bytes) {
      return ListLine{{}, true};
    }
    return ListLine{line, false};
  }

  // Moves the unread bytes to the front and reads more after them.
  void refill() {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    const std::size_t read = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
    end_ += read;
    end_of_file_ = read == 0;
  }

  // Discards bytes up to and including the next newline.
  void skip_rest_of_line() {
    while (true) {
      begin_ = end_;
      refill();
      if (end_of_file_) {
        return;
      }
      const void* newline = std::memchr(buffer_.data(), '\n', end_);
      if (newline != nullptr) {
        begin_ = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.data()) + 1;
        return;
      }
    }
  }

  std::FILE* file_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool end_of_file_ = false;
};

// Counts malformed lines and keeps the first few line numbers for the error.
class MalformedLines {
 public:
  void add(std::uint64_t line_number) {
    if (reported_.size() < k_max_reported_lines) {
      reported_.push_back(line_number);
    }
    ++count_;
  }

  bool empty() const { return count_ == 0; }

  std::string message(const std::string& list_path, BreachListFormat format) const {
    const std::string expected =
        format == BreachListFormat::hibp
            ? "expected 40 hex digits of a SHA-1 and an optional ':COUNT'"
            : "expected a password of at most " + std::to_string(k_max_line_bytes) + " bytes";
    std::string text = list_path + ": " + std::to_string(count_) + " malformed line(s), " +
                       expected + "; first at line(s)";
    for (const std::uint64_t line : reported_) {
      text += ' ';
      text += std::to_string(line);
    }
    text += ". Fix or delete them";
    if (format == BreachListFormat::hibp) {
      text += ", or build the list as a word list if it contains passwords";
    }
    return text;
  }

 private:
  std::vector<std::uint64_t> reported_;
  std::uint64_t count_ = 0;
};

// ---- Sorted runs ----

using FileCloser = decltype([](std::FILE* file) { std::fclose(file); });
using FilePointer = std::unique_ptr<std::FILE, FileCloser>;

// Sorts `entries` by key and merges equal keys in place.
std::uint64_t sort_and_merge(std::vector<Entry>& entries) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });

  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (kept > 0 && entries[kept - 1].key == entries[i].key) {
      entries[kept - 1].count = saturated_sum(entries[kept - 1].count, entries[i].count);
    } else {
      entries[kept++] = entries[i];
    }
  }
  const std::uint64_t merged = entries.size() - kept;
  entries.resize(kept);
  return merged;
}

bool write_entry(std::FILE* file, const Entry& entry) {
  unsigned char record[k_record_bytes];
  std::memcpy(record, &entry.key, 8);
  std::memcpy(record + 8, &entry.count, 4);
  return std::fwrite(record, k_record_bytes, 1, file) == 1;
}

// Writes `entries` to a temporary file next to `near_path` that is unlinked
// at once, so the run disappears with the process on every path. Returns a
// new stream that reads the run from its start and has done no I/O yet, so
// RunReader can still give it a buffer.
Result<FilePointer> spill_run(const std::vector<Entry>& entries, const std::string& near_path) {
  std::string name = near_path + ".run-XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument, system_error("cannot create a sort run file next to", near_path));
  }
  ::unlink(name.c_str());
  std::vector<char> buffer(k_io_buffer_bytes);
  FilePointer writer(::fdopen(fd, "wb"));
  if (!writer) {
    ::close(fd);
    return fail(ErrorCode::unavailable, system_error("cannot open a sort run file next to", near_path));
  }
  std::setvbuf(writer.get(), buffer.data(), _IOFBF, buffer.size());

  bool written = true;
  for (const Entry& entry : entries) {
    written = written && write_entry(writer.get(), entry);
  }
  if (!written || std::fflush(writer.get()) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot write a sort run file next to", near_path));
  }

  const int read_fd = ::dup(fd);
  if (read_fd < 0 || ::lseek(read_fd, 0, SEEK_SET) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot rewind a sort run file next to", near_path));
  }
  FilePointer reader(::fdopen(read_fd, "rb"));
  if (!reader) {
    ::close(read_fd);
    return fail(ErrorCode::unavailable, system_error("cannot reopen a sort run file next to", near_path));
  }
  return reader;
}

// Reads back one run in key order.
class RunReader {
 public:
  RunReader(FilePointer file, std::size_t buffer_bytes)
      : buffer_(buffer_bytes), file_(std::move(file)) {
    std::setvbuf(file_.get(), buffer_.data(), _IOFBF, buffer_.size());
  }

  std::optional<Entry> next() {
    unsigned char record[k_record_bytes];
    if (std::fread(record, k_record_bytes, 1, file_.get()) != 1) {
      return std::nullopt;
    }
    return Entry{load_u64(record), load_u32(record + 8)};
  }

  bool failed() const { return std::ferror(file_.get()) != 0; }

 private:
  // The buffer is declared first so that it outlives the stream using it.
  std::vector<char> buffer_;
  FilePointer file_;
};

// ---- Writing the index ----

// Streams sorted entries into a temporary file, merging equal keys, then
// writes the header and bucket table and renames the file into place.
class IndexWriter {
 public:
  explicit IndexWriter(std::string index_path)
      : index_path_(std::move(index_path)), buffer_(k_io_buffer_bytes) {}
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  ~IndexWriter() {
    if (!renamed_ && !temp_path_.empty()) {
      ::unlink(temp_path_.c_str());
    }
  }

  Result<void> create();
  Result<void> start_records(unsigned bucket_bits);
  void add(const Entry& entry);
  Result<std::uint64_t> finish();

  std::uint64_t entries() const { return entries_; }
  std::uint64_t duplicates() const { return duplicates_; }

 private:
  void write_pending();
  Result<void> write_header_and_table();
  Result<void> sync_and_rename();

  std::string index_path_;
  std::string temp_path_;
  std::vector<char> buffer_;  // declared before file_, so it outlives the stream
  FilePointer file_;
  unsigned bucket_bits_ = k_min_bucket_bits;
  std::vector<std::uint64_t> bucket_starts_;
  std::optional<Entry> pending_;
  std::uint64_t entries_ = 0;
  std::uint64_t duplicates_ = 0;
  bool write_failed_ = false;
  bool renamed_ = false;
};

Result<void> IndexWriter::create() {
  temp_path_ = index_path_ + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp_path_.data());
  if (fd < 0) {
    temp_path_.clear();
    return fail(ErrorCode::invalid_argument, system_error("cannot create a temporary file next to", index_path_));
  }

  // mkstemp creates mode 0600, but the index contains only public breach data
  // and the daemon may run as another user.
  ::fchmod(fd, 0644);
  file_.reset(::fdopen(fd, "wb"));
  if (!file_) {
    ::close(fd);
    return fail(ErrorCode::unavailable, system_error("cannot open", temp_path_));
  }
  std::setvbuf(file_.get(), buffer_.data(), _IOFBF, buffer_.size());
  return {};
}

// Sizes the bucket table and seeks past it and the header, which are written
// last, once the table is known.
Result<void> IndexWriter::start_records(unsigned bucket_bits) {
  bucket_bits_ = bucket_bits;
  bucket_starts_.assign((std::size_t{1} << bucket_bits) + 1, 0);
  const std::size_t skipped = k_header_bytes + bucket_starts_.size() * 8;
  if (std::fseek(file_.get(), static_cast<long>(skipped), SEEK_SET) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot seek in", temp_path_));
  }
  return {};
}

void IndexWriter::add(const Entry& entry) {
  if (pending_ && pending_->key == entry.key) {
    pending_->count = saturated_sum(pending_->count, entry.count);
    ++duplicates_;
    return;
  }
  write_pending();
  pending_ = entry;
}

void IndexWriter::write_pending() {
  if (!pending_) {
    return;
  }

  // Slot b + 1 counts the records of bucket b until write_header_and_table
  // turns the counts into start offsets with a prefix sum.
  const std::uint64_t bucket = pending_->key >> (64 - bucket_bits_);
  ++bucket_starts_[bucket + 1];
  write_failed_ |= !write_entry(file_.get(), *pending_);
  ++entries_;
  pending_.reset();
}

Result<void> IndexWriter::write_header_and_table() {
  for (std::size_t i = 1; i < bucket_starts_.size(); ++i) {
    bucket_starts_[i] += bucket_starts_[i - 1];
  }

  unsigned char header[k_header_bytes] = {};
  std::memcpy(header, k_magic, sizeof k_magic);
  std::memcpy(header + 8, &k_version, 4);
  const std::uint32_t record_bytes = k_record_bytes;
  std::memcpy(header + 12, &record_bytes, 4);
  std::memcpy(header + 16, &entries_, 8);
  const std::uint32_t bits = bucket_bits_;
  std::memcpy(header + 24, &bits, 4);

  const bool written = std::fseek(file_.get(), 0, SEEK_SET) == 0 &&
                       std::fwrite(header, sizeof header, 1, file_.get()) == 1 &&
                       std::fwrite(bucket_starts_.data(), 8, bucket_starts_.size(), file_.get()) ==
                           bucket_starts_.size();
  if (!written) {
    return fail(ErrorCode::unavailable, system_error("cannot write", temp_path_));
  }
  return {};
}

Result<void> IndexWriter::sync_and_rename() {
  if (std::fflush(file_.get()) != 0 || ::fsync(::fileno(file_.get())) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot write", temp_path_));
  }
  if (std::fclose(file_.release()) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot close", temp_path_));
  }
  if (std::rename(temp_path_.c_str(), index_path_.c_str()) != 0) {
    return fail(ErrorCode::unavailable, system_error("cannot rename the new index to", index_path_));
  }
  renamed_ = true;

  // Syncing the directory makes the rename itself survive a power loss.
  const std::string directory = std::filesystem::path(index_path_).parent_path().string();
  const int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return {};
}

Result<std::uint64_t> IndexWriter::finish() {
  write_pending();
  if (write_failed_) {
    return fail(ErrorCode::unavailable, system_error("cannot write", temp_path_));
  }
  if (auto written = write_header_and_table(); !written) {
    return tl::unexpected(written.error());
  }
  if (auto renamed = sync_and_rename(); !renamed) {
    return tl::unexpected(renamed.error());
  }
  return k_header_bytes + bucket_starts_.size() * 8 + entries_ * k_record_bytes;
}

// ---- The build ----

// Reads the list into sorted runs, spilling each full buffer to disk.
class RunCollector {
 public:
  RunCollector(const std::string& index_path, std::size_t memory_bytes)
      : index_path_(index_path), capacity_(memory_bytes / sizeof(Entry)) {
    entries_.reserve(capacity_);
  }

  Result<void> add(const Entry& entry) {
    if (entries_.size() == capacity_) {
      if (auto spilled = spill(); !spilled) {
        return spilled;
      }
    }
    entries_.push_back(entry);
    ++parsed_;
    return {};
  }

  Result<void> spill() {
    duplicates_ += sort_and_merge(entries_);
    auto run = spill_run(entries_, index_path_);
    if (!run) {
      return tl::unexpected(run.error());
    }
    runs_.push_back(std::move(*run));
    entries_.clear();
    return {};
  }

  std::vector<Entry>& entries() { return entries_; }
  std::vector<FilePointer>& runs() { return runs_; }
  std::uint64_t parsed() const { return parsed_; }
  std::uint64_t duplicates() const { return duplicates_; }

 private:
  const std::string& index_path_;
  std::size_t capacity_;
  std::vector<Entry> entries_;
  std::vector<FilePointer> runs_;
  std::uint64_t parsed_ = 0;
  std::uint64_t duplicates_ = 0;
};

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

// Parses every line of the list into `collector`, settling the format from
// the first non-empty line when it is automatic.
Result<void> read_list(const std::string& list_path, BreachBuildStats& stats,
                       RunCollector& collector) {
  FilePointer file(std::fopen(list_path.c_str(), "rb"));
  if (!file) {
    return fail(ErrorCode::invalid_argument, system_error("cannot open the breach list", list_path));
  }
  LineReader reader(file.get());
  MalformedLines malformed;

  while (const auto line = reader.next()) {
    ++stats.lines;
    std::string_view text = line->text;
    // A list saved with a UTF-8 byte order mark starts with it, and the mark
    // is not part of the first word.
    if (stats.lines == 1 && text.starts_with(k_utf8_bom)) {
      text.remove_prefix(k_utf8_bom.size());
    }
    if (!line->too_long && text.empty()) {
      continue;
    }
    if (stats.format == BreachListFormat::automatic) {
      stats.format = parse_hibp_line(text) ? BreachListFormat::hibp : BreachListFormat::words;
    }

    std::optional<Entry> entry;
    if (!line->too_long) {
      entry = stats.format == BreachListFormat::hibp ? parse_hibp_line(text) : word_entry(text);
    }
    if (!entry) {
      malformed.add(stats.lines);
    } else if (malformed.empty()) {
      if (auto added = collector.add(*entry); !added) {
        return added;
      }
    }
  }

  if (std::ferror(file.get())) {
    return fail(ErrorCode::unavailable, system_error("cannot read the breach list", list_path));
  }
  if (!malformed.empty()) {
    return fail(ErrorCode::invalid_argument, malformed.message(list_path, stats.format));
  }
  return {};
}

using HeapItem = std::pair<Entry, std::size_t>;

struct HeapOrder {
  bool operator()(const HeapItem& a, const HeapItem& b) const { return a.first.key > b.first.key; }
};

// Merges the sorted runs into `writer` with a min-heap over their heads.
// NOTE: every run stays open during the merge, so a list of more than about
// 1000 times memory_bytes / 16 entries can exceed the open-file limit.
Result<void> merge_runs(std::vector<FilePointer>& files, std::size_t memory_bytes,
                        IndexWriter& writer) {
  const std::size_t buffer_bytes =
      std::clamp<std::size_t>(memory_bytes / (files.size() + 1), 4096, k_io_buffer_bytes);
  std::vector<RunReader> readers;
  readers.reserve(files.size());
  std::priority_queue<HeapItem, std::vector<HeapItem>, HeapOrder> heap;
  for (std::size_t i = 0; i < files.size(); ++i) {
    readers.emplace_back(std::move(files[i]), buffer_bytes);
    if (const auto head = readers[i].next()) {
      heap.emplace(*head, i);
    }
  }

  while (!heap.empty()) {
    const auto [entry, run] = heap.top();
    heap.pop();
    writer.add(entry);
    if (const auto next = readers[run].next()) {
      heap.emplace(*next, run);
    }
  }

  for (const RunReader& reader : readers) {
    if (reader.failed()) {
      return fail(ErrorCode::unavailable, "cannot read back a sort run file: " + std::string(std::strerror(errno)));
    }
  }
  return {};
}

Result<void> write_index(RunCollector& collector, std::size_t memory_bytes, IndexWriter& writer) {
  if (auto started = writer.start_records(bucket_bits_for(collector.parsed())); !started) {
    return started;
  }
  if (collector.runs().empty()) {
    for (const Entry& entry : collector.entries()) {
      writer.add(entry);
    }
    return {};
  }

  // Freeing the sort buffer gives its memory to the merge's read buffers.
  std::vector<Entry>().swap(collector.entries());
  return merge_runs(collector.runs(), memory_bytes, writer);
}

}  // namespace

Sha1Digest sha1_digest(ByteView bytes) {
  Sha1Digest digest;
  ::SHA1(bytes.data(), bytes.size(), digest.data());
  return digest;
}

namespace {

Result<BreachBuildStats> build_index(const std::string& list_path, const std::string& index_path,
                                     const BreachBuildOptions& options) {
  if (options.memory_bytes < k_breach_min_memory_bytes) {
    return fail(ErrorCode::invalid_argument,
                "memory limit " + std::to_string(options.memory_bytes) + " bytes is below the minimum of " +
                    std::to_string(k_breach_min_memory_bytes) + " bytes; raise it");
  }

  // Creating the output first reports a bad OUT path before a long read.
  IndexWriter writer(index_path);
  if (auto created = writer.create(); !created) {
    return tl::unexpected(created.error());
  }

  BreachBuildStats stats;
  stats.format = options.format;
  RunCollector collector(index_path, options.memory_bytes);
  if (auto read = read_list(list_path, stats, collector); !read) {
    return tl::unexpected(read.error());
  }
  if (stats.format == BreachListFormat::automatic) {
    stats.format = BreachListFormat::hibp;
  }

  // Sorting the last buffer now merges its duplicates either way, and with
  // earlier runs on disk it becomes one more run for the merge.
  if (!collector.runs().empty()) {
    if (auto spilled = collector.spill(); !spilled) {
      return tl::unexpected(spilled.error());
    }
  } else {
    stats.duplicates += sort_and_merge(collector.entries());
  }
  stats.runs = collector.runs().size();

  if (auto written = write_index(collector, options.memory_bytes, writer); !written) {
    return tl::unexpected(written.error());
  }
  auto index_bytes = writer.finish();
  if (!index_bytes) {
    return tl::unexpected(index_bytes.error());
  }

  stats.entries = writer.entries();
  stats.duplicates += collector.duplicates() + writer.duplicates();
  stats.index_bytes = *index_bytes;
  return stats;
}

}  // namespace

Result<BreachBuildStats> build_breach_index(const std::string& list_path,
                                            const std::string& index_path,
                                            const BreachBuildOptions& options) {
  // The sort buffer is reserved up front, so a memory limit above what the
  // system can give fails here rather than partway through the list.
  try {
    return build_index(list_path, index_path, options);
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::resource_exhausted,
                "out of memory building " + index_path + " with a " +
                    std::to_string(options.memory_bytes) + "-byte sort buffer; lower the memory limit");
  }
}

// ---- The reader ----

namespace {

// Checks the header and bucket table of a mapped file of `size` bytes.
// Returns the problem, or an empty string when the file is a valid index.
std::string find_format_problem(const unsigned char* data, std::size_t size) {
  if (size < k_header_bytes || std::memcmp(data, k_magic, sizeof k_magic) != 0) {
    return "is not a pwsvc breach index (no PWSVCBI1 header)";
  }
  if (load_u32(data + 8) != k_version || load_u32(data + 12) != k_record_bytes) {
    return "has breach index version " + std::to_string(load_u32(data + 8)) +
           ", but this pwsvc reads only version " + std::to_string(k_version);
  }
  const unsigned bits = load_u32(data + 24);
  if (bits < k_min_bucket_bits || bits > k_max_bucket_bits) {
    return "has an invalid bucket count 2^" + std::to_string(bits);
  }

  const std::uint64_t entries = load_u64(data + 16);
  const std::uint64_t table_entries = (std::uint64_t{1} << bits) + 1;
  const std::uint64_t records_offset = k_header_bytes + table_entries * 8;
  if (entries > (std::numeric_limits<std::uint64_t>::max() - records_offset) / k_record_bytes ||
      records_offset + entries * k_record_bytes != size) {
    return "is " + std::to_string(size) + " bytes, which does not match its header; it is truncated or corrupt";
  }

  // One pass over the table is cheap next to the records, and it bounds
  // every binary search to records inside the file.
  const unsigned char* table = data + k_header_bytes;
  std::uint64_t previous = 0;
  for (std::uint64_t i = 0; i < table_entries; ++i) {
    const std::uint64_t start = load_u64(table + i * 8);
    if (start < previous || start > entries) {
      return "has a corrupt bucket table; rebuild it with 'pwsvc breach-index build'";
    }
    previous = start;
  }
  if (load_u64(table) != 0 || previous != entries) {
    return "has a corrupt bucket table; rebuild it with 'pwsvc breach-index build'";
  }
  return {};
}

}  // namespace

Result<BreachIndex> BreachIndex::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument, system_error("cannot open the breach index", path));
  }
  struct stat status {};
  if (::fstat(fd, &status) == 0 && !S_ISREG(status.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::invalid_argument,
                path + " is not a regular file; give the path of a file made by 'pwsvc "
                       "breach-index build'");
  }
  if (::fstat(fd, &status) != 0 || status.st_size < static_cast<off_t>(k_header_bytes)) {
    ::close(fd);
    return fail(ErrorCode::invalid_argument,
                path + " is not a pwsvc breach index (shorter than its 64-byte header)");
  }

  const auto size = static_cast<std::size_t>(status.st_size);
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) {
    return fail(ErrorCode::unavailable, system_error("cannot map the breach index", path));
  }

  BreachIndex index;
  index.mapping_ = static_cast<const unsigned char*>(mapping);
  index.mapping_bytes_ = size;
  if (const std::string problem = find_format_problem(index.mapping_, size); !problem.empty()) {
    return fail(ErrorCode::invalid_argument, path + " " + problem);
  }

  // Lookups touch a few scattered pages, so read-ahead would only waste I/O.
  ::madvise(mapping, size, MADV_RANDOM);
  index.bucket_bits_ = load_u32(index.mapping_ + 24);
  index.entry_count_ = load_u64(index.mapping_ + 16);
  index.bucket_table_ = index.mapping_ + k_header_bytes;
  index.records_ = index.bucket_table_ + ((std::size_t{1} << index.bucket_bits_) + 1) * 8;
  return index;
}

std::optional<std::uint32_t> BreachIndex::contains(const Sha1Digest& digest) const {
  const std::uint64_t key = key_of(digest);
  const std::uint64_t bucket = key >> (64 - bucket_bits_);
  // open() checked the bucket table, but the file may have been rewritten in
  // place since, so every bound is clamped to the mapped records.
  std::uint64_t high = std::min(load_u64(bucket_table_ + (bucket + 1) * 8), entry_count_);
  std::uint64_t low = std::min(load_u64(bucket_table_ + bucket * 8), high);

  while (low < high) {
    const std::uint64_t middle = low + (high - low) / 2;
    const unsigned char* record = records_ + middle * k_record_bytes;
    const std::uint64_t found = load_u64(record);
    if (found == key) {
      return load_u32(record + 8);
    }
    if (found < key) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> BreachIndex::contains_password(ByteView password) const {
  // NOTE: OpenSSL 3's one-shot SHA1() may allocate a digest context
  // internally, so only contains() is free of allocation.
  Sha1Digest digest = sha1_digest(password);
  const auto count = contains(digest);
  OPENSSL_cleanse(digest.data(), digest.size());
  return count;
}

BreachIndex::BreachIndex(BreachIndex&& other) noexcept { *this = std::move(other); }

BreachIndex& BreachIndex::operator=(BreachIndex&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
    bucket_table_ = std::exchange(other.bucket_table_, nullptr);
    records_ = std::exchange(other.records_, nullptr);
    entry_count_ = std::exchange(other.entry_count_, 0);
    bucket_bits_ = std::exchange(other.bucket_bits_, 0);
  }
  return *this;
}

BreachIndex::~BreachIndex() { release(); }

void BreachIndex::release() {
  if (mapping_ != nullptr) {
    ::munmap(const_cast<unsigned char*>(mapping_), mapping_bytes_);
    mapping_ = nullptr;
  }
}

}  // namespace pwsvc

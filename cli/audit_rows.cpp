// The CSV (RFC 4180) and JSON-lines row readers of pwsvc audit.
#include <algorithm>
#include <charconv>

#include <boost/json.hpp>

#include "audit_input.hpp"

namespace pwsvc::cli {

namespace {

// Rows are joined across quoted line breaks up to this size.
constexpr std::size_t k_max_record_bytes = 1 << 20;

// Fields of one CSV record, unquoted into one reused buffer.
struct CsvRecord {
  std::string text;
  std::vector<std::size_t> ends;

  std::size_t size() const { return ends.size(); }
  std::string_view field(std::size_t index) const {
    const std::size_t begin = index == 0 ? 0 : ends[index - 1];
    return std::string_view(text).substr(begin, ends[index] - begin);
  }
};

class CsvRowReader final : public RowReader {
 public:
  CsvRowReader(std::unique_ptr<LineReader> lines, const InputSpec& spec)
      : lines_(std::move(lines)), spec_(spec) {}

  Status next(Row& row) override {
    if (!columns_ready_ && !find_columns()) {
      return Status::error;
    }
    row = Row{};
    const Status status = read_record(row);
    if (status != Status::row || !row.problem.empty()) {
      return status;
    }
    if (is_blank()) {
      return Status::blank;
    }
    if (hash_index_ >= record_.size() || (id_index_ && *id_index_ >= record_.size())) {
      problem_ = "the row has " + std::to_string(record_.size()) + " fields, too few for " +
                 (hash_index_ >= record_.size() ? "the hash" : "the id") + " column";
      row.problem = problem_;
      return Status::row;
    }
    row.hash = record_.field(hash_index_);
    if (id_index_) {
      row.id = record_.field(*id_index_);
    }
    return Status::row;
  }

  const std::string& error() const override { return error_.empty() ? lines_->error() : error_; }
  const LineReader& lines() const override { return *lines_; }

 private:
  bool is_blank() const { return record_.size() == 1 && record_.field(0).empty(); }

  // Reads one record, which may span lines inside quotes, into record_.
  Status read_record(Row& row) {
    record_.text.clear();
    record_.ends.clear();
    bool in_quotes = false;
    bool quoted_field = false;
    bool first_line = true;
    for (;;) {
      std::string_view line;
      const auto status = lines_->next(line);
      if (first_line) {
        row.line = lines_->line_number();
        first_line = false;
      }
      if (status == LineReader::Status::too_long) {
        row.problem = "the line is longer than 1 MiB";
        return Status::row;
      }
      if (status == LineReader::Status::error) {
        return Status::error;
      }
      if (status == LineReader::Status::end) {
        if (!in_quotes) {
          return Status::end;
        }
        row.problem = "a quoted field is not closed before the end of the file";
        return Status::row;
      }

      for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_quotes) {
          if (c != '"') {
            record_.text += c;
          } else if (i + 1 < line.size() && line[i + 1] == '"') {
            record_.text += '"';
            ++i;
          } else {
            in_quotes = false;
          }
        } else if (c == ',') {
          record_.ends.push_back(record_.text.size());
          quoted_field = false;
        } else if (c == '"' && !quoted_field &&
                   (record_.ends.empty() ? record_.text.empty()
                                         : record_.text.size() == record_.ends.back())) {
          in_quotes = true;
          quoted_field = true;
        } else if (quoted_field) {
          problem_ = "text after the closing quote of field " +
                     std::to_string(record_.ends.size() + 1);
          row.problem = problem_;
          // NOTE: the rest of the line is dropped, so a quoted line break
          // later on that line splits the record into further bad rows.
          return Status::row;
        } else {
          record_.text += c;
        }
      }
      if (!in_quotes) {
        record_.ends.push_back(record_.text.size());
        return Status::row;
      }
      if (record_.text.size() > k_max_record_bytes) {
        row.problem = "a quoted field runs on for more than 1 MiB";
        return Status::row;
      }
      // A line break inside quotes belongs to the field.
      record_.text += '\n';
    }
  }

  // Reads the header, unless --no-header, and resolves the columns.
  bool find_columns() {
    columns_ready_ = true;
    std::vector<std::string> header;
    if (spec_.csv_header) {
      Row row;
      Status status = read_record(row);
      while (status == Status::row && row.problem.empty() && is_blank()) {
        status = read_record(row);
      }
      if (status == Status::error) {
        return false;
      }
      if (status != Status::row || !row.problem.empty()) {
        error_ = lines_->name() + ": line " + std::to_string(row.line) +
                 ": no CSV header row" + (row.problem.empty() ? "" : ": " + std::string(row.problem));
        return false;
      }
      for (std::size_t i = 0; i < record_.size(); ++i) {
        header.emplace_back(record_.field(i));
      }
      header_line_ = row.line;
    }

    auto hash_index = resolve(spec_.column, header);
    if (!hash_index) {
      return false;
    }
    hash_index_ = *hash_index;
    if (!spec_.id_column.empty()) {
      auto id_index = resolve(spec_.id_column, header);
      if (!id_index) {
        return false;
      }
      id_index_ = *id_index;
    }
    return true;
  }

  // Returns the 0-based index of a column given by name or 1-based number.
  std::optional<std::size_t> resolve(const std::string& column,
                                     const std::vector<std::string>& header) {
    std::size_t number = 0;
    const auto [end, code] = std::from_chars(column.data(), column.data() + column.size(), number);
    if (code == std::errc{} && end == column.data() + column.size()) {
      if (number >= 1 && (!spec_.csv_header || number <= header.size())) {
        return number - 1;
      }
      error_ = lines_->name() + ": line " + std::to_string(header_line_) + ": column " +
               column + " is out of range; the header has " + std::to_string(header.size()) +
               " columns";
      return std::nullopt;
    }
    const auto found = std::find(header.begin(), header.end(), column);
    if (found != header.end()) {
      return static_cast<std::size_t>(found - header.begin());
    }
    error_ = lines_->name() + ": line " + std::to_string(header_line_) + ": no column '" +
             column + "' in the CSV header" +
             (spec_.csv_header ? "" : "; name columns by number with --no-header");
    return std::nullopt;
  }

  std::unique_ptr<LineReader> lines_;
  InputSpec spec_;
  bool columns_ready_ = false;
  std::uint64_t header_line_ = 1;
  std::size_t hash_index_ = 0;
  std::optional<std::size_t> id_index_;
  CsvRecord record_;
  std::string problem_;
  std::string error_;
};

// JSON lines: one object a line, the hash in a string member.
class JsonlRowReader final : public RowReader {
 public:
  JsonlRowReader(std::unique_ptr<LineReader> lines, const InputSpec& spec)
      : lines_(std::move(lines)), spec_(spec) {}

  Status next(Row& row) override {
    std::string_view line;
    if (const auto early = begin_row(*lines_, row, line)) {
      return *early;
    }
    parse(line, row);
    return Status::row;
  }

  const std::string& error() const override { return lines_->error(); }
  const LineReader& lines() const override { return *lines_; }

 private:
  void parse(std::string_view line, Row& row) {
    // Each line's values live in a fixed buffer that is reused, so ordinary
    // rows cost no heap allocation.
    boost::json::monotonic_resource memory(scratch_, sizeof scratch_);
    boost::json::error_code code;
    const boost::json::value value = boost::json::parse(line, code, &memory);
    if (code || !value.is_object()) {
      row.problem = code ? "the line is not valid JSON" : "the line is not a JSON object";
      return;
    }

    const boost::json::object& object = value.get_object();
    const auto* hash = object.if_contains(spec_.field);
    if (hash == nullptr || !hash->is_string()) {
      problem_ = "no string member '" + spec_.field + "'";
      row.problem = problem_;
      return;
    }
    hash_.assign(hash->get_string().data(), hash->get_string().size());
    row.hash = hash_;

    if (!spec_.id_field.empty()) {
      const auto* id = object.if_contains(spec_.id_field);
      if (id != nullptr && id->is_string()) {
        id_.assign(id->get_string().data(), id->get_string().size());
        row.id = id_;
      } else if (id != nullptr && id->is_number()) {
        id_ = boost::json::serialize(*id);
        row.id = id_;
      }
    }
  }

  std::unique_ptr<LineReader> lines_;
  InputSpec spec_;
  alignas(16) unsigned char scratch_[16384];
  std::string hash_;
  std::string id_;
  std::string problem_;
};

}  // namespace

std::unique_ptr<RowReader> make_csv_row_reader(std::unique_ptr<LineReader> lines,
                                               const InputSpec& spec) {
  return std::make_unique<CsvRowReader>(std::move(lines), spec);
}

std::unique_ptr<RowReader> make_jsonl_row_reader(std::unique_ptr<LineReader> lines,
                                                 const InputSpec& spec) {
  return std::make_unique<JsonlRowReader>(std::move(lines), spec);
}

}  // namespace pwsvc::cli

// Keyring: parsing, loading and writing the pepper key file.
#include "pwsvc/keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>

#include <sodium.h>

#include "encoding.hpp"

namespace pwsvc {

namespace {

// A keyring contains a handful of keys; a larger file is a wrong path.
constexpr std::size_t k_max_keyring_bytes = 1 << 20;

// Base64 of 32 bytes with '=' padding.
constexpr std::size_t k_encoded_key_chars = 44;

Error keyring_error(std::size_t line, std::string message) {
  return {ErrorCode::invalid_argument, "keyring line " + std::to_string(line) + ": " + message};
}

// Splits a line at single spaces; the key line has four fields.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> result;
  for (std::string_view field : split(line, ' ')) {
    if (!field.empty()) {
      result.push_back(field);
    }
  }
  return result;
}

bool is_timestamp(std::string_view text) {
  // 2026-12-04T22:38:34Z: digits everywhere but the fixed separators.
  constexpr std::string_view k_shape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != k_shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (k_shape[i] == 'd' ? !digit : text[i] != k_shape[i]) {
      return false;
    }
  }
  return true;
}

// Reads the decimal digits of `text` at [at, at + count), which is_timestamp checked.
unsigned timestamp_field(std::string_view text, std::size_t at, std::size_t count) {
  unsigned value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

// Returns why a creation time of the right shape is not a real UTC time, or
// nothing when it is one. Leap seconds (23:59:60) are rejected, since the
// system clock that keys generate reads never shows them.
std::optional<std::string> timestamp_problem(std::string_view text) {
  const unsigned year = timestamp_field(text, 0, 4);
  const unsigned month = timestamp_field(text, 5, 2);
  const unsigned day = timestamp_field(text, 8, 2);
  if (month < 1 || month > 12) {
    return "there is no month " + std::to_string(month);
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                         std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok()) {
    return std::string(text.substr(0, 7)) + " has no day " + std::to_string(day);
  }
  if (timestamp_field(text, 11, 2) > 23) {
    return "an hour runs from 00 to 23";
  }
  if (timestamp_field(text, 14, 2) > 59 || timestamp_field(text, 17, 2) > 59) {
    return "minutes and seconds run from 00 to 59";
  }
  return std::nullopt;
}

// Checks a key line's creation time. Only the id, which check_key_id has
// passed, and a value of the timestamp's shape are quoted, never a field that
// could be key bytes.
Result<void> check_created(std::size_t line, std::string_view id, std::string_view created) {
  if (!is_timestamp(created)) {
    return tl::unexpected(keyring_error(
        line, "key '" + std::string(id) +
                  "': the creation time must be UTC in the form 2026-12-04T22:38:34Z"));
  }
  if (auto problem = timestamp_problem(created)) {
    return tl::unexpected(keyring_error(
        line, "key '" + std::string(id) + "' has creation time " + std::string(created) +
                  ", which is not a real UTC time (" + *problem +
                  "); correct it to when the key was made, in the form 2026-12-04T22:38:34Z"));
  }
  return {};
}

struct KeyLine {
  std::size_t number = 0;
  std::string_view id;
  std::string_view created;
  std::string_view encoded;
};

struct ParsedText {
  std::vector<KeyLine> keys;
  std::string_view active;
  std::size_t active_line = 0;
};

Result<ParsedText> parse_lines(std::string_view text) {
  ParsedText parsed;
  std::size_t number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++number;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    const auto fields = words(line);
    if (fields.empty() || fields[0].starts_with('#')) {
      continue;
    }

    if (fields[0] == "active" && fields.size() == 2) {
      if (!parsed.active.empty()) {
        return tl::unexpected(keyring_error(number, "a second 'active' line; keep one"));
      }
      parsed.active = fields[1];
      parsed.active_line = number;
    } else if (fields[0] == "key" && fields.size() == 4) {
      if (auto checked = check_key_id(fields[1]); !checked) {
        return tl::unexpected(keyring_error(number, checked.error().message));
      }
      if (auto checked = check_created(number, fields[1], fields[2]); !checked) {
        return tl::unexpected(checked.error());
      }
      for (const KeyLine& earlier : parsed.keys) {
        if (earlier.id == fields[1]) {
          return tl::unexpected(keyring_error(
              number, "key id '" + std::string(fields[1]) + "' appears twice; ids must be unique"));
        }
      }
      parsed.keys.push_back({number, fields[1], fields[2], fields[3]});
    } else {
      return tl::unexpected(keyring_error(
          number, "expected 'active ID' or 'key ID CREATED BASE64-KEY'"));
    }
  }
  return parsed;
}

Result<void> check_active(const ParsedText& parsed) {
  if (parsed.keys.empty()) {
    return fail(ErrorCode::invalid_argument,
                "the keyring has no keys; create one with pwsvc keys generate");
  }
  if (parsed.active.empty()) {
    return fail(ErrorCode::invalid_argument,
                "the keyring has no 'active ID' line; name the key new hashes use");
  }
  for (const KeyLine& key : parsed.keys) {
    if (key.id == parsed.active) {
      return {};
    }
  }
  return tl::unexpected(keyring_error(
      parsed.active_line, "the active key '" + std::string(parsed.active) + "' is not listed"));
}

// Reads a whole file into wiped memory, since it contains key bytes.
Result<SecretBytes> read_secret_file(const std::filesystem::path& path) {
  // O_NONBLOCK keeps a FIFO at the path from blocking the open; the fstat
  // below then refuses anything but a regular file. Symbolic links are
  // followed, as Kubernetes mounts secrets through them, and the mode checked
  // is the target's.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument, "cannot open keyring " + path.string() + ": " +
                                                 std::strerror(errno));
  }

  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::invalid_argument, "keyring " + path.string() + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return fail(ErrorCode::invalid_argument,
                "keyring " + path.string() + " has mode " + mode +
                    ", so the group or others can reach the keys; run chmod 600 on it");
  }
  if (static_cast<std::size_t>(info.st_size) > k_max_keyring_bytes) {
    ::close(fd);
    return fail(ErrorCode::invalid_argument,
                "keyring " + path.string() + " is larger than 1 MiB; is it the right file?");
  }

  SecretBytes contents(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t got = ::read(fd, contents.data() + done, contents.size() - done);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      ::close(fd);
      return fail(ErrorCode::invalid_argument, "cannot read keyring " + path.string());
    }
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  return contents;
}

void append_text(SecretBytes& text, std::string_view part) { text.append(as_bytes(part)); }

void append_header(SecretBytes& text, std::string_view active) {
  append_text(text,
              "# pwsvc keyring: 'active ID' names the key for new hashes; each 'key' line is\n"
              "# ID, creation time and 32 random bytes in base64. Keep this file mode 0600.\n");
  append_text(text, "active ");
  append_text(text, active);
  append_text(text, "\n");
}

void append_key_line(SecretBytes& text, std::string_view id, std::string_view created,
                     ByteView key) {
  char encoded[k_encoded_key_chars + 1];
  sodium_bin2base64(encoded, sizeof encoded, key.data(), key.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  append_text(text, "key ");
  append_text(text, id);
  append_text(text, " ");
  append_text(text, created);
  append_text(text, " ");
  append_text(text, {encoded, k_encoded_key_chars});
  append_text(text, "\n");
  sodium_memzero(encoded, sizeof encoded);
}

}  // namespace

Result<void> check_key_id(std::string_view id) {
  // The message never quotes the id: in a keyring line with its fields
  // swapped, the "id" is key material.
  if (id.empty() || id.size() > 8) {
    return fail(ErrorCode::invalid_argument,
                "the key id must be 1 to 8 characters long (letters, digits, '-' or '_')");
  }
  for (const char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) {
      return fail(ErrorCode::invalid_argument,
                  "the key id may contain only letters, digits, '-' and '_'");
    }
  }
  return {};
}

Keyring::~Keyring() {
  // sodium_free wipes the allocation; it must be writable again first.
  if (keys_ != nullptr) {
    sodium_mprotect_readwrite(keys_);
    sodium_free(keys_);
  }
}

Result<std::shared_ptr<const Keyring>> Keyring::parse(std::string_view text) {
  if (sodium_init() < 0) {
    return fail(ErrorCode::internal, "libsodium failed to initialise");
  }
  auto parsed = parse_lines(text);
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  if (auto checked = check_active(*parsed); !checked) {
    return tl::unexpected(checked.error());
  }

  std::shared_ptr<Keyring> keyring(new Keyring());
  keyring->active_id_ = std::string(parsed->active);
  keyring->keys_ = static_cast<unsigned char*>(
      sodium_allocarray(parsed->keys.size(), k_pepper_key_bytes));
  if (keyring->keys_ == nullptr) {
    return fail(ErrorCode::resource_exhausted, "cannot allocate locked memory for the keyring");
  }

  for (std::size_t i = 0; i < parsed->keys.size(); ++i) {
    const KeyLine& line = parsed->keys[i];
    std::size_t length = 0;
    const char* end = nullptr;
    unsigned char* slot = keyring->keys_ + i * k_pepper_key_bytes;
    const int rc = sodium_base642bin(slot, k_pepper_key_bytes, line.encoded.data(),
                                     line.encoded.size(), nullptr, &length, &end,
                                     sodium_base64_VARIANT_ORIGINAL);
    if (rc != 0 || length != k_pepper_key_bytes || end != line.encoded.data() + line.encoded.size()) {
      return tl::unexpected(keyring_error(
          line.number, "key '" + std::string(line.id) + "' is not 32 bytes in padded base64"));
    }
    if (line.id == parsed->active) {
      keyring->active_index_ = i;
    }
    keyring->entries_.push_back({std::string(line.id), std::string(line.created)});
  }

  sodium_mprotect_readonly(keyring->keys_);
  return std::shared_ptr<const Keyring>(std::move(keyring));
}

Result<std::shared_ptr<const Keyring>> Keyring::load(const std::filesystem::path& path) {
  auto contents = read_secret_file(path);
  if (!contents) {
    return tl::unexpected(contents.error());
  }
  auto keyring = parse({reinterpret_cast<const char*>(contents->data()), contents->size()});
  if (!keyring) {
    return fail(keyring.error().code, path.string() + ": " + keyring.error().message);
  }
  return keyring;
}

std::optional<ByteView> Keyring::key(std::string_view id) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].id == id) {
      return ByteView(keys_ + i * k_pepper_key_bytes, k_pepper_key_bytes);
    }
  }
  return std::nullopt;
}

bool Keyring::contains(std::string_view id) const { return key(id).has_value(); }

std::vector<KeyInfo> Keyring::list() const {
  std::vector<KeyInfo> result;
  for (const Entry& entry : entries_) {
    result.push_back({entry.id, entry.created, entry.id == active_id_});
  }
  return result;
}

SecretBytes Keyring::text_with(const KeyInfo* extra, ByteView extra_key,
                               std::string_view activate) const {
  SecretBytes text;
  append_header(text, activate.empty() ? std::string_view(active_id_) : activate);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    append_key_line(text, entries_[i].id, entries_[i].created,
                    ByteView(keys_ + i * k_pepper_key_bytes, k_pepper_key_bytes));
  }
  if (extra != nullptr) {
    append_key_line(text, extra->id, extra->created, extra_key);
  }
  return text;
}

SecretBytes new_keyring_text(const KeyInfo& info, ByteView key) {
  SecretBytes text;
  append_header(text, info.id);
  append_key_line(text, info.id, info.created, key);
  return text;
}

SecretBytes generate_pepper_key() {
  SecretBytes key(k_pepper_key_bytes);
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string keyring_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace pwsvc

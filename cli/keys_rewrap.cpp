// pwsvc keys rewrap: seal the sealed hashes of dump files again under the active key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <zlib.h>

#include "cli_common.hpp"
#include "pwsvc/keyring.hpp"

namespace pwsvc::cli {

namespace {

// A line longer than this is not a dump row; the file is left alone.
constexpr std::size_t k_max_line_bytes = 16 << 20;

// zlib reads into the caller's buffer directly when a request is at least
// twice its own buffer, and writes from it directly when a request is at
// least its own buffer, which saves a copy of the dump each way.
constexpr unsigned k_zlib_read_buffer_bytes = 256 << 10;
constexpr std::size_t k_read_bytes = 1 << 20;

// Writes go out in pieces of about 64 KiB. On the benchmark machine (a KVM
// guest, Linux 6.18, ext4), writing 235 MB in pieces of 128 KiB or more took
// 1.4 to 1.9 s of system time, against 0.11 to 0.15 s in pieces of 32 to
// 96 KiB. perf showed the time in copying into new page-cache folios; why
// larger writes make that slower there was not established.
constexpr unsigned k_zlib_write_buffer_bytes = 64 << 10;
constexpr std::size_t k_write_bytes = 64 << 10;

struct RewrapCounts {
  std::uint64_t lines = 0;
  std::uint64_t resealed = 0;
  std::uint64_t current = 0;  // sealed under the active key already, and opened
  std::uint64_t failed = 0;
};

// Character classes of the sealed-hash grammar, looked up per byte.
enum CharClass : unsigned char { k_other = 0, k_id = 1, k_base64 = 2 };

constexpr std::array<unsigned char, 256> char_classes() {
  std::array<unsigned char, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    const bool alphanumeric =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    classes[c] = (alphanumeric || c == '-' || c == '_' ? k_id : 0) |
                 (alphanumeric || c == '+' || c == '/' ? k_base64 : 0);
  }
  return classes;
}

constexpr auto k_char_classes = char_classes();

bool is_class(char c, CharClass wanted) {
  return (k_char_classes[static_cast<unsigned char>(c)] & wanted) != 0;
}

// Returns where the run of `char_class` characters that starts at `at` ends.
std::size_t end_of_run(std::string_view text, std::size_t at, CharClass char_class) {
  // A payload is about 200 characters, so eight are tested at a time first.
  constexpr std::size_t k_step = 8;
  while (at + k_step <= text.size()) {
    unsigned char all = char_class;
    for (std::size_t i = 0; i < k_step; ++i) {
      all &= k_char_classes[static_cast<unsigned char>(text[at + i])];
    }
    if (all == 0) {
      break;
    }
    at += k_step;
  }
  while (at < text.size() && is_class(text[at], char_class)) {
    ++at;
  }
  return at;
}

// Returns the length of the sealed hash at the start of `text`, following
// its grammar exactly, so a CSV comma or a JSON quote after it is not taken.
std::size_t sealed_length(std::string_view text) {
  constexpr std::string_view k_head = "v=1,key=";
  std::size_t at = k_sealed_hash_prefix.size();
  if (text.substr(at, k_head.size()) != k_head) {
    return 0;
  }
  at = end_of_run(text, at + k_head.size(), k_id);
  if (at >= text.size() || text[at] != '$') {
    return 0;
  }
  return end_of_run(text, at + 1, k_base64);
}

// Copies `line` to `out`, sealing each sealed hash in it again under the
// active key. A hash that cannot be opened is reported and kept.
void rewrap_line(std::string_view line, const Keyring& keyring, const std::string& name,
                 RewrapCounts& counts, std::string& out) {
  std::size_t start = 0;
  while (true) {
    const std::size_t found = line.find(k_sealed_hash_prefix, start);
    if (found == std::string_view::npos) {
      out.append(line.substr(start));
      return;
    }
    out.append(line.substr(start, found - start));

    const std::size_t length = std::max(sealed_length(line.substr(found)),
                                        k_sealed_hash_prefix.size());
    const std::string_view sealed = line.substr(found, length);
    const auto outcome = reseal(sealed, keyring, out);
    if (!outcome) {
      ++counts.failed;
      std::cerr << "pwsvc: error: " << name << ":" << counts.lines
                << ": left unchanged: " << outcome.error().message << "\n";
      out.append(sealed);
    } else if (*outcome == Reseal::already_active) {
      ++counts.current;
    } else {
      ++counts.resealed;
    }
    start = found + length;
  }
}

// Writes the rewritten text gathered so far and empties it.
bool write_rewritten(gzFile out, std::string& text, const std::string& name) {
  const auto size = static_cast<unsigned>(text.size());
  if (size != 0 && gzwrite(out, text.data(), size) != static_cast<int>(size)) {
    std::cerr << "pwsvc: error: cannot write the new copy of " << name << "\n";
    return false;
  }
  text.clear();
  return true;
}

// Rewrites every whole line of `text` into `rewritten`, which goes to `out`
// in pieces of at least k_write_bytes. Returns the bytes of `text` used, or
// nothing when a write failed.
std::optional<std::size_t> rewrap_lines(std::string_view text, gzFile out, const Keyring& keyring,
                                        const std::string& name, RewrapCounts& counts,
                                        std::string& rewritten) {
  std::size_t begin = 0;
  for (std::size_t end = text.find('\n'); end != std::string_view::npos;
       end = text.find('\n', begin)) {
    ++counts.lines;
    rewrap_line(text.substr(begin, end + 1 - begin), keyring, name, counts, rewritten);
    if (rewritten.size() >= k_write_bytes && !write_rewritten(out, rewritten, name)) {
      return std::nullopt;
    }
    begin = end + 1;
  }
  return begin;
}

// Checks that `in` ended cleanly. A truncated gzip stream ends like a short
// file, and only gzerror distinguishes the two.
bool read_to_the_end(gzFile in, const std::string& name) {
  int code = Z_OK;
  const char* message = gzerror(in, &code);
  if (code != Z_OK) {
    std::cerr << "pwsvc: error: cannot read " << name << ": " << message << "\n";
    return false;
  }
  return true;
}

// Streams `in` to `out` line by line, keeping every byte outside the hashes.
bool rewrap_stream(gzFile in, gzFile out, const Keyring& keyring, const std::string& name,
                   RewrapCounts& counts) {
  // Lines are rewritten from the buffer they were read into. A partial line
  // at the end moves to the front before the next read.
  std::vector<char> buffer(2 * k_read_bytes);
  std::size_t filled = 0;
  std::string rewritten;
  rewritten.reserve(4 * k_write_bytes);
  while (true) {
    if (buffer.size() - filled < k_read_bytes) {
      buffer.resize(std::max(2 * buffer.size(), filled + k_read_bytes));
    }
    const auto room = static_cast<unsigned>(buffer.size() - filled);
    const int got = gzread(in, buffer.data() + filled, room);
    if (got < 0) {
      int code = 0;
      std::cerr << "pwsvc: error: cannot read " << name << ": " << gzerror(in, &code) << "\n";
      return false;
    }
    filled += static_cast<std::size_t>(got);

    const auto used = rewrap_lines({buffer.data(), filled}, out, keyring, name, counts, rewritten);
    if (!used) {
      return false;
    }
    std::memmove(buffer.data(), buffer.data() + *used, filled - *used);
    filled -= *used;

    if (filled > k_max_line_bytes) {
      std::cerr << "pwsvc: error: " << name << ":" << counts.lines + 1
                << ": a line is longer than 16 MiB; is this a dump of hashes?\n";
      return false;
    }
    if (got == 0) {
      break;
    }
  }

  if (!read_to_the_end(in, name)) {
    return false;
  }

  // The last line may lack a line break; it is written back the same way.
  if (filled != 0) {
    ++counts.lines;
    rewrap_line({buffer.data(), filled}, keyring, name, counts, rewritten);
  }
  return write_rewritten(out, rewritten, name);
}

// Rewraps one file through a temporary copy beside it, renamed over the
// original only when every line was written, so an interrupted run leaves
// the original intact.
bool rewrap_file(const std::string& path, const Keyring& keyring, RewrapCounts& counts) {
  // Renaming over a symbolic or hard link would replace the link and leave
  // the file that other paths reach with the old seals.
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    std::cerr << "pwsvc: error: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  if (S_ISLNK(info.st_mode)) {
    std::cerr << "pwsvc: error: " << path
              << " is a symbolic link; rewrap the file it points to\n";
    return false;
  }
  if (!S_ISREG(info.st_mode) || info.st_nlink > 1) {
    std::cerr << "pwsvc: error: " << path
              << (S_ISREG(info.st_mode) ? " has other hard links, which a rewrap would break"
                                        : " is not a regular file")
              << "; rewrap a copy\n";
    return false;
  }
  gzFile in = gzopen(path.c_str(), "rb");
  if (in == nullptr) {
    std::cerr << "pwsvc: error: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }

  // The copy is compressed when the original is; "T" writes plain text.
  const std::filesystem::path original(path);
  std::string hidden_name = ".";
  hidden_name += original.filename().string();
  hidden_name += ".pwsvc-rewrap-";
  hidden_name += std::to_string(::getpid());
  const std::filesystem::path temporary = original.parent_path() / hidden_name;
  // O_EXCL and O_NOFOLLOW: a file or link planted under the name is never
  // written through. The copy gets the original's mode, owner and group.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        info.st_mode & 0600);
  if (fd < 0) {
    gzclose(in);
    std::cerr << "pwsvc: error: cannot create " << temporary.string() << ": "
              << std::strerror(errno) << "\n";
    return false;
  }
  ::fchmod(fd, info.st_mode & 07777);
  if (::fchown(fd, info.st_uid, info.st_gid) != 0) {
    std::cerr << "pwsvc: warning: the new " << path
              << " will belong to the current user: " << std::strerror(errno) << "\n";
  }
  const char* mode = gzdirect(in) ? "wbT" : "wb6";
  gzFile out = gzdopen(fd, mode);
  if (out == nullptr) {
    ::close(fd);
    gzclose(in);
    std::filesystem::remove(temporary);
    std::cerr << "pwsvc: error: cannot write " << temporary.string() << "\n";
    return false;
  }
  gzbuffer(in, k_zlib_read_buffer_bytes);
  gzbuffer(out, k_zlib_write_buffer_bytes);

  const bool streamed = rewrap_stream(in, out, keyring, path, counts);
  gzclose(in);
  // Synced before the rename, or a crash soon after could leave the dump's
  // only name on a file whose data never reached the disk.
  const bool closed = gzclose(out) == Z_OK && sync_file(temporary);
  if (!streamed || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    std::filesystem::remove(temporary);
    std::cerr << "pwsvc: error: " << path << " was left unchanged\n";
    return false;
  }
  sync_parent_directory(original);
  return true;
}

}  // namespace

int run_rewrap(const std::vector<std::string>& files, const Keyring& keyring) {
  bool all_written = true;
  std::uint64_t failed = 0;
  for (const std::string& path : files) {
    RewrapCounts counts;
    bool written = false;
    if (path == "-") {
      gzFile in = gzdopen(::dup(STDIN_FILENO), "rb");
      gzFile out = gzdopen(::dup(STDOUT_FILENO), "wbT");
      written = in != nullptr && out != nullptr && rewrap_stream(in, out, keyring, "-", counts);
      gzclose(in);
      written = gzclose(out) == Z_OK && written;
    } else {
      written = rewrap_file(path, keyring, counts);
    }

    all_written = all_written && written;
    if (!written) {
      continue;
    }
    failed += counts.failed;
    std::cerr << "pwsvc: " << path << ": " << counts.lines << " lines, " << counts.resealed
              << " resealed under key '" << keyring.active_id() << "', " << counts.current
              << " already under it, " << counts.failed << " left unchanged with errors\n";
  }

  if (!all_written) {
    return k_exit_internal;
  }
  return failed == 0 ? k_exit_ok : k_exit_usage;
}

}  // namespace pwsvc::cli

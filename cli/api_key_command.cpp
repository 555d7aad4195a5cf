// pwsvc api-key: make a new API key for pwsvcd and print its config entry.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "commands.hpp"
#include "pwsvc/wiping_allocator.hpp"

namespace pwsvc::cli {

namespace {

constexpr std::size_t k_key_bytes = 32;
constexpr std::string_view k_key_prefix = "pwsvc_";
constexpr std::size_t k_max_name_size = 64;

struct ApiKeyOptions {
  std::optional<std::string> name;
  std::string out;
};

// Names appear in pwsvcd's logs and metrics and in a TOML string, so they
// are kept to characters that need no quoting anywhere.
bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= k_max_name_size &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '-' || c == '@';
         });
}

// Returns "pwsvc_" and the unpadded URL-safe base64 of 32 bytes (256 bits)
// from libsodium's CSPRNG.
WipedString make_key() {
  unsigned char random[k_key_bytes];
  randombytes_buf(random, sizeof random);
  constexpr std::size_t encoded_size =
      sodium_base64_ENCODED_LEN(k_key_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  WipedString key(k_key_prefix.size() + encoded_size, '\0');
  std::copy(k_key_prefix.begin(), k_key_prefix.end(), key.begin());
  sodium_bin2base64(key.data() + k_key_prefix.size(), encoded_size, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  // sodium_bin2base64 ends the text with a NUL, which is not part of the key.
  key.resize(k_key_prefix.size() + encoded_size - 1);
  return key;
}

// Returns the hex SHA-256 of the key text, which pwsvcd compares with the
// SHA-256 of the text after "Bearer ".
std::string key_sha256_hex(std::string_view key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}


// Creates `path` with mode 0600 and writes `line` to it. An existing file
// or symbolic link at `path` is an error and is never overwritten.
int write_key_file(const std::string& path, std::string_view line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    return print_error("'" + path + "' already exists; choose another path or remove it",
                       k_exit_usage);
  }
  if (fd < 0) {
    return print_error("cannot create '" + path + "': " + std::strerror(errno), k_exit_usage);
  }

  // A umask such as 0277 would clear bits of 0600, so fchmod sets the mode.
  bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, line) && ::fsync(fd) == 0;
  const int write_error = errno;
  written = ::close(fd) == 0 && written;
  if (!written) {
    ::unlink(path.c_str());
    return print_error("cannot write the key to '" + path + "': " + std::strerror(write_error),
                       k_exit_internal);
  }
  return k_exit_ok;
}

int run_api_key(const ApiKeyOptions& options) {
  if (options.name && !valid_name(*options.name)) {
    return print_error("invalid --name '" + *options.name + "'; use 1 to " +
                           std::to_string(k_max_name_size) +
                           " letters, digits, '.', '_', '-' or '@'",
                       k_exit_usage);
  }

  WipedString line = make_key();
  const std::string sha256 = key_sha256_hex(line);
  const std::string name = options.name.value_or("key-" + sha256.substr(0, 8));
  line += '\n';
  int status = k_exit_ok;
  if (options.out.empty()) {
    status = write_all(STDOUT_FILENO, line)
                 ? k_exit_ok
                 : print_error(std::string("cannot write the key to standard output: ") +
                                   std::strerror(errno),
                               k_exit_internal);
  } else {
    status = write_key_file(options.out, line);
  }
  wipe(line);
  if (status != k_exit_ok) {
    return status;
  }

  if (!options.out.empty()) {
    std::cerr << "# The key is in " << options.out << "; pass it with --api-key-file.\n";
  }
  std::cerr << "# Add to the pwsvcd config; it holds only the SHA-256 of the key.\n"
            << "[[daemon.api_keys]]\n"
            << "name = \"" << name << "\"\n"
            << "hash = \"sha256:" << sha256 << "\"\n";
  return k_exit_ok;
}

}  // namespace

void add_api_key_command(CLI::App& app, int& status) {
  auto options = std::make_shared<ApiKeyOptions>();
  CLI::App* command = app.add_subcommand(
      "api-key", "Make a new API key for pwsvcd and print its [[daemon.api_keys]] table");
  command->add_option("--name", options->name,
                      "Name of the key in the daemon's logs and rate limits: 1 to 64 letters, "
                      "digits, '.', '_', '-' or '@' (default: key- and 8 hex digits of its hash)");
  command->add_option("--out", options->out,
                      "Write the key to FILE, created with mode 0600, instead of stdout; fails "
                      "when FILE exists")
      ->type_name("FILE");
  command->footer(
      "The key is pwsvc_ and the unpadded URL-safe base64 of 32 random bytes, on one line\n"
      "of stdout or of --out FILE. stderr gets the TOML table to add to the daemon's\n"
      "config, which holds only the SHA-256 of the key:\n"
      "  [[daemon.api_keys]]\n"
      "  name = \"NAME\"\n"
      "  hash = \"sha256:<64 hex digits>\"\n"
      "Clients send the key over TCP with --api-key-file FILE. Exit status: 0 success,\n"
      "2 usage error or FILE exists, 4 write failure.\n\n"
      "Examples:\n"
      "  pwsvc api-key --name billing --out billing.key\n"
      "  pwsvc --remote http://127.0.0.1:7070 --api-key-file billing.key verify "
      "--hash-file h.txt");
  command->callback([options, &status] { status = run_api_key(*options); });
}

}  // namespace pwsvc::cli

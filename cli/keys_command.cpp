// pwsvc keys: generate, list and activate pepper keys, and rewrap sealed dumps.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <boost/json.hpp>
#include <zlib.h>

#include "audit_input.hpp"
#include "commands.hpp"
#include "pwsvc/keyring.hpp"

namespace pwsvc::cli {

namespace {

struct KeysOptions {
  std::string keyring;  // --keyring; empty: pepper.keyring from the config
  std::string id;
  std::string out;
  bool activate = false;
  bool json = false;
  std::vector<std::string> files;
};

// Returns the keyring path from --keyring or the config's pepper.keyring.
std::optional<std::string> keyring_path(const KeysOptions& options, const GlobalOptions& global) {
  if (!options.keyring.empty()) {
    return options.keyring;
  }
  const LoadedSettings loaded = load_settings(global);
  if (loaded.failure == k_exit_ok && !loaded.settings.pepper.keyring.empty()) {
    return loaded.settings.pepper.keyring;
  }
  print_error("no keyring given; pass --keyring FILE or set pepper.keyring in the config",
              k_exit_usage);
  return std::nullopt;
}

// A keyring named by --keyring or pepper.keyring, or the exit status after
// its error was printed.
struct NamedKeyring {
  std::string path;
  std::shared_ptr<const Keyring> keyring;
  int failure = k_exit_ok;
};

NamedKeyring load_named_keyring(const KeysOptions& options, const GlobalOptions& global) {
  const auto path = keyring_path(options, global);
  if (!path) {
    return {{}, nullptr, k_exit_usage};
  }
  auto keyring = Keyring::load(*path);
  if (!keyring) {
    return {*path, nullptr, print_error(keyring.error())};
  }
  return {*path, std::move(*keyring)};
}

// An exclusive flock on the directory that contains a keyring, held while
// keys generate or keys activate read, change and replace it. The file itself
// cannot carry the lock, because the rename replaces its inode and a lock on
// the old inode does not stop the next writer. A lock file beside the keyring
// would work too, but it would stay next to the keys for good. Other programs
// that flock the same directory only wait for each other.
class KeyringLock {
 public:
  // Takes the lock, waiting up to k_wait for another holder to finish.
  static Result<KeyringLock> acquire(const std::filesystem::path& keyring) {
    std::filesystem::path directory = keyring.parent_path();
    if (directory.empty()) {
      directory = ".";
    }
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return fail(ErrorCode::invalid_argument, "cannot open directory " + directory.string() +
                                                   " to lock the keyring: " + std::strerror(errno));
    }
    KeyringLock lock(fd);

    const auto deadline = std::chrono::steady_clock::now() + k_wait;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return fail(ErrorCode::unavailable,
                    "cannot lock directory " + directory.string() + ": " + std::strerror(errno) +
                        "; keep the keyring on a file system that supports flock");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::unavailable,
                    "timed out after 10 seconds waiting for the lock on directory " +
                        directory.string() + ", which another process holds; try again later");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return lock;
  }

  KeyringLock(KeyringLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  KeyringLock(const KeyringLock&) = delete;
  KeyringLock& operator=(const KeyringLock&) = delete;
  KeyringLock& operator=(KeyringLock&&) = delete;
  // Closing the descriptor releases the lock.
  ~KeyringLock() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

 private:
  static constexpr std::chrono::seconds k_wait{10};

  explicit KeyringLock(int fd) : fd_(fd) {}

  int fd_;
};

// Writes `bytes` to `path` through a new 0600 file in the same directory and
// a rename, so a reader sees the old file or the whole new one. An existing
// file's owner and group carry over, so that a keyring an administrator
// rotates as root stays readable by the service user.
Result<void> replace_file(const std::filesystem::path& path, ByteView bytes) {
  std::string hidden_name = ".";
  hidden_name += path.filename().string();
  hidden_name += ".pwsvc-tmp-";
  hidden_name += std::to_string(::getpid());
  const std::filesystem::path temporary = path.parent_path() / hidden_name;
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorCode::invalid_argument,
                "cannot create " + temporary.string() + ": " + std::strerror(errno));
  }
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0 && ::fchown(fd, old.st_uid, old.st_gid) != 0) {
    std::cerr << "pwsvc: warning: " << path.string() << " will belong to the current user: "
              << std::strerror(errno) << "\n";
  }

  if (!write_all(fd, {reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
    ::close(fd);
    ::unlink(temporary.c_str());
    return fail(ErrorCode::internal,
                "cannot write " + temporary.string() + ": " + std::strerror(errno));
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return fail(ErrorCode::internal, "cannot replace " + path.string() + ": " +
                                         std::strerror(errno));
  }
  sync_parent_directory(path);
  return {};
}

// Returns the file that a change to the keyring at `path` must replace. For a
// symbolic link that is its final target, because a rename over the link
// itself would leave the target unchanged.
std::filesystem::path file_to_replace(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_symlink(path, error)) {
    return path;
  }
  const std::filesystem::path target = std::filesystem::weakly_canonical(path, error);
  return error ? std::filesystem::path(path) : target;
}

// Returns the name of the changed file for messages, with the link used.
std::string shown_path(const std::string& path, const std::filesystem::path& file) {
  return file == path ? path : file.string() + ", which " + path + " points to";
}

int run_generate(const KeysOptions& options) {
  if (auto checked = check_key_id(options.id); !checked) {
    return print_error(checked.error());
  }
  const KeyInfo info{options.id, keyring_timestamp(), false};
  const SecretBytes key = generate_pepper_key();

  // Another generate or activate must not replace the file between the
  // read below and the rename, or one of the two changes would be lost.
  const std::filesystem::path file = file_to_replace(options.out);
  auto lock = KeyringLock::acquire(file);
  if (!lock) {
    return print_error(lock.error());
  }
  SecretBytes text;
  std::error_code ignored;
  if (std::filesystem::exists(file, ignored)) {
    auto keyring = Keyring::load(file.string());
    if (!keyring) {
      return print_error(keyring.error());
    }
    if ((*keyring)->contains(options.id)) {
      return print_error("key id '" + options.id + "' is already in " + options.out +
                             "; choose a new id",
                         k_exit_usage);
    }
    text = (*keyring)->text_with(&info, key.view(), options.activate ? options.id : "");
  } else {
    text = new_keyring_text(info, key.view());
  }

  if (auto written = replace_file(file, text.view()); !written) {
    return print_error(written.error());
  }
  std::cerr << "pwsvc: added key '" << options.id << "' to " << shown_path(options.out, file)
            << "\n";
  return k_exit_ok;
}

int run_list(const KeysOptions& options, const GlobalOptions& global) {
  const NamedKeyring named = load_named_keyring(options, global);
  if (named.failure != k_exit_ok) {
    return named.failure;
  }

  boost::json::array keys;
  for (const KeyInfo& key : named.keyring->list()) {
    if (options.json) {
      keys.push_back({{"id", key.id}, {"created", key.created}, {"active", key.active}});
    } else {
      std::cout << key.id << "\t" << key.created << (key.active ? "\tactive" : "") << "\n";
    }
  }
  if (options.json) {
    std::cout << boost::json::serialize(keys) << "\n";
  }
  return k_exit_ok;
}

int run_activate(const KeysOptions& options, const GlobalOptions& global) {
  const auto path = keyring_path(options, global);
  if (!path) {
    return k_exit_usage;
  }
  // The keyring is read under the lock, as in run_generate.
  const std::filesystem::path file = file_to_replace(*path);
  auto lock = KeyringLock::acquire(file);
  if (!lock) {
    return print_error(lock.error());
  }
  auto keyring = Keyring::load(file.string());
  if (!keyring) {
    return print_error(keyring.error());
  }
  if (!(*keyring)->contains(options.id)) {
    return print_error("key id '" + options.id + "' is not in " + *path +
                           "; pwsvc keys list shows the ids",
                       k_exit_usage);
  }

  const SecretBytes text = (*keyring)->text_with(nullptr, {}, options.id);
  if (auto written = replace_file(file, text.view()); !written) {
    return print_error(written.error());
  }
  std::cerr << "pwsvc: key '" << options.id << "' is now active in " << shown_path(*path, file)
            << "; reload pwsvcd (SIGHUP) to use it\n";
  return k_exit_ok;
}

}  // namespace

int run_rewrap(const std::vector<std::string>& files, const Keyring& keyring);

void add_keys_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Manage pepper keys and rewrap sealed hashes");
  keys->require_subcommand(1);

  CLI::App* generate = keys->add_subcommand("generate", "Add a new random key to a keyring file");
  generate->add_option("--id", options->id, "Key id: 1 to 8 letters, digits, '-' or '_'")
      ->required();
  generate->add_option("--out", options->out,
                       "Keyring file to create or extend, written with mode 0600")
      ->required();
  generate->add_flag("--activate", options->activate,
                     "Make the new key active (the first key of a new file always is)");
  generate->callback([options, &status] { status = run_generate(*options); });

  CLI::App* list = keys->add_subcommand("list", "Show key ids, creation times and the active key");
  list->add_option("--keyring", options->keyring, "Keyring file (default: pepper.keyring)");
  list->add_flag("--json", options->json, "Print a JSON array");
  list->callback([options, &global, &status] { status = run_list(*options, global); });

  CLI::App* activate = keys->add_subcommand("activate", "Make a key the one new hashes use");
  activate->add_option("ID", options->id, "Key id")->required();
  activate->add_option("--keyring", options->keyring, "Keyring file (default: pepper.keyring)");
  activate->callback([options, &global, &status] { status = run_activate(*options, global); });

  CLI::App* rewrap = keys->add_subcommand(
      "rewrap", "Seal every sealed hash in dump files again under the active key, in place");
  rewrap->add_option("FILE", options->files, "Dump files, plain or gzip; '-' reads stdin")
      ->required();
  rewrap->add_option("--keyring", options->keyring, "Keyring file (default: pepper.keyring)");
  rewrap->callback([options, &global, &status] {
    const NamedKeyring named = load_named_keyring(*options, global);
    status = named.failure != k_exit_ok ? named.failure : run_rewrap(options->files, *named.keyring);
  });
}

}  // namespace pwsvc::cli

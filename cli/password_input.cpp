// Password input: the buffers that held a password are wiped on every path.
#include "password_input.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

namespace pwsvc::cli {

namespace {

// Reads `fd` to end of file, keeping at most max_bytes + 2 bytes so the
// trailing line break of a maximum-length password still fits.
Result<SecretBytes> read_all(int fd, std::size_t max_bytes, std::string_view source) {
  SecretBytes password;
  unsigned char chunk[4096];
  while (true) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got == 0) {
      break;
    }
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      sodium_memzero(chunk, sizeof chunk);
      return fail(ErrorCode::invalid_argument, "cannot read the password from " +
                                                   std::string(source) + ": " +
                                                   std::strerror(errno));
    }
    password.append({chunk, static_cast<std::size_t>(got)});
    if (password.size() > max_bytes + 2) {
      sodium_memzero(chunk, sizeof chunk);
      return fail(ErrorCode::invalid_argument,
                  "the password from " + std::string(source) + " is longer than " +
                      std::to_string(max_bytes) + " bytes (limits.max_password_bytes)");
    }
  }
  sodium_memzero(chunk, sizeof chunk);
  return password;
}

void strip_line_break(SecretBytes& password) {
  const unsigned char* bytes = password.data();
  std::size_t size = password.size();
  if (size > 0 && bytes[size - 1] == '\n') {
    --size;
    if (size > 0 && bytes[size - 1] == '\r') {
      --size;
    }
  }
  password.truncate(size);
}

// Turns terminal echo off for its lifetime.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<SecretBytes> prompt_once(int tty, const char* prompt, std::size_t max_bytes) {
  (void)!::write(tty, prompt, std::strlen(prompt));
  SecretBytes password;
  {
    EchoOff echo_off(tty);
    unsigned char byte = 0;
    while (::read(tty, &byte, 1) == 1 && byte != '\n') {
      password.append({&byte, 1});
      if (password.size() > max_bytes + 1) {
        byte = 0;
        (void)!::write(tty, "\n", 1);
        return fail(ErrorCode::invalid_argument,
                    "the password is longer than " + std::to_string(max_bytes) + " bytes");
      }
    }
    byte = 0;
  }
  (void)!::write(tty, "\n", 1);
  if (!password.empty() && password.data()[password.size() - 1] == '\r') {
    password.truncate(password.size() - 1);
  }
  return password;
}

Result<SecretBytes> prompt(Confirm confirm, std::size_t max_bytes) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  const int fd = tty >= 0 ? tty : STDIN_FILENO;
  auto first = prompt_once(fd, "Password: ", max_bytes);
  if (first && confirm == Confirm::yes) {
    auto second = prompt_once(fd, "Retype password: ", max_bytes);
    if (!second) {
      first = tl::unexpected(second.error());
    } else if (!constant_time_equal(first->view(), second->view())) {
      first = fail(ErrorCode::invalid_argument, "the passwords do not match; nothing was hashed");
    }
  }
  if (tty >= 0) {
    ::close(tty);
  }
  return first;
}

}  // namespace

Result<SecretBytes> read_password(std::optional<int> fd, Confirm confirm, std::size_t max_bytes) {
  if (fd) {
    return read_all(*fd, max_bytes, "file descriptor " + std::to_string(*fd));
  }
  if (::isatty(STDIN_FILENO)) {
    return prompt(confirm, max_bytes);
  }

  auto password = read_all(STDIN_FILENO, max_bytes, "standard input");
  if (password) {
    strip_line_break(*password);
  }
  return password;
}

}  // namespace pwsvc::cli

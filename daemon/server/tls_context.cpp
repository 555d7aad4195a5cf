// TLS context: loads and checks the certificate chain and private key at start-up.
#include "tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pwsvc/secret.hpp"

namespace pwsvc::daemon {

namespace ssl = boost::asio::ssl;

namespace {

// A certificate chain and its key take a few KiB. The cap stops a wrong
// path, such as a large log file, from filling memory.
constexpr off_t k_max_pem_bytes = 1 << 20;

// TLS 1.2 suites with forward secrecy and an AEAD cipher only, so a recorded
// session cannot be decrypted with a key stolen later. TLS 1.3 suites keep
// OpenSSL's defaults, which all meet this.
constexpr const char* k_tls12_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

std::string quoted(std::string_view key, const std::string& path) {
  return std::string(key) + " '" + path + "'";
}

// Returns the reason of the newest OpenSSL error, e.g. "no start line (PEM
// routines)", and clears the error queue.
std::string openssl_reason() {
  const unsigned long code = ::ERR_peek_last_error();
  ::ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  return boost::system::error_code(static_cast<int>(code), boost::asio::error::get_ssl_category())
      .message();
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads the whole file named by config key `key` into a buffer that wipes
// itself, because it may contain a private key.
Result<SecretBytes> read_pem_file(std::string_view key, const std::string& path) {
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    return fail(ErrorCode::invalid_argument,
                "cannot read " + quoted(key, path) + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return fail(ErrorCode::invalid_argument, quoted(key, path) + " is not a regular file");
  }
  if (info.st_size > k_max_pem_bytes) {
    return fail(ErrorCode::invalid_argument,
                quoted(key, path) + " is larger than 1 MiB; it should hold PEM text only");
  }

  SecretBytes bytes(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t count = ::read(file.get(), bytes.data() + done, bytes.size() - done);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      return fail(ErrorCode::invalid_argument,
                  "cannot read " + quoted(key, path) + ": " +
                      (count < 0 ? std::strerror(errno) : "the file shrank while being read"));
    }
    done += static_cast<std::size_t>(count);
  }
  return bytes;
}

// Rejects every passphrase request, so that an encrypted key fails to load
// at once instead of OpenSSL prompting on a terminal a daemon does not have.
int reject_passphrase(char*, int, int, void*) { return 0; }

using BioPointer = std::unique_ptr<BIO, decltype(&::BIO_free)>;
using KeyPointer = std::unique_ptr<EVP_PKEY, decltype(&::EVP_PKEY_free)>;
using CertificatePointer = std::unique_ptr<X509, decltype(&::X509_free)>;

BioPointer memory_bio(const SecretBytes& pem) {
  return BioPointer(::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &::BIO_free);
}

// Loads the leaf certificate and then every intermediate that follows it.
// Returns OpenSSL's reason on failure, e.g. "no start line (PEM routines)"
// for a file without a certificate or "ee key too small (SSL routines)".
tl::expected<void, std::string> load_certificate_chain(SSL_CTX* native, const SecretBytes& pem) {
  ::ERR_clear_error();
  const BioPointer input = memory_bio(pem);
  CertificatePointer leaf(
      input ? ::PEM_read_bio_X509_AUX(input.get(), nullptr, reject_passphrase, nullptr) : nullptr,
      &::X509_free);
  if (!leaf || ::SSL_CTX_use_certificate(native, leaf.get()) != 1) {
    return tl::unexpected(openssl_reason());
  }

  while (true) {
    CertificatePointer intermediate(
        ::PEM_read_bio_X509(input.get(), nullptr, reject_passphrase, nullptr), &::X509_free);
    if (!intermediate) {
      break;
    }
    if (::SSL_CTX_add0_chain_cert(native, intermediate.get()) != 1) {
      return tl::unexpected(openssl_reason());
    }
    // The context owns it now.
    intermediate.release();
  }
  // The loop ends on "no start line" at the end of the file. Any other
  // error means a damaged certificate.
  const unsigned long last = ::ERR_peek_last_error();
  const bool at_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (last == 0 || at_end) {
    ::ERR_clear_error();
    return {};
  }
  return tl::unexpected(openssl_reason());
}

Result<KeyPointer> parse_private_key(const SecretBytes& pem, const std::string& path) {
  const BioPointer input = memory_bio(pem);
  KeyPointer key(input ? ::PEM_read_bio_PrivateKey(input.get(), nullptr, reject_passphrase, nullptr)
                       : nullptr,
                 &::EVP_PKEY_free);
  if (!key) {
    return fail(ErrorCode::invalid_argument,
                quoted("daemon.tls_private_key", path) +
                    " is not an unencrypted PEM private key: " + openssl_reason());
  }
  return key;
}

void apply_protocol_policy(ssl::context& context) {
  SSL_CTX* native = context.native_handle();
  ::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Level 2 requires 112-bit security: RSA keys of at least 2048 bits and EC
  // keys of at least 224 bits. It is set before the certificate loads, so
  // loading a weaker certificate fails.
  ::SSL_CTX_set_security_level(native, 2);
  // Compression exposes secrets to the CRIME attack. Client-initiated
  // renegotiation costs the server a full handshake each time and has no use here.
  // Cleansing wipes decrypted request bytes, which contain passwords, from
  // OpenSSL's record buffer once they are handed over.
  ::SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_CLEANSE_PLAINTEXT);
  ::SSL_CTX_set_cipher_list(native, k_tls12_ciphers);
}

std::string describe_half_pair(const DaemonSettings& daemon) {
  const bool has_certificate = !daemon.tls_certificate.empty();
  const std::string present = has_certificate
                                  ? quoted("daemon.tls_certificate", daemon.tls_certificate)
                                  : quoted("daemon.tls_private_key", daemon.tls_private_key);
  const std::string missing =
      has_certificate ? "daemon.tls_private_key" : "daemon.tls_certificate";
  return present + " is set but " + missing +
         " is missing; set both PEM files to serve TLS, or neither";
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_context(const DaemonSettings& daemon) {
  const std::string& certificate_path = daemon.tls_certificate;
  const std::string& key_path = daemon.tls_private_key;
  if (certificate_path.empty() && key_path.empty()) {
    return std::shared_ptr<ssl::context>();
  }
  if (certificate_path.empty() || key_path.empty()) {
    return fail(ErrorCode::invalid_argument, describe_half_pair(daemon));
  }

  auto certificate_pem = read_pem_file("daemon.tls_certificate", certificate_path);
  if (!certificate_pem) {
    return tl::unexpected(certificate_pem.error());
  }
  auto key_pem = read_pem_file("daemon.tls_private_key", key_path);
  if (!key_pem) {
    return tl::unexpected(key_pem.error());
  }
  auto key = parse_private_key(*key_pem, key_path);
  if (!key) {
    return tl::unexpected(key.error());
  }

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  apply_protocol_policy(*context);
  SSL_CTX* native = context->native_handle();
  if (auto loaded = load_certificate_chain(native, *certificate_pem); !loaded) {
    return fail(ErrorCode::invalid_argument,
                quoted("daemon.tls_certificate", certificate_path) +
                    " is not a usable PEM certificate chain: " + loaded.error());
  }

  if (::X509_check_private_key(::SSL_CTX_get0_certificate(native), key->get()) != 1 ||
      ::SSL_CTX_use_PrivateKey(native, key->get()) != 1) {
    ::ERR_clear_error();
    return fail(ErrorCode::invalid_argument,
                quoted("daemon.tls_private_key", key_path) +
                    " does not match the certificate in " +
                    quoted("daemon.tls_certificate", certificate_path));
  }
  return context;
}

}  // namespace pwsvc::daemon

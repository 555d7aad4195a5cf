// TLS context for TCP listeners, built from daemon.tls_certificate and daemon.tls_private_key.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "config.hpp"
#include "pwsvc/result.hpp"

namespace pwsvc::daemon {

// Builds a TLS server context from the PEM files named in `daemon`: TLS 1.2
// or later, no compression, no renegotiation, OpenSSL security level 2.
// Returns a null pointer when neither file is configured. Fails with
// invalid_argument, naming the config key and the file, when only one is set,
// a file cannot be read or parsed, or the key does not match the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const DaemonSettings& daemon);

}  // namespace pwsvc::daemon

// TLS for every outgoing connection hearth makes (model pulls, cloud providers,
// other nodes over https): TLS 1.2 or newer, the peer's certificate verified
// against the system's CA store or a shop's own CA file, SNI, and the host
// name (or IP address) the certificate must name.
//
//   HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<asio::ssl::context> tls, make_client_tls_context(""));
//   HttpConnection::open(executor, url, tls.get(), ...);   // http_connection.h applies the rest
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "base/status.h"

namespace hearth::net {

// A client context: TLS >= 1.2, peers verified against `ca_file` (PEM) or,
// when it is empty, the system's CA store. kIo when the CAs cannot be loaded.
Result<std::unique_ptr<boost::asio::ssl::context>> make_client_tls_context(const std::string& ca_file);

// Sets SNI and the name (or address) the peer's certificate must carry on a
// connection's SSL handle before its handshake.
Status prepare_tls_peer(SSL* handle, const std::string& host);

// After a failed handshake: why the peer's certificate was refused, or "".
std::string tls_verify_failure(SSL* handle);

}  // namespace hearth::net

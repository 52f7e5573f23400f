#include "net/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <exception>

namespace hearth::net {

namespace ssl = boost::asio::ssl;

Result<std::unique_ptr<ssl::context>> make_client_tls_context(const std::string& ca_file) {
  try {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
      return internal_error("cannot require TLS 1.2 or newer");
    }
    boost::system::error_code error;
    if (ca_file.empty()) {
      context->set_default_verify_paths(error);
      if (error) return io_error("cannot load the system's CA certificates: " + error.message());
    } else {
      context->load_verify_file(ca_file, error);
      if (error) return io_error("cannot load CA certificates from " + ca_file + " (missing, or not PEM)");
    }
    context->set_verify_mode(ssl::verify_peer, error);
    if (error) return internal_error("cannot require TLS peer verification: " + error.message());
    return context;
  } catch (const std::exception& error) {  // OpenSSL context setup, allocation
    return internal_error(std::string("cannot set up TLS: ") + error.what());
  }
}

Status prepare_tls_peer(SSL* handle, const std::string& host) {
  boost::system::error_code error;
  boost::asio::ip::make_address(host, error);
  if (error) {  // a name: SNI, and the certificate must name it
    if (SSL_set_tlsext_host_name(handle, host.c_str()) != 1 || SSL_set1_host(handle, host.c_str()) != 1) {
      return internal_error("cannot set the TLS host name " + host);
    }
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str()) != 1) {
    return internal_error("cannot set the TLS peer address " + host);
  }
  return ok_status();
}

std::string tls_verify_failure(SSL* handle) {
  const long verify_result = SSL_get_verify_result(handle);
  return verify_result == X509_V_OK ? std::string() : X509_verify_cert_error_string(verify_result);
}

}  // namespace hearth::net

#include "api/upstream_client.h"

#include <openssl/ssl.h>

#include <array>
#include <chrono>

namespace hearth::api {
namespace {

std::chrono::milliseconds as_ms(int64_t ms) { return std::chrono::milliseconds(ms); }

Status io_failure(std::string_view what, const boost::system::error_code& error) {
  return unavailable_error(std::string(what) + ": " + error.message());
}

}  // namespace

Result<UpstreamUrl> parse_upstream_url(std::string_view url) {
  UpstreamUrl out;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    out.port = "80";
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    out.tls = true;
    out.port = "443";
  } else {
    return invalid_argument_error("'" + std::string(url) + "' is not an http(s) URL");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.base_path = std::string(rest.substr(slash));
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  if (!authority.empty() && authority.front() == '[') {  // [ipv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument_error("'" + std::string(url) + "' has a bad host");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return invalid_argument_error("'" + std::string(url) + "' has a bad port");
      out.port = std::string(authority.substr(1));
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_argument_error("'" + std::string(url) + "' needs a host and a numeric port");
  }
  return out;
}

std::unique_ptr<asio::ssl::context> make_client_tls_context() {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_default_verify_paths();
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> UpstreamConnection::open(asio::any_io_executor executor,
                                                                                      UpstreamUrl url,
                                                                                      asio::ssl::context* tls,
                                                                                      int64_t timeout_ms) {
  std::unique_ptr<UpstreamConnection> connection(new UpstreamConnection());
  boost::system::error_code error;
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints =
      co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return io_failure("cannot resolve " + url.host, error);
  beast::tcp_stream stream(executor);
  stream.expires_after(as_ms(timeout_ms));
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return io_failure("cannot connect to " + url.host + ":" + url.port, error);
  stream.socket().set_option(asio::ip::tcp::no_delay(true), error);
  if (!url.tls) {
    connection->plain_.emplace(std::move(stream));
    co_return connection;
  }
  if (tls == nullptr) co_return invalid_argument_error("no TLS context for https://" + url.host);
  connection->tls_.emplace(std::move(stream), *tls);
  auto& tls_stream = *connection->tls_;
  if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str())) {
    co_return unavailable_error("cannot set the TLS server name for " + url.host);
  }
  tls_stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(tls_stream).expires_after(as_ms(timeout_ms));
  co_await tls_stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return io_failure("TLS handshake with " + url.host + " failed", error);
  co_return connection;
}

asio::awaitable<Status> UpstreamConnection::write(http::request<http::string_body>& request, int64_t timeout_ms) {
  boost::system::error_code error;
  if (tls_) {
    beast::get_lowest_layer(*tls_).expires_after(as_ms(timeout_ms));
    co_await http::async_write(*tls_, request, asio::redirect_error(asio::use_awaitable, error));
  } else {
    plain_->expires_after(as_ms(timeout_ms));
    co_await http::async_write(*plain_, request, asio::redirect_error(asio::use_awaitable, error));
  }
  if (error) co_return io_failure("cannot send the request", error);
  co_return ok_status();
}

asio::awaitable<Status> UpstreamConnection::read_header(UpstreamParser& parser, int64_t timeout_ms) {
  boost::system::error_code error;
  if (tls_) {
    beast::get_lowest_layer(*tls_).expires_after(as_ms(timeout_ms));
    co_await http::async_read_header(*tls_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  } else {
    plain_->expires_after(as_ms(timeout_ms));
    co_await http::async_read_header(*plain_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  }
  if (error) co_return io_failure("no response", error);
  co_return ok_status();
}

asio::awaitable<Status> UpstreamConnection::read_body_piece(UpstreamParser& parser, std::string* out,
                                                            int64_t timeout_ms) {
  std::array<char, 16384> piece{};
  parser.get().body().data = piece.data();
  parser.get().body().size = piece.size();
  boost::system::error_code error;
  if (tls_) {
    beast::get_lowest_layer(*tls_).expires_after(as_ms(timeout_ms));
    co_await http::async_read_some(*tls_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  } else {
    plain_->expires_after(as_ms(timeout_ms));
    co_await http::async_read_some(*plain_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  }
  out->append(piece.data(), piece.size() - parser.get().body().size);
  if (error && error != http::error::need_buffer) co_return io_failure("the response broke off", error);
  co_return ok_status();
}

void UpstreamConnection::close() {
  boost::system::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
}

}  // namespace hearth::api

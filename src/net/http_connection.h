// One HTTP/1.1 client connection (Boost.Beast), plain or TLS (tls.h), as
// coroutines: the one client every outgoing request of hearth goes through.
// The gateway's proxy and fleet poller use it on the server's I/O thread;
// http_get (model pulls: redirects, resume) drives it on a private io_context.
// Bodies are read in pieces as they arrive, so a stream passes through
// without buffering.
//
//   HEARTH_ASSIGN_OR_RETURN(Url url, parse_base_url("https://api.openai.com/v1"));
//   auto connection = co_await HttpConnection::open(executor, url, tls, timeout_ms);
//   co_await (*connection)->write(request, timeout_ms);
//   co_await (*connection)->read_header(parser, timeout_ms);
//   while (!parser.is_done()) { std::string piece; co_await (*connection)->read_body_piece(parser, &piece, ms); }
//
// Errors name the host and the stage: kUnavailable for a failed lookup,
// connect or TLS handshake, a timeout ("no progress from HOST for N s while
// ...") or a connection closed early; kDataLoss for a malformed response.
// Thread-safety: one connection is used by one coroutine at a time. GCC 12:
// awaited calls get named values only (see api/http_connection.h).
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/status.h"
#include "net/url.h"

namespace hearth::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using ResponseParser = http::response_parser<http::buffer_body>;

class HttpConnection {
 public:
  // Resolves, connects and, for https URLs, verifies the peer (tls must then
  // be a context from make_client_tls_context), each within timeout_ms.
  static asio::awaitable<Result<std::unique_ptr<HttpConnection>>> open(asio::any_io_executor executor, Url url,
                                                                       asio::ssl::context* tls, int64_t timeout_ms);

  // Each call fails with kUnavailable when its I/O makes no progress for timeout_ms.
  asio::awaitable<Status> write(http::request<http::string_body>& request, int64_t timeout_ms);
  asio::awaitable<Status> read_header(ResponseParser& parser, int64_t timeout_ms);
  // Stores what arrived of the body (possibly nothing) at the front of `into`
  // and returns how many bytes that is.
  asio::awaitable<Result<size_t>> read_body_some(ResponseParser& parser, std::span<char> into, int64_t timeout_ms);
  // Appends what arrived of the body (possibly nothing) to *out.
  asio::awaitable<Status> read_body_piece(ResponseParser& parser, std::string* out, int64_t timeout_ms);
  void close();

  const Url& url() const { return url_; }

 private:
  explicit HttpConnection(Url url) : url_(std::move(url)) {}
  beast::tcp_stream& lowest_layer();
  Status transfer_error(std::string_view stage, const boost::system::error_code& error, int64_t timeout_ms) const;

  Url url_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

}  // namespace hearth::net

// One HTTP/1.1 connection from this server to an upstream (another hearth
// node, or a cloud provider over TLS), as coroutines on the I/O thread: the
// gateway's proxy and the fleet's status poller use it. Bodies are read in
// pieces as they arrive, so a stream passes through without buffering.
//
//   HEARTH_ASSIGN_OR_RETURN(UpstreamUrl url, parse_upstream_url("https://api.openai.com/v1"));
//   auto connection = co_await UpstreamConnection::open(executor, url, tls, timeout_ms);
//   co_await (*connection)->write(request);
//   co_await (*connection)->read_header(parser);
//   while (!parser.is_done()) { std::string piece; co_await (*connection)->read_body_piece(parser, &piece); ... }
//
// Thread-safety: I/O thread only. The GCC 12 rule of http_connection.h holds
// here: awaited calls get named values only.
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
#include <string>

#include "base/status.h"

namespace hearth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct UpstreamUrl {
  bool tls = false;
  std::string host;
  std::string port;       // "443" when the URL names none for https, "80" for http
  std::string base_path;  // "/v1" or ""; never ends in '/'
};

// http(s)://host[:port][/path]; kInvalidArgument otherwise.
Result<UpstreamUrl> parse_upstream_url(std::string_view url);

using UpstreamParser = http::response_parser<http::buffer_body>;

class UpstreamConnection {
 public:
  // Resolves, connects (and for TLS verifies the peer against the system's
  // CA store, with SNI) within timeout_ms. `tls` may be null for http URLs.
  static asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> open(asio::any_io_executor executor,
                                                                           UpstreamUrl url, asio::ssl::context* tls,
                                                                           int64_t timeout_ms);

  // Each call's I/O must finish within timeout_ms.
  asio::awaitable<Status> write(http::request<http::string_body>& request, int64_t timeout_ms);
  asio::awaitable<Status> read_header(UpstreamParser& parser, int64_t timeout_ms);
  // Appends what arrived of the body (possibly nothing) to *out.
  asio::awaitable<Status> read_body_piece(UpstreamParser& parser, std::string* out, int64_t timeout_ms);
  void close();

 private:
  UpstreamConnection() = default;

  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

// A client TLS context that verifies peers against the system's CA store.
std::unique_ptr<asio::ssl::context> make_client_tls_context();

}  // namespace hearth::api

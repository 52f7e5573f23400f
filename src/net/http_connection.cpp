#include "net/http_connection.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "net/tls.h"

namespace hearth::net {
namespace {

using boost::system::error_code;
using tcp = asio::ip::tcp;

std::chrono::milliseconds to_ms(int64_t ms) { return std::chrono::milliseconds(std::max<int64_t>(ms, 1)); }

std::string seconds_text(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g s", static_cast<double>(ms) / 1000.0);
  return text;
}

bool is_http_parse_error(const error_code& error) {
  return error.category() == http::make_error_code(http::error::end_of_stream).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message;
}

// Name lookup bounded by a timer (the resolver has none of its own), then the
// TCP connect bounded by the stream's deadline.
asio::awaitable<Status> connect(beast::tcp_stream& stream, const Url& url, int64_t timeout_ms) {
  error_code error;
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor);
  timer.expires_after(to_ms(timeout_ms));
  bool timed_out = false;
  // After timer.cancel() the handler runs with operation_aborted and touches nothing.
  timer.async_wait([&timed_out, &resolver](const error_code& wait_error) {
    if (!wait_error) {
      timed_out = true;
      resolver.cancel();
    }
  });
  const tcp::resolver::results_type endpoints =
      co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, error));
  timer.cancel();
  if (timed_out)
    co_return unavailable_error("looking up " + url.host + " took longer than " + seconds_text(timeout_ms));
  if (error) co_return unavailable_error("cannot look up " + url.host + ": " + error.message());
  stream.expires_after(to_ms(timeout_ms));
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error == beast::error::timeout) {
    co_return unavailable_error("connecting to " + url.host_header() + " took longer than " + seconds_text(timeout_ms));
  }
  if (error) co_return unavailable_error("cannot connect to " + url.host_header() + ": " + error.message());
  stream.socket().set_option(tcp::no_delay(true), error);  // small requests, streamed answers
  co_return ok_status();
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<HttpConnection>>> HttpConnection::open(asio::any_io_executor executor, Url url,
                                                                              asio::ssl::context* tls,
                                                                              int64_t timeout_ms) {
  std::unique_ptr<HttpConnection> connection(new HttpConnection(std::move(url)));
  const Url& where = connection->url_;
  if (!where.tls) {
    connection->plain_.emplace(executor);
    Status connected = co_await connect(*connection->plain_, where, timeout_ms);
    if (!connected.ok()) co_return connected;
    co_return connection;
  }
  if (tls == nullptr) co_return invalid_argument_error("no TLS context for " + where.to_string());
  connection->tls_.emplace(executor, *tls);
  auto& stream = *connection->tls_;
  Status prepared = prepare_tls_peer(stream.native_handle(), where.host);
  if (!prepared.ok()) co_return prepared;
  Status connected = co_await connect(beast::get_lowest_layer(stream), where, timeout_ms);
  if (!connected.ok()) co_return connected;
  error_code error;
  beast::get_lowest_layer(stream).expires_after(to_ms(timeout_ms));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, error));
  if (error) {
    std::string message = "TLS with " + where.host_header() + " failed: " + error.message();
    if (const std::string why = tls_verify_failure(stream.native_handle()); !why.empty()) {
      message.append(" (").append(why).append(")");
    }
    co_return unavailable_error(std::move(message));
  }
  co_return connection;
}

beast::tcp_stream& HttpConnection::lowest_layer() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

Status HttpConnection::transfer_error(std::string_view stage, const error_code& error, int64_t timeout_ms) const {
  const std::string where = url_.host_header();
  if (error == beast::error::timeout) {
    return unavailable_error("no progress from " + where + " for " + seconds_text(timeout_ms) + " while " +
                             std::string(stage));
  }
  if (error == http::error::partial_message || error == http::error::end_of_stream || error == asio::error::eof ||
      error == asio::ssl::error::stream_truncated || error == asio::error::connection_reset ||
      error == asio::error::broken_pipe) {
    return unavailable_error("the connection to " + where + " closed while " + std::string(stage));
  }
  if (is_http_parse_error(error)) {
    return data_loss_error("the response from " + where + " is malformed (" + error.message() + ")");
  }
  return unavailable_error(std::string(stage) + " from " + where + " failed: " + error.message());
}

asio::awaitable<Status> HttpConnection::write(http::request<http::string_body>& request, int64_t timeout_ms) {
  error_code error;
  lowest_layer().expires_after(to_ms(timeout_ms));
  if (tls_) {
    co_await http::async_write(*tls_, request, asio::redirect_error(asio::use_awaitable, error));
  } else {
    co_await http::async_write(*plain_, request, asio::redirect_error(asio::use_awaitable, error));
  }
  if (error) co_return transfer_error("sending the request", error, timeout_ms);
  co_return ok_status();
}

asio::awaitable<Status> HttpConnection::read_header(ResponseParser& parser, int64_t timeout_ms) {
  error_code error;
  lowest_layer().expires_after(to_ms(timeout_ms));
  if (tls_) {
    co_await http::async_read_header(*tls_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  } else {
    co_await http::async_read_header(*plain_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  }
  if (error) co_return transfer_error("reading the response head", error, timeout_ms);
  co_return ok_status();
}

asio::awaitable<Result<size_t>> HttpConnection::read_body_some(ResponseParser& parser, std::span<char> into,
                                                               int64_t timeout_ms) {
  parser.get().body().data = into.data();
  parser.get().body().size = into.size();
  error_code error;
  lowest_layer().expires_after(to_ms(timeout_ms));
  if (tls_) {
    co_await http::async_read_some(*tls_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  } else {
    co_await http::async_read_some(*plain_, buffer_, parser, asio::redirect_error(asio::use_awaitable, error));
  }
  const size_t n_bytes = into.size() - parser.get().body().size;
  if (error && error != http::error::need_buffer) co_return transfer_error("reading the body", error, timeout_ms);
  co_return n_bytes;
}

asio::awaitable<Status> HttpConnection::read_body_piece(ResponseParser& parser, std::string* out, int64_t timeout_ms) {
  std::array<char, 16384> piece{};
  Result<size_t> n_bytes = co_await read_body_some(parser, piece, timeout_ms);
  if (!n_bytes.ok()) co_return n_bytes.status();
  out->append(piece.data(), *n_bytes);
  co_return ok_status();
}

void HttpConnection::close() {
  error_code ignored;
  lowest_layer().socket().close(ignored);
}

}  // namespace hearth::net

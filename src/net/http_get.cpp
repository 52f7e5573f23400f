#include "store/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <exception>
#include <limits>

namespace hearth::store {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;  // CDNs send long cookies and policies; model files do not need more

std::chrono::milliseconds to_ms(int64_t ms) { return std::chrono::milliseconds(std::max<int64_t>(ms, 1)); }

std::string seconds_text(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g s", static_cast<double>(ms) / 1000.0);
  return text;
}

// Header values from a hostile server: printable ASCII only, at most 1 KiB.
std::string clean_header(beast::string_view value) {
  if (value.size() > 1024) return "";
  for (char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte >= 0x7f) return "";
  }
  return std::string(value.data(), value.size());
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_http_parse_error(const error_code& error) {
  return error.category() == http::make_error_code(http::error::end_of_stream).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message;
}

Status transfer_error(const Url& url, std::string_view stage, const error_code& error, const HttpOptions& options) {
  const std::string where = url.host_header();
  if (error == beast::error::timeout) {
    return unavailable_error("no progress from " + where + " for " + seconds_text(options.stall_timeout_ms) +
                             " while " + std::string(stage));
  }
  if (error == http::error::partial_message || error == http::error::end_of_stream || error == asio::error::eof ||
      error == ssl::error::stream_truncated || error == asio::error::connection_reset ||
      error == asio::error::broken_pipe) {
    return unavailable_error("the connection to " + where + " closed while " + std::string(stage));
  }
  if (is_http_parse_error(error)) {
    return data_loss_error("the response from " + where + " is malformed (" + error.message() + ")");
  }
  return unavailable_error(std::string(stage) + " from " + where + " failed: " + error.message());
}

// What one request-response exchange ended with.
struct Exchange {
  Status status;
  bool redirect = false;
  std::string location;
};

asio::awaitable<Status> connect(tcp::resolver& resolver, beast::tcp_stream& stream, const Url& url,
                                const HttpOptions& options) {
  error_code error;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(to_ms(options.connect_timeout_ms));
  bool timed_out = false;
  // The resolver has no deadline of its own: the timer cancels it. After
  // timer.cancel() the handler runs with operation_aborted and touches nothing.
  timer.async_wait([&timed_out, &resolver](const error_code& wait_error) {
    if (!wait_error) {
      timed_out = true;
      resolver.cancel();
    }
  });
  const tcp::resolver::results_type endpoints =
      co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, error));
  timer.cancel();
  if (timed_out) {
    co_return unavailable_error("looking up " + url.host + " took longer than " +
                                seconds_text(options.connect_timeout_ms));
  }
  if (error) co_return unavailable_error("cannot look up " + url.host + ": " + error.message());
  stream.expires_after(to_ms(options.connect_timeout_ms));
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error == beast::error::timeout) {
    co_return unavailable_error("connecting to " + url.host_header() + " took longer than " +
                                seconds_text(options.connect_timeout_ms));
  }
  if (error) co_return unavailable_error("cannot connect to " + url.host_header() + ": " + error.message());
  co_return ok_status();
}

template <typename Stream>
asio::awaitable<Exchange> exchange(Stream& stream, const Url& url,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const HttpOptions& options, const HttpHandlers& handlers) {
  Exchange result;
  error_code error;
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);

  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "hearth");
  request.set(http::field::accept, "*/*");
  request.set(http::field::accept_encoding, "identity");  // ranges of the bytes as stored, not of a gzip stream
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  lowest.expires_after(to_ms(options.stall_timeout_ms));
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, error));
  if (error) {
    result.status = transfer_error(url, "sending the request", error, options);
    co_return result;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // No limit: model files are large, and the handlers check sizes against the
  // head. (Beast 1.74 compares the length with an empty optional as if it were
  // 0, so "no limit" is spelled as the largest value.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.header_limit(kMaxHeaderBytes);
  lowest.expires_after(to_ms(options.stall_timeout_ms));
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
  if (error) {
    result.status = transfer_error(url, "reading the response head", error, options);
    co_return result;
  }
  http::response<http::buffer_body>& response = parser.get();
  const unsigned status = response.result_int();
  if (is_redirect(status)) {
    result.redirect = true;
    result.location = clean_header(response[http::field::location]);
    if (result.location.empty()) {
      result.status = data_loss_error("the redirect from " + url.to_string() + " has no usable Location");
    }
    co_return result;
  }
  HttpResponseHead head;
  head.status = status;
  head.reason = clean_header(response.reason());
  head.url = url.to_string();
  if (const boost::optional<uint64_t> length = parser.content_length()) head.content_length = *length;
  head.content_range = clean_header(response[http::field::content_range]);
  head.etag = clean_header(response[http::field::etag]);
  head.last_modified = clean_header(response[http::field::last_modified]);
  head.content_type = clean_header(response[http::field::content_type]);
  result.status = handlers.on_head(head);
  if (!result.status.ok()) co_return result;

  std::vector<uint8_t> chunk(std::max<size_t>(options.body_chunk_bytes, 4096));
  while (!parser.is_done()) {
    response.body().data = chunk.data();
    response.body().size = chunk.size();
    lowest.expires_after(to_ms(options.stall_timeout_ms));
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
    if (error == http::error::need_buffer) error = {};
    const size_t n_bytes = chunk.size() - response.body().size;
    if (n_bytes > 0) {
      result.status = handlers.on_body(std::span<const uint8_t>(chunk.data(), n_bytes));
      if (!result.status.ok()) co_return result;
    }
    if (error) {
      result.status = transfer_error(url, "reading the body", error, options);
      co_return result;
    }
  }
  co_return result;
}

// SNI and the host name (or IP address) the certificate must name.
Status prepare_tls(SSL* handle, const std::string& host) {
  error_code error;
  asio::ip::make_address(host, error);
  if (error) {
    if (SSL_set_tlsext_host_name(handle, host.c_str()) != 1 || SSL_set1_host(handle, host.c_str()) != 1) {
      return internal_error("cannot set the TLS host name " + host);
    }
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str()) != 1) {
    return internal_error("cannot set the TLS peer address " + host);
  }
  return ok_status();
}

asio::awaitable<Status> get_with_redirects(Url url, const std::vector<std::pair<std::string, std::string>>& headers,
                                           const HttpOptions& options, const HttpHandlers& handlers,
                                           ssl::context& tls) {
  const auto executor = co_await asio::this_coro::executor;
  for (int redirect_idx = 0;; ++redirect_idx) {
    Exchange exchanged;
    tcp::resolver resolver(executor);
    if (url.tls) {
      beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
      Status prepared = prepare_tls(stream.native_handle(), url.host);
      if (!prepared.ok()) co_return prepared;
      Status connected = co_await connect(resolver, beast::get_lowest_layer(stream), url, options);
      if (!connected.ok()) co_return connected;
      error_code error;
      beast::get_lowest_layer(stream).expires_after(to_ms(options.connect_timeout_ms));
      co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, error));
      if (error) {
        std::string message = "TLS with " + url.host_header() + " failed: " + error.message();
        const long verify_result = SSL_get_verify_result(stream.native_handle());
        if (verify_result != X509_V_OK)
          message.append(" (").append(X509_verify_cert_error_string(verify_result)).append(")");
        co_return unavailable_error(std::move(message));
      }
      exchanged = co_await exchange(stream, url, headers, options, handlers);
    } else {
      beast::tcp_stream stream(executor);
      Status connected = co_await connect(resolver, stream, url, options);
      if (!connected.ok()) co_return connected;
      exchanged = co_await exchange(stream, url, headers, options, handlers);
    }
    if (!exchanged.redirect || !exchanged.status.ok()) co_return exchanged.status;
    if (redirect_idx >= options.max_redirects) {
      co_return unavailable_error("more than " + std::to_string(options.max_redirects) + " redirects from " +
                                  url.to_string());
    }
    Result<Url> next = resolve_location(url, exchanged.location);
    if (!next.ok())
      co_return invalid_argument_error("bad redirect from " + url.to_string() + ": " + next.status().message());
    if (url.tls && !next->tls) {
      co_return invalid_argument_error("refusing the redirect from " + url.to_string() + " to plain http " +
                                       next->to_string());
    }
    url = *std::move(next);
  }
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t idx = 0; idx < prefix.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(text[idx])) != prefix[idx]) return false;
  }
  return true;
}

bool parse_decimal(std::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<ContentRange> parse_content_range(std::string_view value) {
  const Status malformed =
      data_loss_error("the server's Content-Range '" + std::string(value.substr(0, 100)) + "' is malformed");
  if (!starts_with_ci(value, "bytes ")) return malformed;
  std::string_view rest = value.substr(6);
  const size_t dash = rest.find('-');
  const size_t slash = rest.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return malformed;
  ContentRange range;
  if (!parse_decimal(rest.substr(0, dash), range.first) ||
      !parse_decimal(rest.substr(dash + 1, slash - dash - 1), range.last) ||
      !parse_decimal(rest.substr(slash + 1), range.complete_length)) {
    return malformed;
  }
  if (range.first > range.last || range.last >= range.complete_length) return malformed;
  return range;
}

Status http_get(const Url& url, const std::vector<std::pair<std::string, std::string>>& headers,
                const HttpOptions& options, const HttpHandlers& handlers) {
  for (const auto& [name, value] : headers) {
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      return invalid_argument_error("the request header '" + name + "' holds a line break");
    }
  }
  try {
    ssl::context tls(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    error_code error;
    if (options.ca_file.empty()) {
      tls.set_default_verify_paths(error);
      if (error) return io_error("cannot load the system's CA certificates: " + error.message());
    } else {
      tls.load_verify_file(options.ca_file, error);
      if (error) return io_error("cannot load CA certificates from " + options.ca_file + " (missing, or not PEM)");
    }
    tls.set_verify_mode(ssl::verify_peer, error);
    if (error) return internal_error("cannot require TLS peer verification: " + error.message());

    asio::io_context io;
    Status result = internal_error("the HTTP transfer did not finish");
    asio::co_spawn(io, get_with_redirects(url, headers, options, handlers, tls),
                   [&result](std::exception_ptr thrown, Status status) {
                     if (!thrown) {
                       result = std::move(status);
                       return;
                     }
                     try {
                       std::rethrow_exception(thrown);
                     } catch (const std::exception& error) {
                       result = unavailable_error(std::string("the HTTP transfer failed: ") + error.what());
                     } catch (...) {
                       result = internal_error("the HTTP transfer threw an unknown exception");
                     }
                   });
    io.run();
    return result;
  } catch (const std::exception& error) {  // OpenSSL context setup, allocation
    return unavailable_error(std::string("the HTTP client failed: ") + error.what());
  }
}

}  // namespace hearth::store

#include "net/http_get.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>

#include "net/http_connection.h"
#include "net/tls.h"

namespace hearth::net {
namespace {

namespace ssl = asio::ssl;

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;  // CDNs send long cookies and policies; model files do not need more

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

// What one request-response exchange ended with.
struct Exchange {
  Status status;
  bool redirect = false;
  std::string location;
};

asio::awaitable<Exchange> exchange(HttpConnection& connection,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const HttpOptions& options, const HttpHandlers& handlers) {
  const Url& url = connection.url();
  Exchange result;
  http::request<http::string_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "hearth");
  request.set(http::field::accept, "*/*");
  request.set(http::field::accept_encoding, "identity");  // ranges of the bytes as stored, not of a gzip stream
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  Status sent = co_await connection.write(request, options.stall_timeout_ms);
  if (!sent.ok()) {
    result.status = std::move(sent);
    co_return result;
  }

  ResponseParser parser;
  // No limit: model files are large, and the handlers check sizes against the
  // head. (Beast 1.74 compares the length with an empty optional as if it were
  // 0, so "no limit" is spelled as the largest value.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.header_limit(kMaxHeaderBytes);
  Status head_read = co_await connection.read_header(parser, options.stall_timeout_ms);
  if (!head_read.ok()) {
    result.status = std::move(head_read);
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

  std::vector<char> chunk(std::max<size_t>(options.body_chunk_bytes, 4096));
  while (!parser.is_done()) {
    Result<size_t> n_bytes = co_await connection.read_body_some(parser, chunk, options.stall_timeout_ms);
    if (!n_bytes.ok()) {
      result.status = n_bytes.status();
      co_return result;
    }
    if (*n_bytes > 0) {
      result.status = handlers.on_body(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(chunk.data()), *n_bytes));
      if (!result.status.ok()) co_return result;
    }
  }
  co_return result;
}

asio::awaitable<Status> get_with_redirects(Url url, const std::vector<std::pair<std::string, std::string>>& headers,
                                           const HttpOptions& options, const HttpHandlers& handlers,
                                           ssl::context& tls) {
  const auto executor = co_await asio::this_coro::executor;
  for (int redirect_idx = 0;; ++redirect_idx) {
    auto opened = co_await HttpConnection::open(executor, url, &tls, options.connect_timeout_ms);
    if (!opened.ok()) co_return opened.status();
    Exchange exchanged = co_await exchange(**opened, headers, options, handlers);
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
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ssl::context> tls, make_client_tls_context(options.ca_file));
    asio::io_context io;
    Status result = internal_error("the HTTP transfer did not finish");
    asio::co_spawn(io, get_with_redirects(url, headers, options, handlers, *tls),
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

}  // namespace hearth::net

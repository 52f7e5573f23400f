#include "net/http_request.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <limits>

#include "net/http_connection.h"
#include "net/tls.h"

namespace hearth::net {
namespace {

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;

// Fills *reply; co_spawn needs a result type that is default-constructible, so a Status.
asio::awaitable<Status> exchange(const HttpRequestSpec& spec, const HttpRequestOptions& options,
                                 asio::ssl::context& tls, HttpReply* reply_out) {
  const auto executor = co_await asio::this_coro::executor;
  auto opened = co_await HttpConnection::open(executor, spec.url, &tls, options.connect_timeout_ms);
  if (!opened.ok()) co_return opened.status();
  HttpConnection& connection = **opened;
  const http::verb verb = spec.method == "POST"     ? http::verb::post
                          : spec.method == "DELETE" ? http::verb::delete_
                                                    : http::verb::get;
  http::request<http::string_body> request{verb, spec.url.target, 11};
  request.set(http::field::host, spec.url.host_header());
  request.set(http::field::user_agent, "hearth");
  request.set(http::field::accept_encoding, "identity");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : spec.headers) request.set(name, value);
  request.body() = spec.body;
  if (verb == http::verb::post || !spec.body.empty()) request.prepare_payload();
  Status sent = co_await connection.write(request, options.stall_timeout_ms);
  if (!sent.ok()) co_return sent;
  ResponseParser parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // checked below, with a clear error
  Status head_read = co_await connection.read_header(parser, options.stall_timeout_ms);
  if (!head_read.ok()) co_return head_read;
  HttpReply& reply = *reply_out;
  reply.status = parser.get().result_int();
  const auto content_type = parser.get()[http::field::content_type];
  if (content_type.size() <= 1024) reply.content_type = std::string(content_type.data(), content_type.size());
  while (!parser.is_done()) {
    Status piece = co_await connection.read_body_piece(parser, &reply.body, options.stall_timeout_ms);
    if (!piece.ok()) co_return piece;
    if (static_cast<int64_t>(reply.body.size()) > options.max_response_bytes) {
      co_return out_of_range_error("the response from " + spec.url.to_string() + " is larger than " +
                                   std::to_string(options.max_response_bytes) + " bytes");
    }
  }
  co_return ok_status();
}

}  // namespace

Result<HttpReply> http_request(const HttpRequestSpec& spec, const HttpRequestOptions& options) {
  if (spec.method != "GET" && spec.method != "POST" && spec.method != "DELETE") {
    return invalid_argument_error("unsupported HTTP method '" + spec.method + "'");
  }
  for (const auto& [name, value] : spec.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      return invalid_argument_error("the request header '" + name + "' holds a line break");
    }
  }
  try {
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<asio::ssl::context> tls, make_client_tls_context(options.ca_file));
    asio::io_context io;
    HttpReply reply;
    Status result = internal_error("the HTTP request did not finish");
    asio::co_spawn(io, exchange(spec, options, *tls, &reply), [&result](std::exception_ptr thrown, Status status) {
      if (!thrown) {
        result = std::move(status);
        return;
      }
      try {
        std::rethrow_exception(thrown);
      } catch (const std::exception& error) {
        result = unavailable_error(std::string("the HTTP request failed: ") + error.what());
      } catch (...) {
        result = internal_error("the HTTP request threw an unknown exception");
      }
    });
    io.run();
    if (!result.ok()) return result;
    return reply;
  } catch (const std::exception& error) {
    return unavailable_error(std::string("the HTTP client failed: ") + error.what());
  }
}

}  // namespace hearth::net

// One whole HTTP/1.1 request and its whole response, over HttpConnection
// (http_connection.h; https as tls.h sets it up), for API calls whose answers
// are small: the CLI's calls to a hearth server (`hearth batch`). No
// redirects are followed (an API answers where it is asked). The response
// body is read up to `max_response_bytes`; a longer one is an error rather
// than a truncated answer.
//
//   HttpRequestSpec spec{"POST", url, {{"Content-Type", "application/json"}}, body};
//   HEARTH_ASSIGN_OR_RETURN(HttpReply reply, http_request(spec, HttpRequestOptions{}));
//   if (reply.status != 200) ...
//
// Thread-safety: runs its own io_context on the calling thread; calls on
// different threads are independent.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/url.h"

namespace hearth::net {

struct HttpRequestSpec {
  std::string method = "GET";  // GET, POST, DELETE
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpRequestOptions {
  int64_t connect_timeout_ms = 30'000;  // name lookup, TCP connect and TLS handshake, each
  int64_t stall_timeout_ms = 120'000;   // any read or write that makes no progress this long
  int64_t max_response_bytes = int64_t{256} << 20;
  std::string ca_file;  // empty: the system store
};

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// kInvalidArgument for a method other than GET/POST/DELETE or header values
// with line breaks; kUnavailable for a network failure, timeout or a
// connection that closed early; kDataLoss for a malformed response;
// kOutOfRange for a body over max_response_bytes.
Result<HttpReply> http_request(const HttpRequestSpec& spec, const HttpRequestOptions& options);

}  // namespace hearth::net

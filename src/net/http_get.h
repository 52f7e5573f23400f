// A streaming HTTP/1.1 GET for model downloads, over HttpConnection
// (http_connection.h; https as tls.h sets it up: TLS >= 1.2, the peer
// verified, SNI, host name checked), up to `max_redirects` redirects, a timeout
// on connecting and on any read or write that stalls. Every header from the
// network is treated as hostile: Beast refuses malformed framing, and
// parse_content_range checks the one header the store interprets itself.
//
//   HttpHandlers handlers;
//   handlers.on_head = [&](const HttpResponseHead& head) { ...; return ok_status(); };
//   handlers.on_body = [&](std::span<const uint8_t> bytes) { return writer.append(bytes); };
//   HEARTH_RETURN_IF_ERROR(http_get(url, {{"Range", "bytes=100-"}}, HttpOptions{}, handlers));
//
// Thread-safety: http_get runs its own io_context on the calling thread;
// calls on different threads are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/url.h"

namespace hearth::net {

struct HttpOptions {
  int64_t connect_timeout_ms = 30'000;  // name lookup, TCP connect and TLS handshake, each
  int64_t stall_timeout_ms = 60'000;    // any read or write that makes no progress this long
  int max_redirects = 5;
  // A PEM file of CA certificates to trust instead of the system store (a
  // shop's own CA for its NAS); empty: the system store.
  std::string ca_file;
  size_t body_chunk_bytes = 256 * 1024;
};

struct HttpResponseHead {
  unsigned status = 0;
  std::string reason;
  std::string url;                         // the URL that answered, after redirects
  std::optional<uint64_t> content_length;  // as Beast parsed it; absent for chunked or close-delimited bodies
  std::string content_range;
  std::string etag;
  std::string last_modified;
  std::string content_type;
};

struct HttpHandlers {
  // The final response's head (never a redirect's). A non-ok Status stops the
  // transfer and is what http_get returns.
  std::function<Status(const HttpResponseHead&)> on_head;
  // Each piece of the body, in order. A non-ok Status stops the transfer.
  std::function<Status(std::span<const uint8_t>)> on_body;
};

// GETs `url` with the extra `headers` (kept across redirects). Returns ok once
// the body ended as its framing says (Content-Length reached, last chunk, or
// the server's close when it gave no length); a handler's non-ok Status as is;
// kUnavailable for a network failure, timeout, TLS failure or a connection that
// closed before the body ended; kDataLoss for a malformed response; kInvalidArgument
// for a redirect to a non-http(s) URL or from https to http, or header values
// with line breaks.
Status http_get(const Url& url, const std::vector<std::pair<std::string, std::string>>& headers,
                const HttpOptions& options, const HttpHandlers& handlers);

struct ContentRange {
  uint64_t first = 0;  // first byte position, inclusive
  uint64_t last = 0;   // last byte position, inclusive
  uint64_t complete_length = 0;
};

// "bytes 100-199/1000". kDataLoss for anything else, including an unknown
// complete length ("/*"), first > last, last >= length, or numbers that overflow.
// ref: RFC 9110 section 14.4
Result<ContentRange> parse_content_range(std::string_view value);

}  // namespace hearth::net

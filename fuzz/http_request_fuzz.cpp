// libFuzzer target: the HTTP/1.1 request parser as hearth serve configures it
// (Boost.Beast request_parser<string_body>, 16 KiB of headers, the default
// 4 MiB body limit; src/api/http_connection.cpp), fed the input in pieces as
// a socket would deliver it, then the routing and header reads a handler does
// on what it parsed, the identity and policy headers among them. Any crash, sanitizer report or leak is a bug; a parse
// error is the expected outcome for most inputs.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_server.h"
#include "api/policy_headers.h"
#include "api/routes.h"

namespace {

namespace http = boost::beast::http;

std::string_view to_std(boost::beast::string_view text) { return {text.data(), text.size()}; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the piece size (1..256 bytes), so the parser's
  // resumption at every boundary is exercised, as partial reads do.
  if (size == 0) return 0;
  const size_t piece_bytes = static_cast<size_t>(data[0]) + 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  http::request_parser<http::string_body> parser;
  parser.header_limit(hearth::api::kMaxHeaderBytes);
  parser.body_limit(static_cast<uint64_t>(hearth::api::kDefaultMaxBodyBytes));
  parser.eager(true);
  boost::beast::error_code error;
  // Beast's contract: put() consumes a prefix of what it is offered; the
  // caller keeps the rest and offers it again with the next bytes.
  std::string pending;
  size_t offset = 0;
  bool progressed = true;
  while (!parser.is_done()) {
    if (offset < input.size()) {
      const size_t n_take = std::min(piece_bytes, input.size() - offset);
      pending.append(input.substr(offset, n_take));
      offset += n_take;
    } else if (!progressed) {
      parser.put_eof(error);  // no more bytes will come: the peer closed
      break;
    }
    const size_t n_used = parser.put(boost::asio::buffer(pending.data(), pending.size()), error);
    pending.erase(0, n_used);
    progressed = n_used > 0;
    if (error == http::error::need_more) {
      error = {};
      continue;
    }
    if (error) break;
  }

  volatile size_t sink = 0;
  if (parser.is_header_done()) {
    const auto& request = parser.get();
    const std::string_view method = to_std(request.method_string());
    const std::string_view target = to_std(request.target());
    sink = sink + hearth::api::target_path(target).size();
    if (auto match = hearth::api::match_route(method, target)) sink = sink + match->model_id.size();
    if (auto decoded = hearth::api::percent_decode(target)) sink = sink + decoded->size();
    sink = sink + request[http::field::expect].size() + request.keep_alive();
    // Identity and policy, as every route reads them (api/policy_headers.h).
    if (auto policy = hearth::api::read_policy_headers(request); policy.ok()) {
      sink = sink + policy->api_key.size() + static_cast<size_t>(policy->priority);
      auto data_class = hearth::api::request_data_class(*policy, hearth::gateway::DataClass::kInternal);
      sink = sink + static_cast<size_t>(data_class.ok());
    }
  }
  if (!error && parser.is_done()) sink = sink + parser.get().body().size();
  (void)sink;
  return 0;
}

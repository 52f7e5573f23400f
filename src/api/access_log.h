// The structured access log: one JSON object per request, one line each,
// written to stderr by the server when the response is complete.
//
//   {"ts":"2025-05-01T12:00:00.123Z","id":"chatcmpl-...","method":"POST",
//    "route":"/v1/chat/completions","model":"tiny","status":200,
//    "prompt_tokens":12,"completion_tokens":30,"cached_tokens":0,
//    "ttft_ms":41.2,"total_ms":380.5,"priority":"interactive"}
//
// Fields a request does not have (model, token counts, ttft for a route that
// generates nothing or a request that failed first) are null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hearth::api {

struct AccessRecord {
  int64_t ts_unix_ms = 0;  // when the request arrived
  std::string id;
  std::string method;
  std::string route;  // the route pattern, or the path when none matched
  std::string model;  // "" renders null
  int status = 0;
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  std::optional<int64_t> cached_tokens;
  std::optional<double> ttft_ms;  // request read to first token out
  double total_ms = 0.0;          // request read to response complete
  std::string priority;           // "interactive" or "batch"; "" renders null
};

// One line: the JSON object and "\n".
std::string render_access_line(const AccessRecord& record);

// "2025-05-01T12:00:00.123Z"
std::string format_utc_ms(int64_t unix_ms);

}  // namespace hearth::api

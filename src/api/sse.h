// Server-sent events framing, as OpenAI streams completions: one
// "data: <json>\n\n" event per chunk and a final "data: [DONE]\n\n".
// ref: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
//
//   out += sse_data(dump_json(chunk));
//   out += sse_done();
#pragma once

#include <string>
#include <string_view>

namespace hearth::api {

// One event carrying `payload` as its data. A payload with line breaks (CR,
// LF or CRLF) is split over several "data:" lines, which a client joins back
// with "\n"; compact JSON has none, so a chunk is always one line.
std::string sse_data(std::string_view payload);

// "data: [DONE]\n\n": the end of a successful stream.
std::string_view sse_done();

}  // namespace hearth::api

#include "api/sse.h"

namespace hearth::api {

std::string sse_data(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  out += "data: ";
  for (size_t pos = 0; pos < payload.size(); ++pos) {
    const char c = payload[pos];
    if (c == '\r' || c == '\n') {
      // CRLF is one line break, as the SSE parser reads it.
      if (c == '\r' && pos + 1 < payload.size() && payload[pos + 1] == '\n') ++pos;
      out += "\ndata: ";
    } else {
      out += c;
    }
  }
  out += "\n\n";
  return out;
}

std::string_view sse_done() { return "data: [DONE]\n\n"; }

}  // namespace hearth::api

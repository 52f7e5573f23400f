// Incremental UTF-8 validation; see utf8_stream.h.
#include "text/utf8_stream.h"

#include "text/utf8.h"

namespace hearth::text {

std::string Utf8StreamDecoder::push(std::string_view bytes) {
  std::string data = std::move(pending_);
  pending_.clear();
  data.append(bytes);

  std::string out;
  out.reserve(data.size());
  size_t pos = 0;
  while (pos < data.size()) {
    const std::string_view rest = std::string_view(data).substr(pos);
    const Utf8Char ch = decode_utf8_char(rest);
    if (ch.status == Utf8Status::kTruncated) {
      pending_.assign(rest);
      break;
    }
    if (ch.status == Utf8Status::kValid) {
      out.append(rest.substr(0, ch.n_bytes));
    } else {
      append_utf8(out, kReplacementChar);
    }
    pos += ch.n_bytes;
  }
  return out;
}

std::string Utf8StreamDecoder::flush() {
  std::string out;
  if (!pending_.empty()) append_utf8(out, kReplacementChar);
  pending_.clear();
  return out;
}

}  // namespace hearth::text

// libFuzzer target: multipart/form-data as POST /v1/files reads it
// (net/multipart.h). The input is a Content-Type value, a newline, then the
// body. Every part found must lie inside the body and carry a name; any crash,
// sanitizer report or leak is a bug, a parse error the usual outcome.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view content_type = input.substr(0, newline);
  // A copy of exactly the body's bytes, so ASan sees any read past its end.
  const std::string body(input.substr(newline + 1));
  auto boundary = hearth::net::multipart_boundary(content_type);
  if (!boundary.ok()) return 0;
  hearth::net::MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_part_header_bytes = 512;
  auto parts = hearth::net::parse_multipart(body, *boundary, limits);
  if (!parts.ok()) return 0;
  if (parts->size() > limits.max_parts) std::abort();
  for (const hearth::net::MultipartPart& part : *parts) {
    if (part.name.empty()) std::abort();
    if (part.data.data() < body.data() || part.data.data() + part.data.size() > body.data() + body.size()) std::abort();
  }
  return 0;
}

// NFC with utf8proc over the well-formed runs of the text; see unicode_normalization.h.
#include "text/unicode_normalization.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "text/utf8.h"

namespace hearth::text {
namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* data) const { std::free(data); }
};

void append_nfc(std::string& out, std::string_view run) {
  if (run.empty()) return;
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t n_bytes =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()), static_cast<utf8proc_ssize_t>(run.size()),
                   &mapped, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(mapped);
  if (n_bytes < 0) {
    // Only out-of-memory is possible for a well-formed run: keep it as it is.
    out.append(run);
    return;
  }
  out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n_bytes));
}

}  // namespace

std::string nfc_normalize(std::string_view text) {
  bool is_ascii = true;
  for (char c : text) is_ascii = is_ascii && static_cast<unsigned char>(c) < 0x80;
  if (is_ascii) return std::string(text);

  std::string out;
  out.reserve(text.size());
  size_t run_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = decode_utf8_char(text.substr(pos));
    if (ch.status != Utf8Status::kValid) {
      append_nfc(out, text.substr(run_start, pos - run_start));
      out.append(text.substr(pos, ch.n_bytes));
      run_start = pos + ch.n_bytes;
    }
    pos += ch.n_bytes;
  }
  append_nfc(out, text.substr(run_start));
  return out;
}

}  // namespace hearth::text

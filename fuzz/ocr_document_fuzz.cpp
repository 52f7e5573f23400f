// libFuzzer target: media::Document on arbitrary bytes, as POST /v1/ocr hands
// a client's document to the OCR engine: sniffed, opened (a PDF parsed by
// Poppler, an image's header read by Leptonica and checked against the
// limits), then every page rendered. Limits are lower than the server's so a
// page costs milliseconds. Any crash, sanitizer report, leak or timeout is a
// bug; a Status is the expected outcome for most inputs. (Poppler and
// Leptonica themselves are Debian's, uninstrumented: this finds what hearth's
// handling of them gets wrong, and inputs that crash them.)
#include <cstddef>
#include <cstdint>
#include <string>

#include "media/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::media::DocumentLimits limits;
  limits.max_document_bytes = 1 << 20;
  limits.max_pages = 4;
  limits.max_page_pixels = 1'000'000;
  limits.max_side_pixels = 4000;
  limits.pdf_dpi = 36;
  auto doc = hearth::media::Document::open(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!doc.ok()) return 0;
  volatile int64_t sink = 0;
  const int32_t n_pages = std::min(doc->page_count(), limits.max_pages);
  for (int32_t page = 0; page < n_pages; ++page) {
    auto raster = doc->render(page);
    sink = sink + (raster.ok() ? int64_t{raster->width} * raster->height : raster.status().message().size());
  }
  return 0;
}

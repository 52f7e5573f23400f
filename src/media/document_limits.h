// The bounds a document must keep before any of it is decoded: OCR input comes
// from clients, so a PDF or an image is hostile until proven small enough.
// Each limit is checked from the file's own header (image dimensions, a PDF
// page's box) before the pixels it announces are allocated.
#pragma once

#include <cstdint>

namespace hearth::media {

struct DocumentLimits {
  int64_t max_document_bytes = int64_t{50} << 20;  // Mistral's OCR API takes up to 50 MB
  int32_t max_pages = 100;                         // pages read in one request
  int64_t max_page_pixels = 40'000'000;            // one page's raster (an A4 page at 300 dpi is 8.7 M)
  int32_t max_side_pixels = 20'000;                // either side of that raster
  int32_t pdf_dpi = 200;                           // the resolution PDF pages are rendered at
  int64_t page_timeout_ms = 120'000;               // tesseract's recognition of one page
};

}  // namespace hearth::media

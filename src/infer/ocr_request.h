// What an OCR engine (Capability::kOcr) is given and returns: a document's
// bytes (a PDF or an image) and which of its pages to read; per page, the
// text as markdown and the raster the text was read from. The API turns
// Mistral's OCR request into one of these; nothing here knows about JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::infer {

struct OcrRequest {
  std::string document;        // the file's bytes: PDF, PNG, JPEG, TIFF or WebP (sniffed from its first bytes)
  std::vector<int32_t> pages = {};  // 0-based pages to read, in the order given; empty: every page
};

struct OcrPage {
  int32_t index = 0;     // 0-based page of the document
  std::string markdown;  // paragraphs separated by a blank line
  int32_t dpi = 0;       // the resolution the page was read at
  int32_t width = 0;     // pixels of that raster
  int32_t height = 0;
};

struct OcrResult {
  std::vector<OcrPage> pages;  // in the request's order
  int64_t doc_size_bytes = 0;
};

// Receives a request's result once, on the engine's thread; must not block.
using OcrCallback = std::function<void(Result<OcrResult>)>;

}  // namespace hearth::infer

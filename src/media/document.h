// Document: a PDF or an image, read page by page into grayscale rasters for
// OCR. The kind is sniffed from the first bytes (%PDF-, the PNG signature,
// JPEG's SOI marker, TIFF's byte-order mark, RIFF....WEBP), never from what
// the client says. PDFs are rendered with Poppler at limits.pdf_dpi; images
// are decoded with Leptonica (PNG, JPEG, TIFF: its first page, WebP).
//
// Hostile input: every limit of DocumentLimits is checked from the header
// before the pixels are allocated (a PNG that claims 100000 x 100000 is refused
// from its header, never inflated). Errors are kInvalidArgument
// for what cannot be read (saying why: not a known format, a malformed or
// encrypted PDF, a truncated image) and kOutOfRange for what is over a limit
// (naming the limit and the value).
//
//   HEARTH_ASSIGN_OR_RETURN(Document doc, Document::open(std::move(bytes), limits));
//   for (int32_t page = 0; page < doc.page_count(); ++page) {
//     HEARTH_ASSIGN_OR_RETURN(PageRaster raster, doc.render(page));
//   }
//
// Thread-safety: one thread at a time per Document (Poppler's document is not
// shared); different Documents may be used on different threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "media/document_limits.h"
#include "media/pix.h"

namespace poppler {
class document;
}

namespace hearth::media {

enum class DocumentKind { kPdf, kPng, kJpeg, kTiff, kWebp };

// "pdf", "png", "jpeg", "tiff", "webp".
std::string_view document_kind_name(DocumentKind kind);

// kInvalidArgument when the bytes start like none of the supported formats.
Result<DocumentKind> sniff_document(std::string_view bytes);

struct PageRaster {
  PixPtr pix;       // 8-bit grayscale (PDF pages) or as the image was stored
  int32_t dpi = 0;  // the rendering's (PDF) or the image's own; 0: the image states none
  int32_t width = 0;
  int32_t height = 0;
};

class Document {
 public:
  // Checks the size and the kind; a PDF is parsed (its page count known), an
  // image's header is read and checked against the limits.
  static Result<Document> open(std::string&& bytes, const DocumentLimits& limits);

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  DocumentKind kind() const { return kind_; }
  int32_t page_count() const { return page_count_; }
  int64_t size_bytes() const { return static_cast<int64_t>(bytes_->size()); }

  // The page's raster. kOutOfRange for an index outside the document or a page
  // over the pixel limits; kInvalidArgument when it cannot be decoded.
  Result<PageRaster> render(int32_t index) const;

 private:
  Document() = default;

  DocumentKind kind_ = DocumentKind::kPng;
  DocumentLimits limits_;
  // Poppler reads the PDF from here (a stable address across moves); it lives as long as pdf_.
  std::unique_ptr<std::string> bytes_;
  std::unique_ptr<poppler::document> pdf_;
  int32_t page_count_ = 0;
};

}  // namespace hearth::media

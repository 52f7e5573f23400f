#include "media/document.h"

#include <leptonica/allheaders.h>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

namespace hearth::media {

void PixDeleter::operator()(Pix* pix) const { pixDestroy(&pix); }

namespace {

// Poppler and Leptonica report problems on stderr by default; a hostile PDF
// would fill the server's log. Their reporting is process-wide: it is
// silenced once, and the errors come back as Status values instead.
void quiet_libraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
    setMsgSeverity(L_SEVERITY_NONE);
  });
}

bool starts_with(std::string_view bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && bytes.substr(0, prefix.size()) == prefix;
}

std::string pixels_text(int64_t width, int64_t height) {
  return std::to_string(width) + " x " + std::to_string(height) + " pixels";
}

Status check_raster(const DocumentLimits& limits, int64_t width, int64_t height, std::string_view what) {
  if (width <= 0 || height <= 0) {
    return invalid_argument_error(std::string(what) + " has no pixels (" + pixels_text(width, height) + ")");
  }
  if (width > limits.max_side_pixels || height > limits.max_side_pixels) {
    return out_of_range_error(std::string(what) + " is " + pixels_text(width, height) + "; each side may be at most " +
                              std::to_string(limits.max_side_pixels));
  }
  if (width * height > limits.max_page_pixels) {
    return out_of_range_error(std::string(what) + " is " + pixels_text(width, height) + " (" +
                              std::to_string(width * height) + "); a page may have at most " +
                              std::to_string(limits.max_page_pixels));
  }
  return ok_status();
}

const l_uint8* as_bytes(const std::string& text) { return reinterpret_cast<const l_uint8*>(text.data()); }

}  // namespace

std::string_view document_kind_name(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kPdf:
      return "pdf";
    case DocumentKind::kPng:
      return "png";
    case DocumentKind::kJpeg:
      return "jpeg";
    case DocumentKind::kTiff:
      return "tiff";
    case DocumentKind::kWebp:
      return "webp";
  }
  return "pdf";
}

Result<DocumentKind> sniff_document(std::string_view bytes) {
  // ref: ISO 32000-1 7.5.2 (a PDF may have bytes before its header; readers look in the first 1024)
  if (bytes.substr(0, std::min<size_t>(bytes.size(), 1024)).find("%PDF-") != std::string_view::npos) {
    return DocumentKind::kPdf;
  }
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n")) return DocumentKind::kPng;
  if (starts_with(bytes, "\xff\xd8\xff")) return DocumentKind::kJpeg;
  if (starts_with(bytes, std::string_view("II*\0", 4)) || starts_with(bytes, std::string_view("MM\0*", 4))) {
    return DocumentKind::kTiff;
  }
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF") && bytes.substr(8, 4) == "WEBP") return DocumentKind::kWebp;
  return invalid_argument_error(
      "the document is neither a PDF nor a PNG, JPEG, TIFF or WebP image (its first bytes "
      "match none of them)");
}

Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Result<Document> Document::open(std::string&& bytes, const DocumentLimits& limits) {
  quiet_libraries();
  if (bytes.empty()) return invalid_argument_error("the document is empty");
  if (static_cast<int64_t>(bytes.size()) > limits.max_document_bytes) {
    return out_of_range_error("the document is " + std::to_string(bytes.size()) + " bytes; at most " +
                              std::to_string(limits.max_document_bytes) + " are read");
  }
  HEARTH_ASSIGN_OR_RETURN(DocumentKind kind, sniff_document(bytes));
  Document doc;
  doc.kind_ = kind;
  doc.limits_ = limits;
  doc.bytes_ = std::make_unique<std::string>(std::move(bytes));
  if (kind == DocumentKind::kPdf) {
    if (doc.bytes_->size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return out_of_range_error("the PDF is too large for the PDF reader");
    }
    doc.pdf_.reset(poppler::document::load_from_raw_data(doc.bytes_->data(), static_cast<int>(doc.bytes_->size())));
    if (!doc.pdf_) return invalid_argument_error("the PDF is malformed: Poppler cannot read it");
    if (doc.pdf_->is_locked()) return invalid_argument_error("the PDF is encrypted with a password");
    doc.page_count_ = doc.pdf_->pages();
    if (doc.page_count_ <= 0) return invalid_argument_error("the PDF has no pages");
    return doc;
  }
  l_int32 format = 0;
  l_int32 width = 0;
  l_int32 height = 0;
  l_int32 bits_per_sample = 0;
  l_int32 samples_per_pixel = 0;
  if (pixReadHeaderMem(as_bytes(*doc.bytes_), doc.bytes_->size(), &format, &width, &height, &bits_per_sample,
                       &samples_per_pixel, nullptr) != 0) {
    return invalid_argument_error("the " + std::string(document_kind_name(kind)) +
                                  " image's header cannot be read (truncated or malformed)");
  }
  HEARTH_RETURN_IF_ERROR(check_raster(limits, width, height, "the image"));
  doc.page_count_ = 1;
  return doc;
}

Result<PageRaster> Document::render(int32_t index) const {
  if (index < 0 || index >= page_count_) {
    return out_of_range_error("page " + std::to_string(index) + " is not in the document, which has " +
                              std::to_string(page_count_) + (page_count_ == 1 ? " page" : " pages"));
  }
  const std::string what = "page " + std::to_string(index);
  PageRaster raster;
  if (kind_ != DocumentKind::kPdf) {
    raster.pix.reset(pixReadMem(as_bytes(*bytes_), bytes_->size()));
    if (!raster.pix) {
      return invalid_argument_error("the " + std::string(document_kind_name(kind_)) +
                                    " image cannot be decoded (truncated or malformed)");
    }
    raster.width = pixGetWidth(raster.pix.get());
    raster.height = pixGetHeight(raster.pix.get());
    // The decoder's own answer, checked again: a header that lied is refused here.
    HEARTH_RETURN_IF_ERROR(check_raster(limits_, raster.width, raster.height, "the image"));
    raster.dpi = pixGetXRes(raster.pix.get());
    return raster;
  }
  std::unique_ptr<poppler::page> page(pdf_->create_page(index));
  if (!page) return invalid_argument_error(what + " of the PDF cannot be read");
  const poppler::rectf box = page->page_rect(poppler::crop_box);
  const double dpi = limits_.pdf_dpi;
  // Rotated pages swap the sides Poppler renders.
  const bool turned = page->orientation() == poppler::page::landscape || page->orientation() == poppler::page::seascape;
  const double width_pt = turned ? box.height() : box.width();
  const double height_pt = turned ? box.width() : box.height();
  if (!std::isfinite(width_pt) || !std::isfinite(height_pt) || width_pt <= 0 || height_pt <= 0 || width_pt > 1e7 ||
      height_pt > 1e7) {
    return invalid_argument_error(what + " of the PDF has no usable page box");
  }
  const int64_t width = static_cast<int64_t>(std::ceil(width_pt * dpi / 72.0));
  const int64_t height = static_cast<int64_t>(std::ceil(height_pt * dpi / 72.0));
  HEARTH_RETURN_IF_ERROR(
      check_raster(limits_, width, height, what + " at " + std::to_string(limits_.pdf_dpi) + " dpi"));
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_paper_color(0xffffffff);
  const poppler::image image = renderer.render_page(page.get(), dpi, dpi);
  if (!image.is_valid() || image.width() <= 0 || image.height() <= 0) {
    return invalid_argument_error(what + " of the PDF cannot be rendered");
  }
  HEARTH_RETURN_IF_ERROR(check_raster(limits_, image.width(), image.height(), what));
  raster.pix.reset(pixCreate(image.width(), image.height(), 8));
  if (!raster.pix) return resource_exhausted_error("no memory for " + what + "'s raster");
  pixSetResolution(raster.pix.get(), static_cast<l_int32>(dpi), static_cast<l_int32>(dpi));
  const char* rows = image.const_data();
  l_uint32* out = pixGetData(raster.pix.get());
  const l_int32 words_per_line = pixGetWpl(raster.pix.get());
  for (int row_idx = 0; row_idx < image.height(); ++row_idx) {
    const auto* in_row =
        reinterpret_cast<const unsigned char*>(rows + static_cast<size_t>(row_idx) * image.bytes_per_row());
    l_uint32* out_row = out + static_cast<size_t>(row_idx) * words_per_line;
    for (int col_idx = 0; col_idx < image.width(); ++col_idx) SET_DATA_BYTE(out_row, col_idx, in_row[col_idx]);
  }
  raster.width = image.width();
  raster.height = image.height();
  raster.dpi = static_cast<int32_t>(dpi);
  return raster;
}

}  // namespace hearth::media

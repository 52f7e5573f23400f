// media::Document: sniffing, page counts, rendering, and hostile input refused
// before its pixels are allocated.
#include "media/document.h"

#include <gtest/gtest.h>
#include <leptonica/allheaders.h>

#include <string>

#include "ocr_corpus.h"

namespace hearth::media {
namespace {

// The 8-byte signature, an IHDR chunk claiming width x height and one small
// IDAT chunk: what a decompression bomb looks like before it is inflated.
std::string png_header_only(uint32_t width, uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  auto be32 = [&png](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((value >> shift) & 0xFF);
  };
  be32(13);
  png += "IHDR";
  be32(width);
  be32(height);
  png += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, no interlace
  be32(0);                                        // the CRC (readers that check it refuse the file anyway)
  be32(8);
  png += "IDAT";
  png += std::string(8, '\0');
  be32(0);
  return png;
}

TEST(DocumentTest, SniffsEveryFormatFromItsFirstBytes) {
  EXPECT_EQ(*sniff_document("%PDF-1.7\n..."), DocumentKind::kPdf);
  EXPECT_EQ(*sniff_document(std::string("\x89PNG\r\n\x1a\n....", 12)), DocumentKind::kPng);
  EXPECT_EQ(*sniff_document("\xff\xd8\xff\xe0...."), DocumentKind::kJpeg);
  EXPECT_EQ(*sniff_document(std::string("II*\0....", 8)), DocumentKind::kTiff);
  EXPECT_EQ(*sniff_document(std::string("MM\0*....", 8)), DocumentKind::kTiff);
  EXPECT_EQ(*sniff_document(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), DocumentKind::kWebp);
  const auto unknown = sniff_document("GIF89a...");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
}

TEST(DocumentTest, ReadsAPngPageWithItsSize) {
  const std::string png = testing::render_text_png("Hello", "DejaVu Sans 12", 150);
  auto doc = Document::open(std::string(png), DocumentLimits{});
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  EXPECT_EQ(doc->kind(), DocumentKind::kPng);
  EXPECT_EQ(doc->page_count(), 1);
  auto page = doc->render(0);
  ASSERT_TRUE(page.ok()) << page.status().to_string();
  EXPECT_EQ(page->width, 874);  // A5 at 150 dpi
  EXPECT_EQ(page->height, 1240);
  EXPECT_EQ(doc->render(1).status().code(), ErrorCode::kOutOfRange);
}

TEST(DocumentTest, RendersEachPageOfAPdf) {
  const std::string pdf = testing::render_text_pdf({"One", "Two", "Three"}, "DejaVu Sans 12");
  DocumentLimits limits;
  limits.pdf_dpi = 100;
  auto doc = Document::open(std::string(pdf), limits);
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  EXPECT_EQ(doc->kind(), DocumentKind::kPdf);
  ASSERT_EQ(doc->page_count(), 3);
  for (int32_t index = 0; index < 3; ++index) {
    auto page = doc->render(index);
    ASSERT_TRUE(page.ok()) << page.status().to_string();
    EXPECT_EQ(page->dpi, 100);
    EXPECT_EQ(page->width, 583);  // 419.5 pt at 100 dpi, rounded up
    EXPECT_EQ(page->height, 827);
    EXPECT_EQ(pixGetDepth(page->pix.get()), 8);
  }
}

TEST(DocumentTest, RefusesADecompressionBombFromItsHeader) {
  // 100000 x 100000 pixels would be 10 GB once inflated; the header alone is enough to say no.
  auto bomb = Document::open(png_header_only(100000, 100000), DocumentLimits{});
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(bomb.status().message().find("100000 x 100000"), std::string::npos) << bomb.status().message();
  // Within each side but over the pixel count.
  DocumentLimits limits;
  limits.max_page_pixels = 1'000'000;
  auto wide = Document::open(png_header_only(2000, 1000), limits);
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(wide.status().message().find("at most 1000000"), std::string::npos) << wide.status().message();
}

TEST(DocumentTest, RefusesAPdfPageOverTheLimitAtItsResolution) {
  const std::string pdf = testing::render_text_pdf({"Big"}, "DejaVu Sans 12");
  DocumentLimits limits;
  limits.pdf_dpi = 600;
  limits.max_page_pixels = 2'000'000;  // A5 at 600 dpi is 3496 x 4961
  auto doc = Document::open(std::string(pdf), limits);
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  auto page = doc->render(0);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(page.status().message().find("page 0 at 600 dpi"), std::string::npos) << page.status().message();
}

TEST(DocumentTest, RefusesMalformedAndTruncatedInput) {
  auto empty = Document::open(std::string(), DocumentLimits{});
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidArgument);
  auto garbage_pdf = Document::open(std::string("%PDF-1.7\nthis is not a pdf at all\n%%EOF\n"), DocumentLimits{});
  ASSERT_FALSE(garbage_pdf.ok());
  EXPECT_EQ(garbage_pdf.status().code(), ErrorCode::kInvalidArgument);
  // A real PDF cut in half.
  const std::string pdf = testing::render_text_pdf({"Half"}, "DejaVu Sans 12");
  auto cut = Document::open(pdf.substr(0, pdf.size() / 2), DocumentLimits{});
  if (cut.ok()) {
    // Poppler may rebuild the cross-reference table; then the page must still be safe to render or refuse.
    auto page = cut->render(0);
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), ErrorCode::kInvalidArgument);
    }
  } else {
    EXPECT_EQ(cut.status().code(), ErrorCode::kInvalidArgument);
  }
  // A PNG cut after its header: the header reads, the pixels do not.
  const std::string png = testing::render_text_png("Cut", "DejaVu Sans 12", 100);
  auto truncated = Document::open(png.substr(0, 100), DocumentLimits{});
  ASSERT_TRUE(truncated.ok()) << truncated.status().to_string();
  auto truncated_page = truncated->render(0);
  ASSERT_FALSE(truncated_page.ok());
  EXPECT_EQ(truncated_page.status().code(), ErrorCode::kInvalidArgument);
}

TEST(DocumentTest, RefusesADocumentOverTheByteLimit) {
  DocumentLimits limits;
  limits.max_document_bytes = 1000;
  auto big = Document::open(std::string(2000, 'x'), limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace hearth::media

#include "ocr_corpus.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string_view>

namespace hearth::media::testing {
namespace {

constexpr double kPageWidthPt = 148.0 / 25.4 * 72.0;  // A5
constexpr double kPageHeightPt = 210.0 / 25.4 * 72.0;
constexpr double kMarginPt = 36.0;

constexpr std::string_view kWords[] = {
    "the",      "quick",    "brown",   "fox",     "jumps",   "over",     "lazy",     "dog",      "shop",    "invoice",
    "number",   "total",    "amount",  "paid",    "order",   "delivery", "address",  "street",   "river",   "garden",
    "window",   "market",   "morning", "evening", "letter",  "paper",    "machine",  "model",    "memory",  "budget",
    "record",   "report",   "account", "balance", "monthly", "weekly",   "customer", "supplier", "product", "service",
    "contract", "payment",  "receipt", "station", "village", "mountain", "history",  "science",  "reading", "writing",
    "counting", "printer",  "scanner", "office",  "kitchen", "coffee",   "bread",    "butter",   "cheese",  "apple",
    "orange",   "yellow",   "green",   "purple",  "silver",  "golden",   "wooden",   "simple",   "careful", "quiet",
    "bright",   "heavy",    "light",   "small",   "large",   "early",    "late",     "north",    "south",   "east",
    "west",     "winter",   "summer",  "spring",  "autumn",  "table",    "chair",    "door",     "house",   "street",
    "answer",   "question", "number",  "figure",  "page",    "line",     "word",     "letter",   "friend",  "family",
    "travel",   "journey",  "ticket",  "train",   "bridge",  "harbor",   "island",   "forest",   "castle",  "tower",
    "engine",   "wheel",    "signal",  "button",  "screen",  "camera",   "picture",  "music",    "dinner",  "lunch",
};

using CairoSurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using CairoPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Lays `text` out in a box of `width_pt` at (x, y) in points.
void draw_text(cairo_t* cr, const std::string& text, const std::string& font, double x, double y, double width_pt) {
  PangoLayout* layout = pango_cairo_create_layout(cr);
  pango_cairo_context_set_resolution(pango_layout_get_context(layout), 72.0);  // font sizes in points
  pango_layout_context_changed(layout);
  PangoFontDescription* description = pango_font_description_from_string(font.c_str());
  pango_layout_set_font_description(layout, description);
  pango_font_description_free(description);
  pango_layout_set_width(layout, static_cast<int>(width_pt * PANGO_SCALE));
  pango_layout_set_wrap(layout, PANGO_WRAP_WORD);
  pango_layout_set_spacing(layout, static_cast<int>(2 * PANGO_SCALE));
  pango_layout_set_text(layout, text.c_str(), -1);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
}

struct Raster {
  CairoSurfacePtr surface{nullptr, cairo_surface_destroy};
  CairoPtr cr{nullptr, cairo_destroy};
};

// A white A5 page at `dpi`, drawn in points.
Raster white_page(int32_t dpi) {
  const double scale = dpi / 72.0;
  Raster raster;
  raster.surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                  static_cast<int>(std::lround(kPageWidthPt * scale)),
                                                  static_cast<int>(std::lround(kPageHeightPt * scale))));
  raster.cr.reset(cairo_create(raster.surface.get()));
  cairo_set_source_rgb(raster.cr.get(), 1, 1, 1);
  cairo_paint(raster.cr.get());
  cairo_scale(raster.cr.get(), scale, scale);
  cairo_set_source_rgb(raster.cr.get(), 0, 0, 0);
  return raster;
}

std::string to_png(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  std::string png;
  cairo_surface_write_to_png_stream(surface, append_bytes, &png);
  return png;
}

// A scan: grayer ink, paper grain (Gaussian noise), specks (salt and pepper).
void add_scan_noise(cairo_surface_t* surface, uint64_t seed) {
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int width = cairo_image_surface_get_width(surface);
  const int height = cairo_image_surface_get_height(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> grain(0.0, 18.0);
  std::uniform_real_distribution<double> speck(0.0, 1.0);
  for (int row_idx = 0; row_idx < height; ++row_idx) {
    auto* pixels = reinterpret_cast<uint32_t*>(data + static_cast<size_t>(row_idx) * stride);
    for (int col_idx = 0; col_idx < width; ++col_idx) {
      const double gray = (pixels[col_idx] & 0xFF);
      double value = 40.0 + gray * (215.0 / 255.0) + grain(rng);  // ink at 40, paper at 255
      const double roll = speck(rng);
      if (roll < 0.002)
        value = 0.0;
      else if (roll < 0.004)
        value = 255.0;
      const auto level = static_cast<uint32_t>(std::clamp(value, 0.0, 255.0));
      pixels[col_idx] = (level << 16) | (level << 8) | level;
    }
  }
  cairo_surface_mark_dirty(surface);
}

std::string normalized(const std::string& text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string corpus_text(uint64_t seed, int32_t n_words) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> sentence_words(5, 12);
  std::uniform_int_distribution<int> number(10, 9999);
  std::string text;
  int32_t n_written = 0;
  while (n_written < n_words) {
    const int n_sentence = sentence_words(rng);
    for (int word_idx = 0; word_idx < n_sentence; ++word_idx) {
      std::string word(kWords[pick(rng)]);
      if (word_idx == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      if (word_idx == 3 && n_sentence > 8) word = std::to_string(number(rng));
      if (!text.empty()) text += ' ';
      text += word;
      ++n_written;
    }
    text += (n_written % 3 == 0) ? ',' : '.';
  }
  return text;
}

std::string render_text_png(const std::string& text, const std::string& font, int32_t dpi) {
  Raster page = white_page(dpi);
  draw_text(page.cr.get(), text, font, kMarginPt, kMarginPt, kPageWidthPt - 2 * kMarginPt);
  return to_png(page.surface.get());
}

std::vector<CorpusPage> corpus_pages(int32_t dpi) {
  std::vector<CorpusPage> pages;
  uint64_t seed = 1;
  for (const std::string font : {"DejaVu Sans 10", "DejaVu Sans 12", "DejaVu Serif 11", "DejaVu Sans Mono 10",
                                 "Liberation Serif 14", "DejaVu Sans Bold 16"}) {
    CorpusPage page;
    page.name = font;
    page.expected = corpus_text(seed++, 60);
    page.png = render_text_png(page.expected, font, dpi);
    page.dpi = dpi;
    pages.push_back(std::move(page));
  }
  {
    // Scanned-looking: a tilt of half a degree, gray ink, grain and specks.
    CorpusPage page;
    page.name = "noisy scan";
    page.expected = corpus_text(seed++, 60);
    page.clean = false;
    page.dpi = dpi;
    Raster raster = white_page(dpi);
    cairo_rotate(raster.cr.get(), 0.5 * M_PI / 180.0);
    draw_text(raster.cr.get(), page.expected, "DejaVu Serif 12", kMarginPt, kMarginPt, kPageWidthPt - 2 * kMarginPt);
    add_scan_noise(raster.surface.get(), 7);
    page.png = to_png(raster.surface.get());
    pages.push_back(std::move(page));
  }
  {
    // Two columns: read as the left one, then the right one.
    CorpusPage page;
    page.name = "two columns";
    const std::string left = corpus_text(seed++, 45);
    const std::string right = corpus_text(seed++, 45);
    page.expected = left + " " + right;
    page.dpi = dpi;
    Raster raster = white_page(dpi);
    const double gutter_pt = 24.0;
    const double column_pt = (kPageWidthPt - 2 * kMarginPt - gutter_pt) / 2;
    draw_text(raster.cr.get(), left, "DejaVu Sans 10", kMarginPt, kMarginPt, column_pt);
    draw_text(raster.cr.get(), right, "DejaVu Sans 10", kMarginPt + column_pt + gutter_pt, kMarginPt, column_pt);
    page.png = to_png(raster.surface.get());
    pages.push_back(std::move(page));
  }
  {
    // A table with ruled cells: read row by row.
    CorpusPage page;
    page.name = "table";
    page.dpi = dpi;
    Raster raster = white_page(dpi);
    cairo_t* cr = raster.cr.get();
    const std::array<std::string, 3> header = {"Item", "Quantity", "Price"};
    std::mt19937_64 rng(seed++);
    std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
    std::uniform_int_distribution<int> quantity(1, 99);
    std::uniform_int_distribution<int> cents(100, 99999);
    const double cell_w = (kPageWidthPt - 2 * kMarginPt) / 3;
    const double cell_h = 22.0;
    const int n_rows = 8;
    std::string expected;
    for (int row_idx = 0; row_idx < n_rows; ++row_idx) {
      std::array<std::string, 3> cells = header;
      if (row_idx > 0) {
        const int price = cents(rng);
        cells = {std::string(kWords[pick(rng)]), std::to_string(quantity(rng)),
                 std::to_string(price / 100) + "." + (price % 100 < 10 ? "0" : "") + std::to_string(price % 100)};
      }
      for (int col_idx = 0; col_idx < 3; ++col_idx) {
        const double x = kMarginPt + col_idx * cell_w;
        const double y = kMarginPt + row_idx * cell_h;
        cairo_set_line_width(cr, 0.8);
        cairo_rectangle(cr, x, y, cell_w, cell_h);
        cairo_stroke(cr);
        draw_text(cr, cells[col_idx], "DejaVu Sans 11", x + 5, y + 4, cell_w - 10);
        if (!expected.empty()) expected += ' ';
        expected += cells[col_idx];
      }
    }
    page.expected = expected;
    page.png = to_png(raster.surface.get());
    pages.push_back(std::move(page));
  }
  return pages;
}

std::string render_text_pdf(const std::vector<std::string>& pages, const std::string& font) {
  std::string pdf;
  CairoSurfacePtr surface(cairo_pdf_surface_create_for_stream(append_bytes, &pdf, kPageWidthPt, kPageHeightPt),
                          cairo_surface_destroy);
  CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
  for (const std::string& text : pages) {
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    draw_text(cr.get(), text, font, kMarginPt, kMarginPt, kPageWidthPt - 2 * kMarginPt);
    cairo_show_page(cr.get());
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  return pdf;
}

double character_error_rate(const std::string& expected, const std::string& actual) {
  const std::string ref = normalized(expected);
  const std::string hyp = normalized(actual);
  if (ref.empty()) return hyp.empty() ? 0.0 : 1.0;
  std::vector<size_t> previous(hyp.size() + 1);
  std::vector<size_t> current(hyp.size() + 1);
  for (size_t col_idx = 0; col_idx <= hyp.size(); ++col_idx) previous[col_idx] = col_idx;
  for (size_t row_idx = 1; row_idx <= ref.size(); ++row_idx) {
    current[0] = row_idx;
    for (size_t col_idx = 1; col_idx <= hyp.size(); ++col_idx) {
      const size_t substitution = previous[col_idx - 1] + (ref[row_idx - 1] == hyp[col_idx - 1] ? 0 : 1);
      current[col_idx] = std::min({previous[col_idx] + 1, current[col_idx - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return static_cast<double>(previous[hyp.size()]) / static_cast<double>(ref.size());
}

}  // namespace hearth::media::testing

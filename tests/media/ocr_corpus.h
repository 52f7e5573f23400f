// The OCR tests' corpus, rendered here with Pango and Cairo (never stored):
// pages of English-like text whose exact words are known, as PNG images and
// as PDFs, in several fonts and sizes, a noisy scanned-looking variant (noise,
// a slight tilt, a grayer ink), a two-column page, a table with ruled cells and
// a multi-page PDF. The text comes from a fixed word list and a seeded
// generator, so every run renders the same pages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::media::testing {

struct CorpusPage {
  std::string name;      // "dejavu-sans-12", "noisy", ...
  std::string expected;  // the text as a reader would read it (columns left to right, table rows top to bottom)
  std::string png;       // the page as a PNG at `dpi`
  int32_t dpi = 0;
  bool clean = true;  // false: the noisy variant (not held to the clean pages' error rate)
};

// Paragraph text of about `n_words` words from the word list (seeded).
std::string corpus_text(uint64_t seed, int32_t n_words);

// A single-column A5 page (148 x 210 mm) of `text` in `font` ("DejaVu Sans
// 12"), as a PNG at `dpi`.
std::string render_text_png(const std::string& text, const std::string& font, int32_t dpi);

// The test pages: fonts and sizes, noisy, two columns, a table.
std::vector<CorpusPage> corpus_pages(int32_t dpi);

// A PDF of one A5 page per text, each in `font`.
std::string render_text_pdf(const std::vector<std::string>& pages, const std::string& font);

// The character error rate: the edit distance (insertions, deletions,
// substitutions of bytes) between the two texts, after runs of whitespace are
// made one space and the ends trimmed, divided by the expected text's length.
double character_error_rate(const std::string& expected, const std::string& actual);

}  // namespace hearth::media::testing

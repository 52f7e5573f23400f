// BertNormalizer + BertPreTokenizer; see bert_normalizer.h.
#include "text/bert_normalizer.h"

#include <utf8proc.h>

#include <cstdint>

#include "text/utf8.h"

namespace hearth::text {
namespace {

// Unicode's White_Space property (PropList.txt; stable since Unicode 6.3).
bool is_white_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// BertNormalizer's is_control: "other" characters, except the three it counts as whitespace.
bool is_other(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

// The ranges BertNormalizer treats as CJK ideographs (as HF tokenizers lists them).
bool is_cjk(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_punctuation(uint32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// Appends the canonical decomposition of `cp` (NFD of one character; the
// reordering of marks that NFD adds does not matter here: every reordered
// mark is Mn, which is dropped next, or keeps its place among non-Mn).
void append_decomposed(uint32_t cp, std::u32string& out) {
  utf8proc_int32_t buffer[32];
  utf8proc_int32_t last_boundclass = 0;
  const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer, 32,
                                                     UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n <= 0 || n > 32) {
    out.push_back(cp);
    return;
  }
  for (utf8proc_ssize_t idx = 0; idx < n; ++idx) out.push_back(static_cast<uint32_t>(buffer[idx]));
}

}  // namespace

void bert_words(std::string_view text, std::vector<std::string>& words) {
  // clean_text and handle_chinese_chars, then strip_accents and lowercase.
  std::u32string cleaned;
  cleaned.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = decode_utf8_char(text.substr(pos));
    pos += ch.n_bytes;
    if (ch.status != Utf8Status::kValid) continue;
    const uint32_t cp = ch.code_point;
    if (cp == 0 || cp == kReplacementChar || is_other(cp)) continue;
    if (is_white_space(cp)) {
      cleaned.push_back(' ');
    } else if (is_cjk(cp)) {
      cleaned.push_back(' ');
      cleaned.push_back(cp);
      cleaned.push_back(' ');
    } else {
      cleaned.push_back(cp);
    }
  }
  std::u32string decomposed;
  decomposed.reserve(cleaned.size());
  for (uint32_t cp : cleaned) {
    if (cp < 0x80) {
      decomposed.push_back(cp);
    } else {
      append_decomposed(cp, decomposed);
    }
  }

  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (uint32_t cp : decomposed) {
    if (cp >= 0x80 && utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_MN) continue;
    const uint32_t lower = static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    // The decomposition may bring back whitespace (U+00A0's is not canonical, so none does today).
    if (lower == ' ' || is_white_space(lower)) {
      flush();
    } else if (is_punctuation(lower)) {
      flush();
      append_utf8(word, lower);
      flush();
    } else {
      append_utf8(word, lower);
    }
  }
  flush();
}

}  // namespace hearth::text

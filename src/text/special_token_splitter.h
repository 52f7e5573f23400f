// SpecialTokenSplitter: the first step of encoding. It cuts text into runs of
// plain text and whole special tokens, the way HF tokenizers extracts added
// tokens before any normalization: scanning left to right, the longest special
// token starting at the leftmost position wins.
//
// User-defined tokens are always matched (HF matches non-special added tokens
// even with split_special_tokens); control and unknown tokens ("<s>",
// "<|eot_id|>") only when parse_special is set, so that user text which merely
// contains "<|eot_id|>" cannot inject a control token.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/vocab.h"

namespace hearth::text {

struct TextFragment {
  int32_t token_id = -1;  // a special token, or -1 for a run of plain text
  std::string_view text;  // into the caller's text
};

class SpecialTokenSplitter {
 public:
  // Keeps views into `vocab`, which must outlive the splitter.
  explicit SpecialTokenSplitter(const Vocab& vocab);

  // Appends the fragments of `text` to `out`; plain-text fragments are never empty.
  void split(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const;

 private:
  struct Table {
    std::unordered_map<std::string_view, int32_t> by_text;
    std::vector<size_t> lengths;         // distinct token lengths, longest first
    std::array<bool, 256> first_byte{};  // bytes some token starts with
    void add(std::string_view text, int32_t id);
    void finish();
    // Longest token starting at text[pos], or -1 (and *length untouched).
    int32_t match(std::string_view text, size_t pos, size_t* length) const;
  };

  Table user_defined_;  // matched always
  Table all_;           // control, unknown and user-defined: matched with parse_special
};

}  // namespace hearth::text

// PreTokenizer: splits text into the words a byte-level BPE merges within,
// with the regexes each model family's tokenizer.json uses (PCRE2 in UTF and
// Unicode-property mode). Several regexes apply in sequence, each splitting
// the pieces of the previous one; both matches and the gaps between them
// become pieces (HF's "Isolated" behavior).
//
// Names (GGUF tokenizer.ggml.pre):
//   "llama-bpe", "llama3", "llama-v3", "falcon3"      Llama 3 regex, merges ignored for whole-word tokens
//   "dbrx", "smaug-bpe", "chatglm-bpe"                Llama 3 regex
//   "qwen2"                                           Llama 3 regex with single digits, after NFC
//   "stablelm2", "megrez"                             Llama 3 regex with single digits
//   "gpt2", "gpt-2", "default", "phi-2", "roberta-bpe", "mpt", "olmo", "jais"   GPT-2 regex
//   "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"
//                                                     single digits, then the GPT-2 regex
//   "deepseek-v3"                                     digit groups, CJK/kana runs, then DeepSeek's word regex
//   "tekken"                                          Mistral Nemo's case-aware regex, single digits,
//                                                     merges ignored for whole-word tokens
//
// \s and \S mean Unicode White_Space, as in HF tokenizers' Oniguruma (PCRE2's
// own \s also matches U+180E).
//
// Text that is not valid UTF-8 is first cut at each ill-formed subpart; the
// regexes see only the valid runs and every ill-formed subpart is its own
// word (its bytes then go through byte-level BPE as they are).
//
// Thread-safe: split() is const and allocates its PCRE2 match state per call.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::text {

// The Unicode normalization a family's tokenizer.json applies to plain text
// before pre-tokenizing. GGUF has no key for it: the pre-tokenizer name
// implies it.
enum class Normalization { kNone, kNfc };

class PreTokenizer {
 public:
  // kUnimplemented naming `name` when it is not one of the names above.
  static Result<PreTokenizer> create(std::string_view name);

  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Appends the words of `text` (views into it, never empty) to `words`.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

  // Llama 3 style: a word that is itself a vocabulary entry becomes that token
  // without applying merges (HF BPE "ignore_merges").
  bool ignore_merges() const { return ignore_merges_; }
  // Applied by the caller (BpeEncoder) before split().
  Normalization normalization() const { return normalization_; }

 private:
  struct Regex;  // compiled PCRE2 pattern
  PreTokenizer() = default;

  std::vector<std::unique_ptr<Regex>> regexes_;
  bool ignore_merges_ = false;
  Normalization normalization_ = Normalization::kNone;
};

}  // namespace hearth::text

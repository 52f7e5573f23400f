// TokenizerSpec: everything a tokenizer is built from, as plain data, so that
// tests and `hearth synth` can make one without a file. The fields mirror the
// GGUF tokenizer.* keys (see tokenizer_gguf.h for the mapping).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::text {

// GGUF tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,      // <s>, <|eot_id|>: matched in text only when asked (parse_special)
  kUserDefined = 4,  // added tokens: always matched in text, decoded verbatim
  kUnused = 5,
  kByte = 6,         // SentencePiece byte fallback, text "<0xAB>"
};

struct TokenizerSpec {
  // "llama": SentencePiece-style BPE over U+2581-escaped text, merging by score.
  // "gpt2": byte-level BPE with a regex pre-tokenizer, merging by rank.
  // "bert": WordPiece over BERT-normalized words; tokens in llama.cpp's
  // phantom-space form (word starts "\u2581foo", continuations "bar"), bos
  // is [CLS] and eos [SEP].
  std::string model;
  // Pre-tokenizer of a "gpt2" model: "llama-bpe" (Llama 3), "qwen2", "gpt2"/"default",
  // "smollm", ... (see pre_tokenizer.h). Ignored for "llama".
  std::string pre;
  std::vector<std::string> tokens;   // id -> text (byte-level encoded for "gpt2")
  std::vector<float> scores;         // empty: all 0 ("llama" merges by these)
  std::vector<int32_t> token_types;  // TokenType values; empty: all normal
  std::vector<std::string> merges;   // "gpt2" only: "left right", rank = index
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  int32_t pad_id = -1;
  int32_t eot_id = -1;
  bool add_bos = false;  // encode(add_special=true) prepends bos_id
  bool add_eos = false;  // encode(add_special=true) appends eos_id
  // "llama": prepend a space to the text (and to text after a special token)
  // before escaping, and strip it again in decode().
  bool add_space_prefix = false;
};

}  // namespace hearth::text

// Synthetic tokenizers for random-weight test models (`hearth synth`): a
// working vocabulary of exactly n_vocab tokens in the shape of a real family,
// with merges learned from the built-in corpus (synthetic_corpus.h), so text
// tokenizes into realistic pieces and any bytes round-trip.
//
//   "llama3"  byte-level BPE, pre "llama-bpe": 256 byte tokens, learned merges,
//             <|begin_of_text|> <|end_of_text|> <|reserved_special_token_0..3|>
//             <|start_header_id|> <|end_header_id|> <|reserved_special_token_4|> <|eot_id|>,
//             then <|reserved_special_token_N|> padding (all control); template llama3
//   "chatml"  byte-level BPE, pre "qwen2": 256 byte tokens, learned merges,
//             <|endoftext|> <|im_start|> <|im_end|> (control), then [PAD{N}] (unused); template chatml
//   "spm"     SentencePiece "llama": <unk> <s> </s>, <0x00>..<0xFF>, learned pieces
//             (score = -merge index) and characters, then [PAD{N}] (unused); template llama2
//   "wordpiece" BERT WordPiece ("bert", phantom-space form): [PAD] [UNK] [CLS] [SEP] [MASK],
//             "spm"'s pieces lowercased as word starts and continuations; no template
//
// Merges continue while some pair still occurs in the corpus and the
// budget allows; the rest of n_vocab is padding. Deterministic; well under a
// second for any size.
//
//   HEARTH_ASSIGN_OR_RETURN(SyntheticTokenizer synth, make_synthetic_tokenizer("llama3", 128256));
//   write_tokenizer_metadata(synth.spec, writer);
//   writer.add_string("tokenizer.chat_template", synth.chat_template);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "text/tokenizer_gguf.h"
#include "text/tokenizer_spec.h"

namespace hearth::text {

struct SyntheticTokenizer {
  TokenizerSpec spec;         // exactly n_vocab tokens; Tokenizer::create() accepts it
  std::string chat_template;  // the family's published Jinja, for tokenizer.chat_template; empty: none
};

inline constexpr int64_t kSyntheticVocabMax = int64_t{1} << 21;

// The styles above, in that order.
std::span<const std::string_view> synthetic_tokenizer_styles();

// The smallest n_vocab `style` accepts (its fixed tokens plus room to learn a
// few merges), or -1 for an unknown style.
int64_t synthetic_vocab_min(std::string_view style);

// kInvalidArgument naming an unknown style (and listing the known ones);
// kOutOfRange when n_vocab is below synthetic_vocab_min(style) or above
// kSyntheticVocabMax.
Result<SyntheticTokenizer> make_synthetic_tokenizer(std::string_view style, int64_t n_vocab);

}  // namespace hearth::text

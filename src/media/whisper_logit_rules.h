// The logit filters Whisper's decoding applies before each token is chosen,
// as openai-whisper's decoding.py defines them (transformers' WhisperTimeStamp-
// LogitsProcessor and SuppressTokens processors are the same rules):
// - suppress: the tasks, <|startoftranscript|>, <|startofprev|>, <|startoflm|>,
//   <|nospeech|> and the non-speech symbols (suppress_tokens "-1"); timestamps
//   are not suppressed in a window decoded without them (openai does not either:
//   <|notimestamps|> in the prompt keeps them away, and text skips them);
// - at the first sampled position, a lone space and <|endoftext|> (SuppressBlank);
// - timestamps (ApplyTimestampRules): <|notimestamps|> never; timestamps come in
//   pairs (after one lone timestamp, none of text; after a pair, no timestamp);
//   timestamps never decrease and a segment is never empty; the first sampled
//   token is a timestamp no later than max_initial_timestamp_index; and when
//   the timestamps' total probability exceeds every single text token's, a
//   timestamp is taken.
// ref: https://github.com/openai/whisper/blob/main/whisper/decoding.py
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "media/whisper_vocab.h"
#include "text/tokenizer.h"

namespace hearth::media {

class WhisperLogitRules {
 public:
  // timestamps: whether the window is decoded with timestamp tokens.
  WhisperLogitRules(const WhisperVocab& vocab, const text::Tokenizer& tokenizer, bool timestamps,
                    int32_t max_initial_timestamp_index = 50);

  // Sets the forbidden logits of the next token to -inf. `sampled`: the
  // tokens chosen so far in this window (after the prompt).
  void apply(std::span<const int32_t> sampled, std::span<float> logits) const;

  const std::vector<int32_t>& suppressed() const { return suppressed_; }

 private:
  const WhisperVocab& vocab_;
  bool timestamps_;
  int32_t max_initial_timestamp_index_;
  std::vector<int32_t> suppressed_;  // always
  std::vector<int32_t> blank_;       // at the first sampled position
};

// The ids of the non-speech symbols openai-whisper suppresses by default
// ("-1"): quotes, brackets, music notes and the like, as single tokens with
// and without a leading space.
std::vector<int32_t> whisper_non_speech_tokens(const text::Tokenizer& tokenizer);

}  // namespace hearth::media

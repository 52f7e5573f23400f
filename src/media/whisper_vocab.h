// WhisperVocab: the ids of Whisper's special tokens in a model's vocabulary,
// found by their text (a file carries no keys for them): <|endoftext|>,
// <|startoftranscript|>, the language tokens that follow it, <|translate|>,
// <|transcribe|>, <|startoflm|>, <|startofprev|>, <|nospeech|> (or v1's
// <|nocaptions|>), <|notimestamps|> and the 1501 timestamps <|0.00|>..<|30.00|>
// that end the vocabulary. English-only models (no language tokens) have
// n_languages() == 0.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/tokenizer.h"

namespace hearth::media {

// Whisper's language codes in vocabulary order (99; large-v3 adds "yue").
std::span<const std::string_view> whisper_language_codes();

struct WhisperVocab {
  int32_t eot = -1;
  int32_t sot = -1;
  int32_t translate = -1;
  int32_t transcribe = -1;
  int32_t sot_lm = -1;
  int32_t sot_prev = -1;
  int32_t no_speech = -1;       // -1 when the vocabulary has none
  int32_t no_timestamps = -1;
  int32_t timestamp_begin = -1;  // <|0.00|>; timestamp i is timestamp_begin + i, 0.02 s apart
  int32_t n_timestamps = 0;
  int32_t lang_begin = -1;       // first language token (sot + 1)
  std::vector<std::string> languages;  // codes in id order, lang_begin + i

  int64_t n_languages() const { return static_cast<int64_t>(languages.size()); }
  bool is_multilingual() const { return !languages.empty(); }
  bool is_timestamp(int32_t id) const { return id >= timestamp_begin && id < timestamp_begin + n_timestamps; }
  // The language token of a code ("en"), or -1.
  int32_t language_token(std::string_view code) const;

  // kDataLoss naming the first special token the vocabulary lacks.
  static Result<WhisperVocab> from_tokenizer(const text::Tokenizer& tokenizer);
};

}  // namespace hearth::media

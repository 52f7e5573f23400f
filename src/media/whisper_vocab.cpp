// Whisper's special token ids (see whisper_vocab.h).
#include "media/whisper_vocab.h"

#include <array>
#include <cstdio>

namespace hearth::media {
namespace {

constexpr std::array<std::string_view, 100> kLanguages = {
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
    "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
    "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
    "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
    "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
    "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue"};

Result<int32_t> require(const text::Tokenizer& tok, std::string_view text) {
  const int32_t id = tok.find_token(text);
  if (id < 0) return data_loss_error("whisper: the vocabulary has no " + std::string(text));
  return id;
}

}  // namespace

std::span<const std::string_view> whisper_language_codes() { return kLanguages; }

int32_t WhisperVocab::language_token(std::string_view code) const {
  for (size_t idx = 0; idx < languages.size(); ++idx) {
    if (languages[idx] == code) return lang_begin + static_cast<int32_t>(idx);
  }
  return -1;
}

Result<WhisperVocab> WhisperVocab::from_tokenizer(const text::Tokenizer& tok) {
  WhisperVocab v;
  HEARTH_ASSIGN_OR_RETURN(v.eot, require(tok, "<|endoftext|>"));
  HEARTH_ASSIGN_OR_RETURN(v.sot, require(tok, "<|startoftranscript|>"));
  HEARTH_ASSIGN_OR_RETURN(v.translate, require(tok, "<|translate|>"));
  HEARTH_ASSIGN_OR_RETURN(v.transcribe, require(tok, "<|transcribe|>"));
  HEARTH_ASSIGN_OR_RETURN(v.sot_lm, require(tok, "<|startoflm|>"));
  HEARTH_ASSIGN_OR_RETURN(v.sot_prev, require(tok, "<|startofprev|>"));
  HEARTH_ASSIGN_OR_RETURN(v.no_timestamps, require(tok, "<|notimestamps|>"));
  HEARTH_ASSIGN_OR_RETURN(v.timestamp_begin, require(tok, "<|0.00|>"));
  v.no_speech = tok.find_token("<|nospeech|>");
  if (v.no_speech < 0) v.no_speech = tok.find_token("<|nocaptions|>");
  // The language tokens follow <|startoftranscript|> in the order above.
  v.lang_begin = v.sot + 1;
  for (size_t idx = 0; idx < kLanguages.size(); ++idx) {
    const std::string text = "<|" + std::string(kLanguages[idx]) + "|>";
    if (tok.find_token(text) != v.lang_begin + static_cast<int32_t>(idx)) break;
    v.languages.emplace_back(kLanguages[idx]);
  }
  // Timestamps run to <|30.00|>; each must sit where its index says.
  const int64_t n_vocab = tok.n_vocab();
  for (int32_t idx = 0; idx < 1501 && v.timestamp_begin + idx < n_vocab; ++idx) {
    char text[16];
    std::snprintf(text, sizeof(text), "<|%.2f|>", idx * 0.02);
    if (tok.token_text(v.timestamp_begin + idx) != text) break;
    v.n_timestamps = idx + 1;
  }
  if (v.n_timestamps != 1501) {
    return data_loss_error("whisper: the vocabulary's timestamp tokens stop at " +
                           std::to_string(v.n_timestamps) + " of 1501");
  }
  return v;
}

}  // namespace hearth::media

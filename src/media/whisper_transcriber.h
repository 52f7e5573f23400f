// WhisperTranscriber: speech to text with one WhisperModel, as openai-whisper's
// transcribe() does it: the audio in 30 s windows; per window, the log-mel
// features, the encoder, then decoding from [<|startofprev|> previous text]
// <|startoftranscript|> <|lang|> <|task|> [<|notimestamps|>] under the logit
// rules (whisper_logit_rules.h), greedy at temperature 0 and sampled above,
// falling back to the next temperature when the text compresses too well
// (gzip ratio > compression_ratio_threshold: a loop) or its mean log
// probability is below logprob_threshold, unless the window is silence
// (<|nospeech|> probability > no_speech_threshold). With timestamps, the
// window is cut into segments at timestamp pairs and the next window starts at
// the last timestamp (or after the window when it ends on a lone timestamp);
// without, each window is one segment. The language, when not given, is
// detected once on the first window (argmax over the language tokens after
// <|startoftranscript|>).
// ref: https://github.com/openai/whisper/blob/main/whisper/transcribe.py, decoding.py
//
// Differences from openai-whisper, by design: the features are normalized per
// window (transformers' feature extractor does the same), and a temperature
// above 0 draws one sample (openai's best_of draws 5 and keeps the likeliest).
//
// Thread-safety: a transcriber serves one call at a time; the model may be shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "infer/transcription.h"
#include "media/log_mel.h"
#include "media/whisper_decoder.h"
#include "media/whisper_model.h"

namespace hearth::media {

using TranscribeOptions = infer::TranscribeOptions;
using TranscriptSegment = infer::TranscriptSegment;
using Transcript = infer::Transcript;

// The gzip-style compression ratio openai-whisper uses: bytes / zlib(bytes) at the default level.
double compression_ratio(std::string_view text);

class WhisperTranscriber {
 public:
  WhisperTranscriber(const WhisperModel& model, ThreadPool& pool);

  // samples: mono 16 kHz in [-1, 1]. kInvalidArgument for an unknown language,
  // translation or a language with an English-only model; kUnavailable when cancelled.
  Result<Transcript> transcribe(std::span<const float> samples, const TranscribeOptions& options);

  // The language token probabilities of one window's audio: (code, probability), most likely first.
  // kFailedPrecondition for an English-only model.
  Result<std::vector<std::pair<std::string, float>>> detect_language(std::span<const float> samples);

 private:
  struct WindowResult {
    std::vector<int32_t> tokens;  // sampled, without the final <|endoftext|>
    double sum_logprob = 0.0;
    double avg_logprob = 0.0;
    double compression_ratio = 0.0;
    double no_speech_prob = 0.0;
    float temperature = 0.0f;
  };

  void encode_window(std::span<const float> samples);
  Result<WindowResult> decode_window(const std::vector<int32_t>& prompt, size_t sot_index, float temperature,
                                     const TranscribeOptions& options, uint64_t seed);

  const WhisperModel& model_;
  ThreadPool& pool_;
  LogMelSpectrogram mel_;
  WhisperDecoder decoder_;
  std::vector<float> audio_ctx_;
};

}  // namespace hearth::media

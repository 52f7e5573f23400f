// What an engine with the kTranscribe capability is given and returns:
// speech-to-text options and the transcript (segments with times). Plain data
// so the API and the node see no engine type; media/ implements it (Whisper).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::infer {

struct TranscriptSegment;

struct TranscribeOptions {
  std::string language;    // "" detects it (multilingual models); a code such as "en"
  bool translate = false;  // to English (multilingual models)
  std::string prompt;      // initial prompt text, as previous text before the first window
  bool timestamps = true;  // decode timestamp tokens (segment times); false: <|notimestamps|>
  std::vector<float> temperatures = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  double compression_ratio_threshold = 2.4;
  double logprob_threshold = -1.0;
  double no_speech_threshold = 0.6;
  bool condition_on_previous_text = true;
  uint64_t seed = 0;  // sampling above temperature 0
  // Called with each segment as soon as its window is decoded (streaming), on the engine's thread; must not block.
  std::function<void(const TranscriptSegment&)> on_segment;
  // Checked between tokens; once set, the call ends with kUnavailable.
  const std::atomic<bool>* cancel = nullptr;
};

struct TranscriptSegment {
  int64_t id = 0;
  double start_s = 0.0;
  double end_s = 0.0;
  std::string text;             // valid UTF-8
  std::vector<int32_t> tokens;  // with its timestamp tokens
  float temperature = 0.0f;
  double avg_logprob = 0.0;
  double compression_ratio = 0.0;
  double no_speech_prob = 0.0;
};

struct Transcript {
  std::string text;      // the segments' text joined
  std::string language;  // the code decoded with ("en" for English-only models)
  double duration_s = 0.0;
  std::vector<TranscriptSegment> segments;
  int64_t n_windows = 0;
  int64_t n_tokens = 0;   // sampled tokens, fallbacks included
  int64_t n_decodes = 0;  // decoded windows, fallbacks included
  // Wall time of the front end + encoder and of the decoder.
  double encode_s = 0.0;
  double decode_s = 0.0;
};

// kTranscribe: mono samples at 16 kHz in [-1, 1] (the API decodes and resamples).
struct TranscribeRequest {
  std::vector<float> samples;
  TranscribeOptions options;  // options.cancel is ignored: use `cancel`
  // Set by the caller to stop the request (a client that went away); the engine
  // reads it between tokens. Shared: the request may outlive the caller's frame.
  std::shared_ptr<std::atomic<bool>> cancel;
};

// Receives a request's transcript (or the error that ended it) once, on the engine's thread; must not block.
using TranscribeCallback = std::function<void(Result<Transcript>)>;

}  // namespace hearth::infer

// SpeechEngine: eSpeak NG as an infer::Engine (Capability::kSpeak). A
// request's text is synthesized by eSpeak NG (22050 Hz mono) and each piece
// it produces is resampled and encoded (media::AudioEncoder) and handed to the
// request's observer at once, so the audio streams while the rest is spoken.
// Voices: speech_voices.h. Speed: eSpeak's rate of 175 words per minute times
// `speed`, which eSpeak takes between 80 and 450 (speed 0.46 to 2.57);
// beyond, the request is refused naming the speed.
//
// eSpeak NG keeps its state process-wide, so at most one SpeechEngine exists
// at a time (create refuses a second with kFailedPrecondition) and its one
// worker thread makes every synthesis call. eSpeak NG is started at the
// first create and stays started (its Terminate hangs in synchronous mode),
// so an unloaded engine leaves its phoneme tables (a few MB) in memory.
//
// Memory: eSpeak NG's phoneme tables and a language's dictionary are a few
// MB; the estimate budgets kSpeechWeightsBytes for them and
// kSpeechScratchBytes for a request's encoder (FFmpeg's contexts and
// buffers), and memory() reports the same (the library does not say more).
//
// Thread-safety: as infer::Engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "infer/engine.h"
#include "media/serial_worker.h"
#include "media/speech_voices.h"

namespace hearth::media {

inline constexpr int64_t kSpeechWeightsBytes = int64_t{16} << 20;
inline constexpr int64_t kSpeechScratchBytes = int64_t{16} << 20;
inline constexpr int32_t kEspeakDefaultWpm = 175;
inline constexpr int32_t kEspeakMinWpm = 80;
inline constexpr int32_t kEspeakMaxWpm = 450;

struct SpeechEngineOptions {
  std::string espeak_data_dir;  // the folder holding espeak-ng-data (or that folder itself)
  int32_t max_queued = 16;
  int64_t max_input_chars = 4096;  // OpenAI's limit on `input`
};

// Debian's espeak-ng-data location (or $ESPEAK_DATA_PATH); empty when absent.
std::string find_espeak_data_dir();

infer::EngineMemory speech_memory_estimate();

class SpeechEngine final : public infer::Engine {
 public:
  // Initializes eSpeak NG. kFailedPrecondition while another SpeechEngine
  // lives; kNotFound when its data is missing.
  static Result<std::unique_ptr<SpeechEngine>> create(const SpeechEngineOptions& options);
  ~SpeechEngine() override;

  model::Capabilities capabilities() const override { return model::capability_bit(model::Capability::kSpeak); }
  infer::EngineMemory memory() const override { return speech_memory_estimate(); }
  infer::EngineStats stats() const override;
  int64_t n_ctx() const override { return 0; }
  Status speak(infer::SpeechRequest&& request, std::shared_ptr<infer::SpeechObserver> observer) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

  const EspeakVoiceSet& voices() const { return voices_; }
  int32_t sample_rate() const { return sample_rate_; }

 private:
  explicit SpeechEngine(const SpeechEngineOptions& options);
  // Worker thread.
  void synthesize(const infer::SpeechRequest& request, const std::string& voice, int32_t rate_wpm,
                  infer::SpeechObserver& observer, const std::atomic<bool>& cancelled);

  const SpeechEngineOptions options_;
  EspeakVoiceSet voices_;  // immutable after create
  int32_t sample_rate_ = 22050;
  std::atomic<int64_t> n_requests_total_{0};
  SerialWorker worker_;  // last: its thread stops before eSpeak NG is terminated
};

}  // namespace hearth::media

// What a speech engine (Capability::kSpeak) is given and how it streams its
// answer: text, a voice, an encoding and a speed in; encoded audio out, in
// pieces as they are produced, then one finish. The API turns OpenAI's
// /v1/audio/speech request into one of these; nothing here knows about JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::infer {

// OpenAI's response_format values.
enum class AudioFormat { kMp3, kOpus, kAac, kFlac, kWav, kPcm };

// "mp3", "opus", "aac", "flac", "wav", "pcm".
std::string_view audio_format_name(AudioFormat format);
// The Content-Type of a response in this format ("audio/mpeg", ...).
std::string_view audio_format_mime(AudioFormat format);

struct SpeechRequest {
  std::string input;  // UTF-8 text, read as plain text (no markup)
  std::string voice;  // an engine-defined voice name (the engine lists them)
  AudioFormat format = AudioFormat::kMp3;
  double speed = 1.0;  // 1: the voice's natural rate
};

// Receives a request's audio on the engine's thread; must not block (copy the
// bytes and hand them on). on_audio returns false to stop the synthesis (the
// client left): on_finish then follows with kUnavailable.
class SpeechObserver {
 public:
  virtual ~SpeechObserver() = default;
  // The next piece of the encoded stream (never empty).
  virtual bool on_audio(std::string_view bytes) = 0;
  // Called once, last: ok with the seconds of audio produced, or the error.
  virtual void on_finish(Status status, double audio_seconds) = 0;
};

}  // namespace hearth::infer

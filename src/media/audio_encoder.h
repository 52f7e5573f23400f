// AudioEncoder: mono 16-bit PCM in, one of OpenAI's speech formats out, in
// pieces as they are produced (for streaming), through Debian's FFmpeg
// libraries: resampled to kSpeechSampleRate with libswresample, encoded with
// libavcodec and muxed with libavformat into a non-seekable stream:
//
//   mp3   libmp3lame in an MP3 stream        opus  libopus in Ogg
//   aac   FFmpeg's AAC in ADTS               flac  FLAC in its native stream
//   wav   PCM s16le in RIFF/WAVE (the sizes in the header are unknown while it
//         streams: 0xFFFFFFFF, which readers take as "to the end")
//   pcm   raw s16le samples, no header (what OpenAI's pcm is)
//
// OpenAI's voices produce 24 kHz mono; so does every format here.
//
//   HEARTH_ASSIGN_OR_RETURN(auto encoder, AudioEncoder::create(infer::AudioFormat::kMp3, 22050,
//                                          [&](std::string_view bytes) { send(bytes); return true; }));
//   HEARTH_RETURN_IF_ERROR(encoder->write(samples));
//   HEARTH_RETURN_IF_ERROR(encoder->finish());
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "base/status.h"
#include "infer/speech_request.h"

namespace hearth::media {

inline constexpr int32_t kSpeechSampleRate = 24000;

class AudioEncoder {
 public:
  // Receives each piece of the encoded stream; false stops the encoding (the
  // next write or finish fails with kUnavailable).
  using Sink = std::function<bool(std::string_view bytes)>;

  // kUnimplemented when this FFmpeg lacks the format's encoder or muxer.
  static Result<std::unique_ptr<AudioEncoder>> create(infer::AudioFormat format, int32_t input_sample_rate, Sink sink);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  Status write(std::span<const int16_t> samples);
  // Flushes the encoder and writes the stream's end; call once.
  Status finish();

  // Samples at kSpeechSampleRate handed to the encoder so far.
  int64_t n_output_samples() const { return n_output_samples_; }

  struct State;  // FFmpeg's contexts (audio_encoder.cpp)

 private:
  AudioEncoder() = default;
  Status encode_available(bool flush);

  std::unique_ptr<State> state_;
  int64_t n_output_samples_ = 0;
};

}  // namespace hearth::media

// POST /v1/audio/speech as OpenAI defines it: model, input (at most 4096
// characters), voice, response_format (mp3, opus, aac, flac, wav, pcm; default
// mp3), speed (0.25 to 4.0; default 1). `instructions` (for models that take
// them) and stream_format "sse" are a 400 "not supported yet".
// ref: openai-openapi.json CreateSpeechRequest
#pragma once

#include <string>
#include <string_view>

#include "api/openai_errors.h"
#include "infer/speech_request.h"

namespace hearth::api {

inline constexpr int64_t kMaxSpeechInputChars = 4096;  // OpenAI's limit

struct SpeechApiRequest {
  std::string model;
  infer::SpeechRequest speech;
};

ApiResult<SpeechApiRequest> parse_speech_request(std::string_view body);

// The field an engine's kInvalidArgument from speak() is about, from how its
// message starts ("speed ...", "the input ..."); "voice" otherwise.
std::string speech_error_param(std::string_view message);

}  // namespace hearth::api

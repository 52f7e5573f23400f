#include "api/speech.h"

#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/request_parsing.h"

namespace hearth::api {
namespace {

using nlohmann::json;

ApiError unsupported(std::string param, const std::string& what) {
  ApiError error = invalid_field_error(std::move(param), what + " is not supported yet");
  error.code = kUnsupportedFeatureCode;
  return error;
}

}  // namespace

ApiResult<SpeechApiRequest> parse_speech_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "the request body");
  if (fields.failed()) return fields.error();
  SpeechApiRequest out;
  fields.string("model", &out.model, true);
  fields.string("input", &out.speech.input, true);
  fields.string("voice", &out.speech.voice, true);
  std::string format = "mp3";
  fields.string("response_format", &format);
  float speed = 1.0f;
  fields.number("speed", &speed, 0.25, 4.0);
  std::string instructions;
  fields.string("instructions", &instructions);
  if (!instructions.empty()) fields.fail(unsupported("instructions", "'instructions' (a voice that takes directions)"));
  std::string stream_format = "audio";
  fields.string("stream_format", &stream_format);
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  if (stream_format == "sse") {
    return unsupported("stream_format", "stream_format 'sse' (the audio streams as the response body)");
  }
  if (stream_format != "audio") {
    return invalid_field_error("stream_format",
                               "'stream_format' must be 'audio' or 'sse', not " + quote(stream_format));
  }
  if (format == "mp3")
    out.speech.format = infer::AudioFormat::kMp3;
  else if (format == "opus")
    out.speech.format = infer::AudioFormat::kOpus;
  else if (format == "aac")
    out.speech.format = infer::AudioFormat::kAac;
  else if (format == "flac")
    out.speech.format = infer::AudioFormat::kFlac;
  else if (format == "wav")
    out.speech.format = infer::AudioFormat::kWav;
  else if (format == "pcm")
    out.speech.format = infer::AudioFormat::kPcm;
  else {
    return invalid_field_error("response_format",
                               "'response_format' must be one of mp3, opus, aac, flac, wav, pcm, not " + quote(format));
  }
  if (out.speech.input.empty()) return invalid_field_error("input", "'input' must not be empty");
  if (out.speech.input.find('\0') != std::string::npos) {
    return invalid_field_error("input", "'input' must not contain NUL characters");
  }
  int64_t n_chars = 0;  // UTF-8 code points
  for (const char byte : out.speech.input) n_chars += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  if (n_chars > kMaxSpeechInputChars) {
    return invalid_field_error("input", "'input' has " + std::to_string(n_chars) + " characters; at most " +
                                            std::to_string(kMaxSpeechInputChars) + " are allowed");
  }
  if (out.speech.voice.empty()) return invalid_field_error("voice", "'voice' must not be empty");
  out.speech.speed = speed;
  return out;
}

std::string speech_error_param(std::string_view message) {
  if (message.starts_with("speed")) return "speed";
  if (message.starts_with("the input")) return "input";
  return "voice";
}

}  // namespace hearth::api

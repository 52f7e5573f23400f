#include "infer/engine.h"

#include <string>

namespace hearth::infer {

Result<std::shared_ptr<SequenceHandle>> Engine::submit(SequenceRequest&& /*request*/,
                                                       std::shared_ptr<SequenceObserver> /*observer*/) {
  return missing_capability_error("text generation", model::Capability::kGenerate, capabilities());
}

Status Engine::embed(EmbedRequest&& /*request*/, EmbedCallback /*done*/) {
  return missing_capability_error("embeddings", model::Capability::kEmbed, capabilities());
}

Status Engine::ocr(OcrRequest&& /*request*/, OcrCallback /*done*/) {
  return missing_capability_error("OCR", model::Capability::kOcr, capabilities());
}

Status Engine::speak(SpeechRequest&& /*request*/, std::shared_ptr<SpeechObserver> /*observer*/) {
  return missing_capability_error("speech", model::Capability::kSpeak, capabilities());
}

std::string_view audio_format_name(AudioFormat format) {
  switch (format) {
    case AudioFormat::kMp3: return "mp3";
    case AudioFormat::kOpus: return "opus";
    case AudioFormat::kAac: return "aac";
    case AudioFormat::kFlac: return "flac";
    case AudioFormat::kWav: return "wav";
    case AudioFormat::kPcm: return "pcm";
  }
  return "mp3";
}

std::string_view audio_format_mime(AudioFormat format) {
  switch (format) {
    case AudioFormat::kMp3: return "audio/mpeg";
    case AudioFormat::kOpus: return "audio/ogg";
    case AudioFormat::kAac: return "audio/aac";
    case AudioFormat::kFlac: return "audio/flac";
    case AudioFormat::kWav: return "audio/wav";
    case AudioFormat::kPcm: return "audio/pcm";
  }
  return "application/octet-stream";
}

Status Engine::transcribe(TranscribeRequest&& /*request*/, TranscribeCallback /*done*/) {
  return missing_capability_error("speech to text", model::Capability::kTranscribe, capabilities());
}

Status Engine::rerank(RerankRequest&& /*request*/, RerankCallback /*done*/) {
  return missing_capability_error("reranking", model::Capability::kRerank, capabilities());
}

Status missing_capability_error(std::string_view what, model::Capability needed, model::Capabilities capabilities) {
  return failed_precondition_error(std::string(what) + " needs an engine that can " +
                                   std::string(model::capability_name(needed)) +
                                   "; this model's engine serves only: " + model::capability_names(capabilities));
}

}  // namespace hearth::infer

#include "node/builtin_models.h"

#include <algorithm>
#include <filesystem>

#include "media/ocr_engine.h"
#include "media/speech_engine.h"

namespace hearth::node {
namespace {

constexpr std::string_view kTraineddataSuffix = ".traineddata";

// Tesseract's languages in a tessdata folder; "osd" (orientation and script
// detection) and "equ" (equations) are helpers, not languages to read.
std::vector<std::string> tesseract_languages(const std::string& dir) {
  std::vector<std::string> languages;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kTraineddataSuffix.size() || !name.ends_with(kTraineddataSuffix)) continue;
    const std::string language = name.substr(0, name.size() - kTraineddataSuffix.size());
    if (language == "osd" || language == "equ") continue;
    languages.push_back(language);
  }
  std::sort(languages.begin(), languages.end());
  return languages;
}

}  // namespace

std::vector<BuiltinModel> find_builtin_models(const BuiltinModelOptions& options) {
  std::vector<BuiltinModel> out;
  if (const std::string tessdata = media::find_tessdata_dir("eng"); !tessdata.empty()) {
    for (const std::string& language : tesseract_languages(tessdata)) {
      media::OcrEngineOptions ocr;
      ocr.tessdata_dir = tessdata;
      ocr.language = language;
      ocr.limits = options.ocr_limits;
      ocr.max_queued = options.max_queued;
      Result<infer::EngineMemory> estimate = media::ocr_memory_estimate(ocr);
      if (!estimate.ok()) continue;
      BuiltinModel model;
      model.id = "tesseract-" + language;
      model.source = tessdata + "/" + language + std::string(kTraineddataSuffix);
      model.capabilities = model::capability_bit(model::Capability::kOcr);
      model.estimate = *estimate;
      model.start = [ocr]() -> Result<std::unique_ptr<infer::Engine>> {
        HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<media::OcrEngine> engine, media::OcrEngine::create(ocr));
        return std::unique_ptr<infer::Engine>(std::move(engine));
      };
      out.push_back(std::move(model));
    }
  }
  if (const std::string espeak = media::find_espeak_data_dir(); !espeak.empty()) {
    media::SpeechEngineOptions speech;
    speech.espeak_data_dir = espeak;
    speech.max_queued = options.max_queued;
    BuiltinModel model;
    model.id = "espeak-ng";
    model.source = espeak + "/espeak-ng-data";
    model.capabilities = model::capability_bit(model::Capability::kSpeak);
    model.estimate = media::speech_memory_estimate();
    model.start = [speech]() -> Result<std::unique_ptr<infer::Engine>> {
      HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<media::SpeechEngine> engine, media::SpeechEngine::create(speech));
      return std::unique_ptr<infer::Engine>(std::move(engine));
    };
    out.push_back(std::move(model));
  }
  std::sort(out.begin(), out.end(), [](const BuiltinModel& lhs, const BuiltinModel& rhs) { return lhs.id < rhs.id; });
  return out;
}

}  // namespace hearth::node

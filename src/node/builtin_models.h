// The built-in models this machine can serve, from the libraries and data
// installed (docs/speech-and-ocr.md):
//
//   tesseract-<lang>  OCR, one per tesseract language model found
//                     (<lang>.traineddata in tesseract's tessdata folder;
//                     Debian's tesseract-ocr-eng gives tesseract-eng)
//   espeak-ng         text to speech, when eSpeak NG's data is installed
//
// They are on by default; `hearth serve --no-builtin-models` or
// `builtin_models = false` in the config leaves them out. A model file whose
// id is a built-in's is not served (the built-in keeps its id; a notice says
// so).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "media/document_limits.h"
#include "node/builtin_model.h"

namespace hearth::node {

struct BuiltinModelOptions {
  media::DocumentLimits ocr_limits;
  int32_t max_queued = 16;  // requests waiting per engine before 429
};

// Every built-in model whose library data is present, sorted by id.
std::vector<BuiltinModel> find_builtin_models(const BuiltinModelOptions& options);

}  // namespace hearth::node

// BuiltinModel: a model served by a library installed on the machine rather
// than from a model file: OCR with tesseract's language models, speech with
// eSpeak NG. It is listed, planned, loaded on demand and unloaded like a
// file's model (ModelManager), from a fixed estimate of its memory instead of
// a GGUF header. Which ones exist is decided once at start (builtin_models.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "infer/engine.h"
#include "model/arch/arch_spec.h"

namespace hearth::node {

struct BuiltinModel {
  std::string id;      // "tesseract-eng", "espeak-ng"
  std::string source;  // the data it reads (shown where a file's path is)
  model::Capabilities capabilities = 0;
  infer::EngineMemory estimate;  // what the budget counts for it (planned as weights and scratch)
  // Starts its engine (on the manager's loader thread).
  std::function<Result<std::unique_ptr<infer::Engine>>()> start;
};

}  // namespace hearth::node

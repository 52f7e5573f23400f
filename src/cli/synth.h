// Random-weight model synthesis: a GGUF file with the published dimensions of
// a real model (model/shape_catalog.h), weights ~ N(0, 0.02), norms 1, a
// working tokenizer of exactly the shape's vocabulary size and a chat template.
// Speed and memory do not depend on weight values, so these files stand in for
// real models in tests and benchmarks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/file_type.h"
#include "model/shape_catalog.h"

namespace hearth::cli {

struct SynthOptions {
  const model::ModelShape* shape = nullptr;
  model::FileType file_type = model::FileType::kQ8_0;
  std::string out_path;
  uint64_t seed = 1;
  // Written as tokenizer.chat_template instead of the shape's own (a Jinja source, written as
  // it is: a template that does not parse is how a server's fallback is tested).
  std::optional<std::string> chat_template;
};

// Called after each tensor is produced: (bytes done, bytes total).
using SynthProgressFn = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;

// Writes the model to options.out_path (atomically: a temporary file renamed at the end).
Status synthesize_model(const SynthOptions& options, ThreadPool& pool, const SynthProgressFn& progress);

}  // namespace hearth::cli

// ServedModel: one model loaded for serving, with its tokenizer, chat
// template and its own engine (infer::Engine); and how a model file becomes
// one (load_served_model), which is where a file's engine is chosen.
// node::ModelManager owns them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "infer/embedding_engine.h"
#include "infer/engine.h"
#include "infer/llama_model.h"
#include "infer/scheduler.h"
#include "model/llama_arch.h"
#include "node/external_engine.h"
#include "node/file_lease.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace hearth::node {

inline constexpr int64_t kDefaultContext = 4096;

struct ServedModelOptions {
  // Engine limits for every model. scheduler.n_ctx is replaced per model by
  // serving_context().
  infer::SchedulerOptions scheduler;
  int64_t n_ctx = 0;  // 0: min(kDefaultContext, the model's trained context)
  // Called with one line per notable load-time fact (a capped context, a
  // model without a chat template); may be empty.
  std::function<void(const std::string&)> notice;
  // Makes the wire client of each external engine (api/ provides it); a
  // model configured for an external engine fails to load without it.
  ExternalClientFactory external_client;
};

// The context a model is served with: options.n_ctx capped at the trained
// context, or min(kDefaultContext, trained) when unset. A model that states
// no trained context gets what was asked (or kDefaultContext).
int64_t serving_context(const model::LlamaConfig& config, const ServedModelOptions& options);

// Thread-safety: immutable once loaded; the engine is thread-safe. Members
// are declared in dependency order: the engine reads the tokenizer, so it is
// declared last and destroyed first.
struct ServedModel {
  std::string id;  // the file name without ".gguf"
  std::string path;
  int64_t created_s = 0;  // the file's modification time (Unix seconds)
  // The lease that lets it stop using the file before a writer truncates it
  // (null where none could be had). Declared first: released only after the
  // model has unmapped the file.
  std::unique_ptr<FileLease> file_lease;
  // Null for a built-in model (builtin_model.h): its engine takes no tokens.
  std::unique_ptr<text::Tokenizer> tokenizer;
  // Absent when the model carries no template hearth can render; chat is then
  // refused with chat_template_error (completions still work).
  std::optional<text::ChatTemplate> chat_template;
  std::string chat_template_error;
  int64_t n_token_types = 0;  // an encoder's segments (bert: 2; a cross-encoder's pair inputs use them)
  std::unique_ptr<infer::Engine> engine;

  int64_t n_ctx() const { return engine->n_ctx(); }
};

// Maps the file, builds its tokenizer and chat template and starts the
// engine it calls for (start_engine), or, with `external`, reads only its
// header (tokenizer, chat template) and starts the external engine process
// that serves it (ExternalEngine::start; `external->path` is ignored). Errors name the file. With `on_overwrite`, first
// takes a FileLease on the file whose on_break it is (see file_lease.h for what it may do); kUnavailable while another
// process has the file open for writing (a copy in progress: retry later); where the file system or its owner allows no
// lease, says through options.notice that the file is not protected and loads it all the same.
Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& id, const std::string& path,
                                                       const ServedModelOptions& options,
                                                       std::function<void()> on_overwrite = {},
                                                       const ExternalEngineStart* external = nullptr);

// The engine a loaded model is served with, by what its file says it is
// (model::model_capabilities): an infer::EmbeddingEngine for an embedding
// model, else an infer::DecoderEngine. The one place a new engine kind is
// chosen (its plan goes in ModelManager::plan_entry).
Result<std::unique_ptr<infer::Engine>> start_engine(std::unique_ptr<infer::LlamaModel> model,
                                                    const text::Tokenizer& tokenizer,
                                                    const ServedModelOptions& options);

// The embedding engine's options for a model served with `options`.
infer::EmbeddingEngineOptions embedding_options(const model::LlamaConfig& config, const ServedModelOptions& options);

// The file's modification time (Unix seconds); 0 when it cannot be read.
int64_t file_modification_time_s(const std::string& path);

}  // namespace hearth::node

// ModelRegistry: the models this node serves, each loaded once at start-up
// with its tokenizer, chat template and its own engine (infer::Scheduler).
// A later issue turns this into a model manager (load on demand, LRU within a
// memory budget); for now every listed file is resident for the process's life.
//
//   ModelRegistryOptions options;
//   HEARTH_ASSIGN_OR_RETURN(auto files, find_model_files(models_dir));
//   HEARTH_ASSIGN_OR_RETURN(auto registry, ModelRegistry::load(files, options));
//   if (const ServedModel* served = registry->find("qwen2.5-0.5b")) served->scheduler->submit(...);
//
// Thread-safety: immutable after load(); find() and list() may be called from
// any thread. drain() may be called once, from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "infer/llama_model.h"
#include "infer/scheduler.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace hearth::node {

struct ModelRegistryOptions {
  // Engine limits for every model. scheduler.n_ctx is replaced per model:
  // n_ctx below if set (capped at the model's trained context), else
  // min(kDefaultContext, trained context).
  infer::SchedulerOptions scheduler;
  int64_t n_ctx = 0;  // 0: min(kDefaultContext, the model's trained context)
  // Called with one line per notable load-time fact (a capped context, a
  // model without a chat template); may be empty.
  std::function<void(const std::string&)> notice;
};

inline constexpr int64_t kDefaultContext = 4096;

// One served model. Members are declared in dependency order: the scheduler
// reads the model and tokenizer, so it is declared last and destroyed first.
struct ServedModel {
  std::string id;  // the file name without ".gguf"
  std::string path;
  int64_t created_s = 0;  // the file's modification time (Unix seconds)
  std::unique_ptr<infer::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tokenizer;
  // Absent when the model carries no template hearth can render; chat is then
  // refused with chat_template_error (completions still work).
  std::optional<text::ChatTemplate> chat_template;
  std::string chat_template_error;
  std::unique_ptr<infer::Scheduler> scheduler;

  int64_t n_ctx() const { return scheduler->options().n_ctx; }
};

// "qwen2.5-0.5b" for ".../qwen2.5-0.5b.gguf".
std::string model_id_from_path(std::string_view path);

// The regular files (or links to them) directly in `dir` whose names end in
// ".gguf", sorted by name. kNotFound when `dir` does not exist, kIo when it
// cannot be read, kNotFound naming the directory when it holds none.
Result<std::vector<std::string>> find_model_files(const std::string& dir);

class ModelRegistry {
 public:
  // Loads every file (weights, tokenizer, chat template) and starts one
  // scheduler per model. Any file that fails to load fails the whole call,
  // naming the file: a server that silently serves fewer models than asked is
  // a surprise. kInvalidArgument when two files give the same model id.
  static Result<std::unique_ptr<ModelRegistry>> load(std::span<const std::string> paths,
                                                     const ModelRegistryOptions& options);

  // An empty registry: serves no model (the HTTP server's own tests use it).
  ModelRegistry() = default;
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;
  ~ModelRegistry();

  // nullptr when no model has this id.
  const ServedModel* find(std::string_view id) const;
  // Every model, sorted by id.
  std::vector<const ServedModel*> list() const;

  // Drains every scheduler at once (see infer::Scheduler::drain), sharing one
  // deadline; returns the number of sequences cancelled at the deadline.
  int32_t drain(int64_t timeout_ms);

 private:
  std::vector<std::unique_ptr<ServedModel>> models_;  // sorted by id
};

}  // namespace hearth::node

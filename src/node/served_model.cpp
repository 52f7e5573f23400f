#include "node/served_model.h"

#include <sys/stat.h>

#include <algorithm>

#include "infer/decoder_engine.h"
#include "infer/embedding_engine.h"
#include "infer/llama_model.h"
#include "model/arch/arch_registry.h"

namespace hearth::node {

int64_t file_modification_time_s(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<int64_t>(info.st_mtim.tv_sec);
}

int64_t serving_context(const model::LlamaConfig& config, const ServedModelOptions& options) {
  const int64_t n_ctx_train = config.n_ctx_train;
  if (options.n_ctx > 0) return n_ctx_train > 0 ? std::min(options.n_ctx, n_ctx_train) : options.n_ctx;
  return n_ctx_train > 0 ? std::min(kDefaultContext, n_ctx_train) : kDefaultContext;
}

infer::EmbeddingEngineOptions embedding_options(const model::LlamaConfig& config, const ServedModelOptions& options) {
  infer::EmbeddingEngineOptions embedding;
  embedding.n_ctx = serving_context(config, options);
  embedding.max_batch_tokens = options.scheduler.max_batch_tokens;
  embedding.max_queued = options.scheduler.max_queued;
  embedding.kv_block_tokens = options.scheduler.kv_block_tokens;
  embedding.kv_dtype = options.scheduler.kv_dtype;
  embedding.n_threads = options.scheduler.n_threads;
  return embedding;
}

Result<std::unique_ptr<infer::Engine>> start_engine(std::unique_ptr<infer::LlamaModel> model,
                                                    const text::Tokenizer& tokenizer,
                                                    const ServedModelOptions& options) {
  const model::Capabilities capabilities = model::model_capabilities(model->config());
  if (model::has_capability(capabilities, model::Capability::kEmbed) ||
      model::has_capability(capabilities, model::Capability::kRerank)) {
    const infer::EmbeddingEngineOptions embedding = embedding_options(model->config(), options);
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<infer::EmbeddingEngine> engine,
                            infer::EmbeddingEngine::create(std::move(model), embedding));
    return std::unique_ptr<infer::Engine>(std::move(engine));
  }
  infer::SchedulerOptions scheduler_options = options.scheduler;
  scheduler_options.n_ctx = serving_context(model->config(), options);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<infer::DecoderEngine> engine,
                          infer::DecoderEngine::create(std::move(model), tokenizer, scheduler_options));
  return std::unique_ptr<infer::Engine>(std::move(engine));
}

Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& id, const std::string& path,
                                                       const ServedModelOptions& options,
                                                       std::function<void()> on_overwrite) {
  auto served = std::make_unique<ServedModel>();
  served->id = id;
  served->path = path;
  served->created_s = file_modification_time_s(path);

  if (on_overwrite) {
    // Leased before it is mapped, so that no truncation can slip in between.
    auto lease = FileLease::take(path, std::move(on_overwrite));
    if (lease.ok()) {
      served->file_lease = std::move(lease).value();
    } else if (lease.status().code() == ErrorCode::kUnavailable) {
      return lease.status();  // being written now: a retry maps the finished file, leased
    } else if (options.notice) {
      options.notice("model '" + id + "': " + path + " is not protected against being overwritten in place (" +
                     lease.status().message() +
                     "): writing into it while it is loaded (cp onto it) would stop "
                     "the server; replacing it by renaming a new file over it (mv) is safe");
    }
  }

  auto loaded = infer::LlamaModel::load(path);
  if (!loaded.ok()) return Status(loaded.status().code(), "cannot load " + path + ": " + loaded.status().message());
  std::unique_ptr<infer::LlamaModel> model = std::move(loaded).value();
  if (served->file_lease) {
    // The lease must cover the file that was mapped: a rename over the path
    // between the two opens would leave the mapping unprotected.
    struct stat leased {};
    struct stat mapped {};
    if (::fstat(served->file_lease->fd(), &leased) != 0 || ::stat(path.c_str(), &mapped) != 0 ||
        leased.st_dev != mapped.st_dev || leased.st_ino != mapped.st_ino) {
      return unavailable_error(path + " was replaced while it was loading; retry");
    }
  }

  auto tokenizer = text::Tokenizer::from_gguf(model->file());
  if (!tokenizer.ok()) {
    return Status(tokenizer.status().code(),
                  path + ": the model's tokenizer is unusable: " + tokenizer.status().message());
  }
  served->tokenizer = std::move(tokenizer).value();

  auto chat_template = text::ChatTemplate::from_gguf(model->file());
  if (chat_template.ok()) {
    served->chat_template = std::move(chat_template).value();
    if (!served->chat_template->fallback_reason().empty() && options.notice) {
      options.notice("model '" + served->id + "': " + served->chat_template->fallback_reason() + "; using the native " +
                     std::string(served->chat_template->name()) + " format instead");
    }
  } else {
    served->chat_template_error = chat_template.status().message();
    if (options.notice &&
        model::has_capability(model::model_capabilities(model->config()), model::Capability::kGenerate)) {
      options.notice("model '" + served->id + "' has no chat template hearth can render (" +
                     served->chat_template_error + "); it serves /v1/completions only");
    }
  }

  served->n_token_types = model->config().n_token_types;
  auto engine = start_engine(std::move(model), *served->tokenizer, options);
  if (!engine.ok()) {
    return Status(engine.status().code(), "cannot start the engine for " + path + ": " + engine.status().message());
  }
  served->engine = std::move(engine).value();
  return served;
}

}  // namespace hearth::node

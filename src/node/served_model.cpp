#include "node/served_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "infer/decoder_engine.h"
#include "infer/embedding_engine.h"
#include "infer/llama_model.h"
#include "media/whisper_engine.h"
#include "model/arch/arch_registry.h"
#include "model/gguf.h"

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
  embedding.compute = options.scheduler.compute;
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

namespace {

// A whisper file: the speech engine (media::WhisperEngine), and the tokenizer the API decodes prompts with.
Result<std::unique_ptr<ServedModel>> load_whisper(std::unique_ptr<ServedModel> served, const std::string& path,
                                                  const ServedModelOptions& options) {
  auto model = media::WhisperModel::load(path);
  if (!model.ok()) return Status(model.status().code(), "cannot load " + path + ": " + model.status().message());
  auto tokenizer = text::Tokenizer::from_gguf((*model)->file());
  if (!tokenizer.ok()) return Status(tokenizer.status().code(), path + ": " + tokenizer.status().message());
  served->tokenizer = std::move(tokenizer).value();
  served->chat_template_error = "a speech-to-text model has no chat template";
  media::WhisperEngineOptions engine_options;
  engine_options.n_threads = options.scheduler.n_threads > 0 ? options.scheduler.n_threads
                                                             : static_cast<int>(std::thread::hardware_concurrency());
  engine_options.max_queue = options.scheduler.max_queued > 0 ? options.scheduler.max_queued : engine_options.max_queue;
  auto engine = media::WhisperEngine::create(std::move(model).value(), engine_options);
  if (!engine.ok()) {
    return Status(engine.status().code(), "cannot start the engine for " + path + ": " + engine.status().message());
  }
  served->engine = std::move(engine).value();
  return served;
}

}  // namespace

Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& id, const std::string& path,
                                                       const ServedModelOptions& options,
                                                       std::function<void()> on_overwrite,
                                                       const ExternalEngineStart* external) {
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

  // An external engine maps the weights itself: only the header is read here. A whisper file
  // is served by the speech engine (load_whisper).
  std::unique_ptr<infer::LlamaModel> model;
  std::optional<model::GgufFile> header_only;
  if (external != nullptr) {
    auto opened = model::GgufFile::open(path);
    if (!opened.ok()) return Status(opened.status().code(), "cannot read " + path + ": " + opened.status().message());
    header_only = std::move(opened).value();
  } else {
    if (auto header = model::GgufFile::open(path); header.ok()) {
      if (auto arch = header->get_string("general.architecture"); arch.ok() && *arch == model::kWhisperArch) {
        return load_whisper(std::move(served), path, options);
      }
    }
    auto loaded = infer::LlamaModel::load(path);
    if (!loaded.ok()) return Status(loaded.status().code(), "cannot load " + path + ": " + loaded.status().message());
    model = std::move(loaded).value();
  }
  const model::GgufFile& file = header_only ? *header_only : model->file();
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

  auto tokenizer = text::Tokenizer::from_gguf(file);
  if (!tokenizer.ok()) {
    return Status(tokenizer.status().code(),
                  path + ": the model's tokenizer is unusable: " + tokenizer.status().message());
  }
  served->tokenizer = std::move(tokenizer).value();

  auto chat_template = text::ChatTemplate::from_gguf(file);
  if (chat_template.ok()) {
    served->chat_template = std::move(chat_template).value();
    if (!served->chat_template->fallback_reason().empty() && options.notice) {
      options.notice("model '" + served->id + "': " + served->chat_template->fallback_reason() + "; using the native " +
                     std::string(served->chat_template->name()) + " format instead");
    }
  } else {
    served->chat_template_error = chat_template.status().message();
    const model::Capabilities capabilities =
        external != nullptr ? external->capabilities : model::model_capabilities(model->config());
    if (options.notice && model::has_capability(capabilities, model::Capability::kGenerate)) {
      options.notice("model '" + served->id + "' has no chat template hearth can render (" +
                     served->chat_template_error + "); it serves /v1/completions only");
    }
  }

  if (external != nullptr) {
    header_only.reset();  // the engine process maps the file itself
    ExternalEngineStart start = *external;
    start.id = id;
    start.path = path;
    auto started = ExternalEngine::start(std::move(start), *served->tokenizer, options.external_client);
    if (!started.ok()) {
      // A process that died before it was ready may start next time (503); a missing binary or a
      // bad command is the server's configuration (500), not the client's request.
      const ErrorCode code =
          started.status().code() == ErrorCode::kUnavailable ? ErrorCode::kUnavailable : ErrorCode::kInternal;
      return Status(code, "cannot start the external engine for " + path + ": " + started.status().message());
    }
    served->engine = std::move(started).value();
    return served;
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

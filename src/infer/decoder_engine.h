// DecoderEngine: hearth's own text generator as an Engine: a loaded
// decoder-only model (LlamaModel, any family of model/arch that generates)
// and the Scheduler that batches its sequences.
//
//   HEARTH_ASSIGN_OR_RETURN(auto model, LlamaModel::load(path));
//   HEARTH_ASSIGN_OR_RETURN(auto engine, DecoderEngine::create(std::move(model), *tokenizer, options));
//   engine->submit(std::move(request), observer);
//
// Memory: weights are the file's tensor bytes (mapped), caches the KV pool,
// scratch the forward pass's buffers: the terms planner::plan_memory plans.
//
// Thread-safety: as Scheduler (every method from any thread). The tokenizer
// must outlive the engine.
#pragma once

#include <memory>

#include "infer/engine.h"
#include "infer/llama_model.h"
#include "infer/scheduler.h"
#include "text/tokenizer.h"

namespace hearth::infer {

class DecoderEngine final : public Engine {
 public:
  // Starts the scheduler over the model (the errors of Scheduler::create).
  static Result<std::unique_ptr<DecoderEngine>> create(std::unique_ptr<LlamaModel> model,
                                                       const text::Tokenizer& tokenizer,
                                                       const SchedulerOptions& options);

  model::Capabilities capabilities() const override;
  EngineMemory memory() const override;
  EngineStats stats() const override { return scheduler_->stats(); }
  int64_t n_ctx() const override { return scheduler_->options().n_ctx; }
  Result<std::shared_ptr<SequenceHandle>> submit(SequenceRequest&& request,
                                                 std::shared_ptr<SequenceObserver> observer) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

  const LlamaModel& model() const { return *model_; }

 private:
  DecoderEngine(std::unique_ptr<LlamaModel> model, std::unique_ptr<Scheduler> scheduler);

  // The scheduler reads the model: declared after it, destroyed first.
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace hearth::infer

#include "infer/decoder_engine.h"

#include <utility>

namespace hearth::infer {

Result<std::unique_ptr<DecoderEngine>> DecoderEngine::create(std::unique_ptr<LlamaModel> model,
                                                             const text::Tokenizer& tokenizer,
                                                             const SchedulerOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Scheduler> scheduler, Scheduler::create(*model, tokenizer, options));
  return std::unique_ptr<DecoderEngine>(new DecoderEngine(std::move(model), std::move(scheduler)));
}

DecoderEngine::DecoderEngine(std::unique_ptr<LlamaModel> model, std::unique_ptr<Scheduler> scheduler)
    : model_(std::move(model)), scheduler_(std::move(scheduler)) {}

model::Capabilities DecoderEngine::capabilities() const { return model::capability_bit(model::Capability::kGenerate); }

EngineMemory DecoderEngine::memory() const {
  EngineMemory memory = scheduler_->memory();
  memory.weights_bytes = model_->file().tensor_data_bytes();
  return memory;
}

Result<std::shared_ptr<SequenceHandle>> DecoderEngine::submit(SequenceRequest&& request,
                                                              std::shared_ptr<SequenceObserver> observer) {
  return scheduler_->submit(std::move(request), std::move(observer));
}

int32_t DecoderEngine::drain(int64_t timeout_ms, std::string_view reason) {
  return scheduler_->drain(timeout_ms, reason);
}

}  // namespace hearth::infer

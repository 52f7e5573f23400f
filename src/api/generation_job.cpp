#include "api/generation_job.h"

#include "api/chat_completions.h"
#include "api/completions.h"
#include "api/request_parsing.h"

namespace hearth::api {

ApiError model_not_found_error(std::string_view model) {
  return ApiError{404, "invalid_request_error", "The model '" + std::string(model) + "' does not exist", "model",
                  "model_not_found"};
}

ApiResult<GenerationJob> prepare_generation_job(GenerationKind kind, std::string_view body,
                                                const node::ModelRegistry& registry, const std::string& id,
                                                int64_t created_s, RequestIds& ids, std::string* model_id) {
  GenerationJob job;
  if (kind == GenerationKind::kChat) {
    ApiResult<ChatRequest> request = parse_chat_request(body);
    if (!request.ok()) return request.error();
    job.served = registry.find(request->model);
    if (job.served == nullptr) return model_not_found_error(request->model);
    *model_id = job.served->id;
    ApiResult<infer::SequenceRequest> sequence = build_chat_sequence(*request, *job.served, ids.next_seed());
    if (!sequence.ok()) return sequence.error();
    job.sequence = std::move(sequence).value();
    job.stream = request->generation.stream;
    job.logprobs = request->logprobs;
    job.renderer = std::make_unique<ChatRenderer>(
        ResponseMeta{id, created_s, request->model, request->generation.include_usage}, request->logprobs);
  } else {
    ApiResult<CompletionRequest> request = parse_completion_request(body);
    if (!request.ok()) return request.error();
    job.served = registry.find(request->model);
    if (job.served == nullptr) return model_not_found_error(request->model);
    *model_id = job.served->id;
    ApiResult<infer::SequenceRequest> sequence = build_completion_sequence(*request, *job.served, ids.next_seed());
    if (!sequence.ok()) return sequence.error();
    job.sequence = std::move(sequence).value();
    job.stream = request->generation.stream;
    job.logprobs = request->logprobs >= 0;
    job.renderer = std::make_unique<CompletionRenderer>(
        ResponseMeta{id, created_s, request->model, request->generation.include_usage}, job.logprobs);
  }
  return job;
}

}  // namespace hearth::api

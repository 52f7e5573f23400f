// From a generation request's body to everything its connection needs:
// parse (chat or text completion), find the model (404 model_not_found),
// build the engine request, and pick the renderer for the response.
//
//   ApiResult<GenerationJob> job = prepare_generation_job(GenerationKind::kChat, body, registry, ids, now_s);
//   if (!job.ok()) return respond(job.error());
//   job->served->scheduler->submit(std::move(job->sequence), channel);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/openai_errors.h"
#include "api/request_ids.h"
#include "api/response_renderer.h"
#include "infer/scheduler.h"
#include "node/model_registry.h"

namespace hearth::api {

enum class GenerationKind { kChat, kCompletion };

struct GenerationJob {
  const node::ServedModel* served = nullptr;
  infer::SequenceRequest sequence;
  std::unique_ptr<ResponseRenderer> renderer;
  bool stream = false;
  bool logprobs = false;  // the channel must copy logprobs
};

// `id` is the response id ("chatcmpl-..." / "cmpl-..."); `ids` supplies the
// seed of a request that sent none. `model_id` receives the model's id once
// it is found, for the access log of a request that fails after that.
ApiResult<GenerationJob> prepare_generation_job(GenerationKind kind, std::string_view body,
                                                const node::ModelRegistry& registry, const std::string& id,
                                                int64_t created_s, RequestIds& ids, std::string* model_id);

// "The model 'x' does not exist", 404, param "model", code "model_not_found".
ApiError model_not_found_error(std::string_view model);

}  // namespace hearth::api

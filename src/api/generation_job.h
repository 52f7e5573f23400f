// From a generation request's body to everything its connection needs, in
// two steps around loading the model: parse (chat or text completion; the
// model id, keep_alive), then, with the model leased from the node's
// ModelManager, build the engine request and pick the renderer.
//
//   ApiResult<ParsedGeneration> parsed = parse_generation(GenerationKind::kChat, body);
//   ... lease = models.acquire(parsed->model, parsed->keep_alive_ms()) ...
//   ApiResult<GenerationJob> job = build_generation_job(*parsed, *lease, id, now_s, ids);
//   lease->engine->submit(std::move(job->sequence), channel);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/openai_errors.h"
#include "api/request_ids.h"
#include "api/response_renderer.h"
#include "api/sequence_builder.h"
#include "infer/scheduler.h"
#include "node/served_model.h"

namespace hearth::api {

// kMessages: Anthropic's Messages API, parsed into a ChatRequest. kOllamaChat
// and kOllamaGenerate: Ollama's /api/chat and /api/generate, restated in
// OpenAI's terms (api/ollama_requests.h) and parsed as those are.
enum class GenerationKind { kChat, kCompletion, kMessages, kOllamaChat, kOllamaGenerate };

bool is_ollama(GenerationKind kind);

// A parsed request, before its model is known to be loaded.
struct ParsedGeneration {
  GenerationKind kind = GenerationKind::kChat;
  ChatRequest chat;              // kChat, kMessages, kOllamaChat, kOllamaGenerate (unless raw)
  CompletionRequest completion;  // kCompletion, kOllamaGenerate with raw
  bool raw = false;              // kOllamaGenerate: the prompt as it is, a text completion
  // Ollama: no prompt or messages: the request only loads the model (or
  // unloads it, with keep_alive 0); nothing is generated.
  bool load_only = false;

  bool is_chat() const { return kind != GenerationKind::kCompletion && !raw; }
  const std::string& model() const { return is_chat() ? chat.model : completion.model; }
  const GenerationFields& generation() const { return is_chat() ? chat.generation : completion.generation; }
};

struct GenerationJob {
  infer::SequenceRequest sequence;
  std::unique_ptr<ResponseRenderer> renderer;
  bool stream = false;
  bool logprobs = false;  // the channel must copy logprobs
  const char* content_type = "text/event-stream";  // of a streamed answer (Ollama's: NDJSON)
  PromptTruncation truncation;
};

ApiResult<ParsedGeneration> parse_generation(GenerationKind kind, std::string_view body);

// `id` is the response id ("chatcmpl-..." / "cmpl-..."); `ids` supplies the
// seed of a request that sent none.
ApiResult<GenerationJob> build_generation_job(const ParsedGeneration& parsed, const node::ServedModel& served,
                                              const std::string& id, int64_t created_s, RequestIds& ids);

// "The model 'x' does not exist", 404, param "model", code "model_not_found".
ApiError model_not_found_error(std::string_view model);

}  // namespace hearth::api

#include "api/generation_job.h"

#include "api/anthropic_messages.h"
#include "api/chat_completions.h"
#include "api/completions.h"
#include "api/ollama_renderers.h"
#include "api/ollama_requests.h"
#include "api/request_parsing.h"
#include "base/clock.h"

namespace hearth::api {

ApiError model_not_found_error(std::string_view model) {
  return ApiError{404, "invalid_request_error", "The model '" + std::string(model) + "' does not exist", "model",
                  "model_not_found"};
}

bool is_ollama(GenerationKind kind) {
  return kind == GenerationKind::kOllamaChat || kind == GenerationKind::kOllamaGenerate;
}

namespace {

ApiResult<ParsedGeneration> parse_ollama_generation(GenerationKind kind, std::string_view body) {
  ApiResult<OllamaGeneration> translated =
      kind == GenerationKind::kOllamaChat ? translate_ollama_chat(body) : translate_ollama_generate(body);
  if (!translated.ok()) return translated.error();
  ParsedGeneration parsed;
  parsed.kind = kind;
  parsed.raw = translated->raw;
  parsed.load_only = translated->load_only;
  GenerationFields* fields = nullptr;
  if (parsed.raw) {
    ApiResult<CompletionRequest> request = parse_completion_request(translated->openai_body);
    if (!request.ok()) return ollama_field_error(request.error());
    parsed.completion = std::move(request).value();
    fields = &parsed.completion.generation;
  } else {
    ApiResult<ChatRequest> request = parse_chat_request(translated->openai_body);
    if (!request.ok()) return ollama_field_error(request.error());
    parsed.chat = std::move(request).value();
    fields = &parsed.chat.generation;
  }
  fields->n_ctx_limit = translated->num_ctx;
  if (translated->repeat_last_n) fields->sampling.repeat_last_n = *translated->repeat_last_n;
  return parsed;
}

}  // namespace

ApiResult<ParsedGeneration> parse_generation(GenerationKind kind, std::string_view body) {
  if (is_ollama(kind)) return parse_ollama_generation(kind, body);
  ParsedGeneration parsed;
  parsed.kind = kind;
  if (kind != GenerationKind::kCompletion) {
    ApiResult<ChatRequest> request =
        kind == GenerationKind::kChat ? parse_chat_request(body) : parse_messages_request(body);
    if (!request.ok()) return request.error();
    parsed.chat = std::move(request).value();
  } else {
    ApiResult<CompletionRequest> request = parse_completion_request(body);
    if (!request.ok()) return request.error();
    parsed.completion = std::move(request).value();
  }
  return parsed;
}

ApiResult<GenerationJob> build_generation_job(const ParsedGeneration& parsed, const node::ServedModel& served,
                                              const std::string& id, int64_t created_s, RequestIds& ids) {
  GenerationJob job;
  const GenerationFields& generation = parsed.generation();
  ApiResult<infer::SequenceRequest> sequence =
      parsed.is_chat() ? build_chat_sequence(parsed.chat, served, ids.next_seed(), &job.truncation)
                       : build_completion_sequence(parsed.completion, served, ids.next_seed(), &job.truncation);
  if (!sequence.ok()) return sequence.error();
  job.sequence = std::move(sequence).value();
  job.stream = generation.stream;
  const ResponseMeta meta{id, created_s, parsed.model(), generation.include_usage, generation.stop};
  std::optional<ToolOutput> tools;
  if (parsed.is_chat() && parsed.chat.tools_active()) {
    tools = ToolOutput{tool_format_of(*served.chat_template), parsed.chat.tool_call_forced(),
                       parsed.chat.parallel_tool_calls};
  }
  if (is_ollama(parsed.kind)) {
    job.content_type = "application/x-ndjson";
    job.renderer = std::make_unique<OllamaRenderer>(meta, parsed.kind == GenerationKind::kOllamaChat, tools,
                                                    [] { return unix_now_ms(); });
  } else if (parsed.kind == GenerationKind::kMessages) {
    job.renderer =
        std::make_unique<AnthropicMessageRenderer>(meta, static_cast<int64_t>(job.sequence.prompt.size()), tools);
  } else if (parsed.kind == GenerationKind::kChat) {
    job.logprobs = parsed.chat.logprobs;
    job.renderer = std::make_unique<ChatRenderer>(meta, job.logprobs, tools);
  } else {
    job.logprobs = parsed.completion.logprobs >= 0;
    job.renderer = std::make_unique<CompletionRenderer>(meta, job.logprobs);
  }
  return job;
}

}  // namespace hearth::api

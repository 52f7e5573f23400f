// The answers of Ollama's POST /api/chat and /api/generate: NDJSON lines
// while streaming ({model, created_at, message|response, done: false} per
// batch of tokens, then one with done: true, done_reason, the token counts
// and durations in nanoseconds) or that last object with the whole text.
// With tools, the model's calls (read back as api/tool_calls.h reads them for
// OpenAI's API) become message.tool_calls, with arguments as objects; while
// streaming, text that may start a call is held back and the calls come in
// one line at the end. Also the answer of a request that only loads or
// unloads a model, and Ollama's error line.
// ref: https://github.com/ollama/ollama/blob/main/docs/api.md
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/openai_errors.h"
#include "api/response_renderer.h"
#include "api/tool_calls.h"

namespace hearth::api {

// Unix milliseconds as RFC 3339 in UTC with milliseconds: "2026-12-03T16:05:09.123Z".
std::string rfc3339_utc(int64_t unix_ms);

// {"error": "..."}: Ollama's error body.
std::string render_ollama_error_body(const ApiError& error);

class OllamaRenderer : public ResponseRenderer {
 public:
  // chat: /api/chat's message objects, else /api/generate's response text.
  // now_ms: the wall clock for created_at (tests inject one).
  OllamaRenderer(ResponseMeta meta, bool chat, std::optional<ToolOutput> tools, std::function<int64_t()> now_ms);

  std::string stream_start() override { return {}; }
  std::string stream_tokens(std::span<const TokenOutput> tokens) override;
  std::string stream_finish(const FinishOutput& finish) override;
  void collect(std::span<const TokenOutput> tokens) override;
  std::string response_body(const FinishOutput& finish) override;

 private:
  // One object with the text (message.content or response) and done: false.
  std::string line(const std::string& text) const;
  // The last object, done: true, with `text` and the calls.
  nlohmann::json final_object(const std::string& text, const std::vector<ParsedToolCall>& calls,
                              const FinishOutput& finish) const;

  ResponseMeta meta_;
  bool chat_;
  std::optional<ToolOutput> tools_;
  std::optional<ToolCallStream> tool_stream_;
  std::function<int64_t()> now_ms_;
  std::string content_;  // collected (whole answers)
};

// The answer to a request with no prompt (generate) or no messages (chat):
// done_reason "load", or "unload" with keep_alive 0.
std::string render_ollama_load(const std::string& model, bool chat, bool unload, int64_t unix_ms);

}  // namespace hearth::api

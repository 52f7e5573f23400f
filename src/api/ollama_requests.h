// Ollama's request bodies (POST /api/chat, /api/generate, /api/embed,
// /api/embeddings) restated in OpenAI's terms, so that the one request
// parser (api/request_parsing.h, api/embeddings.h) checks them and the one
// generation path serves them: `options` become the sampling fields
// (num_predict -> max_tokens, ...), `format` becomes response_format ("json"
// -> json_object, a schema -> json_schema), `think` becomes the template's
// enable_thinking, message tool calls (arguments as objects) become OpenAI's,
// and a tool result's tool_name finds the call it answers. What OpenAI's
// request cannot say (num_ctx, repeat_last_n) is carried beside it.
//
// Refused with a 400 naming the field: `images` (no vision yet), a non-empty
// `suffix`, `template` or `context`, mirostat, typical_p and tfs_z other than
// their defaults, unknown keys and options. Hardware and load-time options
// (num_gpu, num_thread, use_mmap, ...) are accepted and have no effect: the
// server decides them for every request.
// ref: https://github.com/ollama/ollama/blob/main/docs/api.md
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/openai_errors.h"

namespace hearth::api {

struct OllamaGeneration {
  std::string model;
  // No prompt (generate) or no messages (chat): the request only loads the
  // model, or unloads it with keep_alive 0. openai_body then holds one empty
  // user message, so that the other fields are still checked.
  bool load_only = false;
  bool raw = false;  // generate with raw: the prompt as it is: openai_body is a text completion
  std::string openai_body;
  std::optional<int64_t> num_ctx;        // options.num_ctx
  std::optional<int32_t> repeat_last_n;  // options.repeat_last_n
};

ApiResult<OllamaGeneration> translate_ollama_chat(std::string_view body);
ApiResult<OllamaGeneration> translate_ollama_generate(std::string_view body);

// An error from parsing the translated body, with the fields it names put
// back in Ollama's words ("max_tokens" -> "options.num_predict",
// "response_format..." -> "format", ...).
ApiError ollama_field_error(ApiError error);

struct OllamaEmbed {
  std::string openai_body;  // an OpenAI embeddings request
  std::optional<int64_t> keep_alive_ms;
};

// /api/embed (`input`: a string or strings; `truncate` defaults to true, as
// in Ollama) or, with `legacy`, /api/embeddings (`prompt`: one string).
ApiResult<OllamaEmbed> translate_ollama_embed(std::string_view body, bool legacy);

}  // namespace hearth::api

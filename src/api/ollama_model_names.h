// Model names as Ollama's clients write them ("qwen3:8b", "tiny:latest")
// mapped to hearth's model ids (a models directory's file names without
// ".gguf", and a gateway's aliases), by one rule:
//
//   1. a name that is an id is that id ("qwen3-8b-q4_k_m", an alias);
//   2. "NAME:latest" is NAME, and "NAME:TAG" is NAME-TAG ("qwen3:8b" ->
//      "qwen3-8b"); that form is looked up as an id, then ignoring case;
//   3. failing that, the one id that starts with the form and a '-'
//      ("qwen3:8b" -> "qwen3-8b-q4_k_m"), ignoring case.
//
// Several ids in step 2 or 3 make the name ambiguous: a 400 that lists them.
// None: a 404 in Ollama's words. The ids are listed back to Ollama clients
// as "ID:latest" (an id that has a ':' of its own as it is), which step 2
// maps back to ID.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/openai_errors.h"

namespace hearth::api {

// `ids`: every id the server could serve (any order).
ApiResult<std::string> resolve_ollama_model(std::string_view name, const std::vector<std::string>& ids);

// "ID:latest", or ID when it has a tag already.
std::string ollama_model_name(std::string_view id);

// Ollama's 404 for a model it does not have.
ApiError ollama_model_not_found_error(std::string_view name);

}  // namespace hearth::api

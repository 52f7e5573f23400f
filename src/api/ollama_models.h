// The bodies of Ollama's model listings: GET /api/tags (every model this
// server can serve), POST /api/show (one model: its GGUF header's facts,
// chat template and capabilities) and GET /api/ps (the resident models, their
// planned memory and when their keep-alive runs out). Names are shown as
// Ollama writes them ("tiny:latest", api/ollama_model_names.h).
//
// A model another node of a gateway serves is listed by name only: the
// gateway knows its id and whether it is resident, not its file.
// ref: https://github.com/ollama/ollama/blob/main/docs/api.md
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "node/model_manager.h"

namespace hearth::api {

// {parent_model, format: "gguf", family, families, parameter_size ("8.0B"),
// quantization_level ("Q4_K_M")} from the file's header; only format when the
// header cannot be read.
nlohmann::json ollama_model_details(const std::string& path);

// The sha256 a store link names (<dir>/<id>.gguf -> blobs/sha256-<hex>), else "".
std::string ollama_model_digest(const std::string& path);

// `local`: this node's servable models; `remote_ids`: other models a gateway
// routes to (aliases, other nodes' models), not in `local`.
std::string render_ollama_tags(const std::vector<node::ModelInfo>& local, const std::vector<std::string>& remote_ids);

// kInvalidArgument-free: a header that cannot be read leaves model_info empty.
std::string render_ollama_show(const node::ModelInfo& model);

// `remote_resident`: models resident on a gateway's other nodes. now_ms: the wall clock.
std::string render_ollama_ps(const std::vector<node::ModelInfo>& local, const std::vector<std::string>& remote_resident,
                             int64_t now_ms);

}  // namespace hearth::api

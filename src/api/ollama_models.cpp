#include "api/ollama_models.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "api/json_output.h"
#include "api/ollama_model_names.h"
#include "api/ollama_renderers.h"
#include "model/arch/arch_spec.h"
#include "model/gguf.h"
#include "store/model_info.h"

namespace hearth::api {
namespace {

using nlohmann::json;

// "8.0B", "135.0M": Ollama's parameter_size.
std::string parameter_size(int64_t n_params) {
  char text[32];
  if (n_params >= 1'000'000'000) {
    std::snprintf(text, sizeof(text), "%.1fB", static_cast<double>(n_params) / 1e9);
  } else if (n_params >= 1'000'000) {
    std::snprintf(text, sizeof(text), "%.1fM", static_cast<double>(n_params) / 1e6);
  } else {
    std::snprintf(text, sizeof(text), "%.1fK", static_cast<double>(n_params) / 1e3);
  }
  return text;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

json details_of(const store::ModelInfo& info) {
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", info.architecture},
          {"families", json::array({info.architecture})},
          {"parameter_size", parameter_size(info.n_params)},
          {"quantization_level", !info.file_type.empty() ? info.file_type : upper(info.main_tensor_type)}};
}

// Ollama's names for what a model can do.
json capabilities_of(const node::ModelInfo& model, bool has_chat_template) {
  json out = json::array();
  if (model::has_capability(model.capabilities, model::Capability::kGenerate)) {
    out.push_back("completion");
    // Any chat model takes tools: its template's format, or hearth's generic one (api/tool_calls.h).
    if (has_chat_template) out.push_back("tools");
  }
  if (model::has_capability(model.capabilities, model::Capability::kEmbed)) out.push_back("embedding");
  return out;
}

json remote_entry(const std::string& id) {
  const std::string name = ollama_model_name(id);
  return {{"name", name},
          {"model", name},
          {"modified_at", rfc3339_utc(0)},
          {"size", 0},
          {"digest", ""},
          {"details", {{"parent_model", ""}, {"format", "gguf"}, {"family", ""}, {"families", json::array()},
                       {"parameter_size", ""}, {"quantization_level", ""}}}};
}

json local_entry(const node::ModelInfo& model) {
  const std::string name = ollama_model_name(model.id);
  json entry = {{"name", name},
                {"model", name},
                {"modified_at", rfc3339_utc(model.created_s * 1000)},
                {"size", 0},
                {"digest", ollama_model_digest(model.path)},
                {"details", ollama_model_details(model.path)}};
  Result<model::GgufFile> file = model::GgufFile::open(model.path);
  if (file.ok()) entry["size"] = store::describe_model(*file).file_bytes;
  return entry;
}

}  // namespace

nlohmann::json ollama_model_details(const std::string& path) {
  Result<model::GgufFile> file = model::GgufFile::open(path);
  if (!file.ok()) return {{"format", "gguf"}};
  return details_of(store::describe_model(*file));
}

std::string ollama_model_digest(const std::string& path) {
  std::array<char, 512> target{};
  const ssize_t n_bytes = ::readlink(path.c_str(), target.data(), target.size() - 1);
  if (n_bytes <= 0) return "";
  const std::string_view link(target.data(), static_cast<size_t>(n_bytes));
  constexpr std::string_view kPrefix = "blobs/sha256-";
  if (!link.starts_with(kPrefix) || link.size() != kPrefix.size() + 64) return "";
  const std::string_view hex = link.substr(kPrefix.size());
  if (!std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return "";
  }
  return std::string(hex);
}

std::string render_ollama_tags(const std::vector<node::ModelInfo>& local, const std::vector<std::string>& remote_ids) {
  json models = json::array();
  for (const node::ModelInfo& model : local) models.push_back(local_entry(model));
  for (const std::string& id : remote_ids) models.push_back(remote_entry(id));
  return dump_json(json{{"models", std::move(models)}});
}

std::string render_ollama_show(const node::ModelInfo& model) {
  json body = {{"license", ""}, {"modelfile", "# served by hearth from " + model.path + "\nFROM " + model.path + "\n"},
               {"parameters", ""}, {"template", ""}, {"details", {{"format", "gguf"}}}, {"model_info", json::object()},
               {"modified_at", rfc3339_utc(model.created_s * 1000)}};
  bool has_chat_template = false;
  Result<model::GgufFile> file = model::GgufFile::open(model.path);
  if (file.ok()) {
    const store::ModelInfo info = store::describe_model(*file);
    body["details"] = details_of(info);
    if (Result<std::string_view> chat_template = file->get_string("tokenizer.chat_template"); chat_template.ok()) {
      body["template"] = std::string(*chat_template);
      has_chat_template = true;
    }
    const std::string& arch = info.architecture;
    json facts = {{"general.architecture", arch},
                  {"general.parameter_count", info.n_params},
                  {"general.file_type", info.file_type_id}};
    if (!info.model_name.empty()) facts["general.name"] = info.model_name;
    if (info.n_ctx_train > 0) facts[arch + ".context_length"] = info.n_ctx_train;
    if (info.n_embd > 0) facts[arch + ".embedding_length"] = info.n_embd;
    if (info.n_layer > 0) facts[arch + ".block_count"] = info.n_layer;
    if (info.n_head > 0) facts[arch + ".attention.head_count"] = info.n_head;
    if (info.n_head_kv > 0) facts[arch + ".attention.head_count_kv"] = info.n_head_kv;
    if (info.n_ff > 0) facts[arch + ".feed_forward_length"] = info.n_ff;
    if (!info.tokenizer_model.empty()) facts["tokenizer.ggml.model"] = info.tokenizer_model;
    body["model_info"] = std::move(facts);
  }
  body["capabilities"] = capabilities_of(model, has_chat_template);
  // hearth's own: the context this server gives the model.
  body["parameters"] = "num_ctx " + std::to_string(model.n_ctx);
  return dump_json(body);
}

std::string render_ollama_ps(const std::vector<node::ModelInfo>& local, const std::vector<std::string>& remote_resident,
                             int64_t now_ms) {
  // keep_alive < 0: resident for ever; Ollama shows a date far ahead.
  constexpr int64_t kForeverMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  json models = json::array();
  for (const node::ModelInfo& model : local) {
    if (!model.resident) continue;
    json entry = local_entry(model);
    entry["size"] = model.plan.total_bytes();
    entry["size_vram"] = 0;
    entry["context_length"] = model.n_ctx;
    int64_t expires_ms = now_ms + kForeverMs;
    if (model.keep_alive_ms >= 0 && !model.pinned) {
      expires_ms = now_ms + model.keep_alive_ms - std::max<int64_t>(0, model.idle_for_ms);
    }
    entry["expires_at"] = rfc3339_utc(expires_ms);
    models.push_back(std::move(entry));
  }
  for (const std::string& id : remote_resident) {
    json entry = remote_entry(id);
    entry["size_vram"] = 0;  // no expires_at: its node knows it, the gateway does not
    models.push_back(std::move(entry));
  }
  return dump_json(json{{"models", std::move(models)}});
}

}  // namespace hearth::api

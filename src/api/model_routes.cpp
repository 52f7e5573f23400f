#include "api/model_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

// OpenAI's Model object, plus hearth's `capabilities` ("generate", "embed",
// "ocr", "speak", ...) so a client can tell what each model serves. A
// gateway's models of other nodes carry none (their nodes know).
nlohmann::json model_object(const node::ModelInfo& model) {
  nlohmann::json object = {{"id", model.id}, {"object", "model"}, {"created", model.created_s}, {"owned_by", "hearth"}};
  if (model.capabilities != 0) {
    nlohmann::json names = nlohmann::json::array();
    for (std::string_view name : model::capability_name_list(model.capabilities)) names.push_back(std::string(name));
    object["capabilities"] = std::move(names);
  }
  return object;
}

}  // namespace

std::string render_model_list(const std::vector<node::ModelInfo>& models) {
  nlohmann::json data = nlohmann::json::array();
  for (const node::ModelInfo& model : models) data.push_back(model_object(model));
  return dump_json({{"object", "list"}, {"data", std::move(data)}});
}

std::string render_model(const node::ModelInfo& model) { return dump_json(model_object(model)); }

std::string render_health() { return dump_json({{"status", "ok"}}); }

}  // namespace hearth::api

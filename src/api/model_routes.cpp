#include "api/model_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

nlohmann::json model_object(const node::ModelInfo& model) {
  return {{"id", model.id}, {"object", "model"}, {"created", model.created_s}, {"owned_by", "hearth"}};
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

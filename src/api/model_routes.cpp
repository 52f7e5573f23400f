#include "api/model_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

nlohmann::json model_object(const node::ServedModel& served) {
  return {{"id", served.id}, {"object", "model"}, {"created", served.created_s}, {"owned_by", "hearth"}};
}

}  // namespace

std::string render_model_list(const node::ModelRegistry& registry) {
  nlohmann::json data = nlohmann::json::array();
  for (const node::ServedModel* served : registry.list()) data.push_back(model_object(*served));
  return dump_json({{"object", "list"}, {"data", std::move(data)}});
}

std::string render_model(const node::ServedModel& served) { return dump_json(model_object(served)); }

std::string render_health() { return dump_json({{"status", "ok"}}); }

}  // namespace hearth::api

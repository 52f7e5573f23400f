// GET /v1/models, GET /v1/models/{id} and GET /health bodies.
// ref: openai-openapi.json ListModelsResponse, Model
#pragma once

#include <string>

#include "node/model_registry.h"

namespace hearth::api {

// {"object":"list","data":[{id, object:"model", created, owned_by:"hearth"}, ...]}
std::string render_model_list(const node::ModelRegistry& registry);
std::string render_model(const node::ServedModel& served);
// {"status":"ok"}
std::string render_health();

}  // namespace hearth::api

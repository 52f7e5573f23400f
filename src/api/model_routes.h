// GET /v1/models, GET /v1/models/{id} and GET /health bodies. Every model the
// node can serve is listed, loaded or not.
// ref: openai-openapi.json ListModelsResponse, Model
#pragma once

#include <string>
#include <vector>

#include "node/model_manager.h"

namespace hearth::api {

// {"object":"list","data":[{id, object:"model", created, owned_by:"hearth"}, ...]}
std::string render_model_list(const std::vector<node::ModelInfo>& models);
std::string render_model(const node::ModelInfo& model);

// {"status":"ok"}
std::string render_health();

}  // namespace hearth::api

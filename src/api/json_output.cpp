#include "api/json_output.h"

#include <nlohmann/json.hpp>

namespace hearth::api {

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hearth::api

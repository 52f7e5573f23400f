// JSON values as a chat template reads them (text::jinja::Value): the bridge
// that keeps JSON in api/ while templates get `tools`, tool call arguments
// and chat_template_kwargs as dicts and lists, in the order the client wrote
// them.
#pragma once

#include <nlohmann/json.hpp>

#include "text/jinja/value.h"

namespace hearth::api {

// null -> none, booleans, integers (unsigned beyond int64 as doubles),
// doubles, strings, arrays -> lists, objects -> dicts (insertion order).
text::jinja::Value template_value(const nlohmann::ordered_json& value);

}  // namespace hearth::api

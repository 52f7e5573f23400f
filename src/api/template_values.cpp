#include "api/template_values.h"

#include <cstdint>
#include <limits>
#include <memory>

namespace hearth::api {

text::jinja::Value template_value(const nlohmann::ordered_json& value) {
  namespace jinja = text::jinja;
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null:
      return jinja::Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return jinja::Value(value.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return jinja::Value(value.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t number = value.get<uint64_t>();
      if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return jinja::Value(static_cast<int64_t>(number));
      }
      return jinja::Value(static_cast<double>(number));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return jinja::Value(value.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return jinja::Value(value.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      jinja::List items;
      items.reserve(value.size());
      for (const nlohmann::ordered_json& item : value) items.push_back(template_value(item));
      return jinja::Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      auto dict = std::make_shared<jinja::Dict>();
      for (const auto& [key, item] : value.items()) dict->set(key, template_value(item));
      return jinja::Value(std::move(dict));
    }
    default:
      return jinja::Value::none();  // binary and discarded values do not come out of a parse
  }
}

}  // namespace hearth::api

#include "api/query_params.h"

#include <algorithm>
#include <charconv>

#include "api/json_fields.h"
#include "api/routes.h"

namespace hearth::api {

ApiResult<QueryParams> read_query(std::string_view target, std::initializer_list<std::string_view> known) {
  QueryParams params;
  const size_t query_start = target.find('?');
  std::string_view query = query_start == std::string_view::npos ? std::string_view() : target.substr(query_start + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    std::string raw_value(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    std::replace(raw_value.begin(), raw_value.end(), '+', ' ');
    std::optional<std::string> name = percent_decode(pair.substr(0, equals));
    std::optional<std::string> value = percent_decode(raw_value);
    if (!name || !value) return invalid_field_error("", "The query string is not valid percent-encoding");
    if (std::find(known.begin(), known.end(), *name) == known.end()) {
      std::string names;
      for (std::string_view one : known) names += (names.empty() ? "" : ", ") + std::string(one);
      return invalid_field_error(name->substr(0, 64),
                                 "Unknown query parameter " + quote(name->substr(0, 64)) + " (known: " + names + ")");
    }
    if (params.values.contains(*name)) {
      return invalid_field_error(*name, "The query parameter " + quote(*name) + " is given twice");
    }
    params.values.emplace(std::move(*name), std::move(*value));
  }
  return params;
}

ApiResult<int64_t> query_integer(const QueryParams& query, std::string_view name, int64_t fallback, int64_t min,
                                 int64_t max) {
  const std::string* text = query.find(name);
  if (text == nullptr) return fallback;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return invalid_field_error(std::string(name), quote(name) + " must be an integer from " + std::to_string(min) +
                                                      " to " + std::to_string(max));
  }
  return value;
}

}  // namespace hearth::api

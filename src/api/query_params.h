// A request target's query string read into named parameters: each known
// name at most once, percent-decoded ('+' is a space, as forms send it);
// an unknown name, a repeated one or bad percent-encoding is a 400 naming it.
//
//   ApiResult<QueryParams> query = read_query(target, {"limit", "after"});
//   if (const std::string* after = query->find("after")) ...
//
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "api/openai_errors.h"

namespace hearth::api {

struct QueryParams {
  std::map<std::string, std::string, std::less<>> values;

  const std::string* find(std::string_view name) const {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
};

ApiResult<QueryParams> read_query(std::string_view target, std::initializer_list<std::string_view> known);

// The parameter as an integer in [min, max]; `fallback` when absent. A 400 naming it otherwise.
ApiResult<int64_t> query_integer(const QueryParams& query, std::string_view name, int64_t fallback, int64_t min,
                                 int64_t max);

}  // namespace hearth::api

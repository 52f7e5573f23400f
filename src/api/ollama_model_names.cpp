#include "api/ollama_model_names.h"

#include <algorithm>
#include <cctype>

namespace hearth::api {
namespace {

constexpr std::string_view kLatestTag = ":latest";
constexpr size_t kMaxListedCandidates = 8;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

ApiError ambiguous_error(std::string_view name, const std::vector<std::string>& candidates) {
  std::string listed;
  for (size_t idx = 0; idx < candidates.size() && idx < kMaxListedCandidates; ++idx) {
    if (idx > 0) listed += ", ";
    listed += "'" + candidates[idx] + "'";
  }
  if (candidates.size() > kMaxListedCandidates) listed += ", ...";
  return ApiError{400, "invalid_request_error",
                  "The model name '" + std::string(name) + "' matches several models (" + listed + "); name one of them",
                  "model", "model_ambiguous"};
}

}  // namespace

ApiError ollama_model_not_found_error(std::string_view name) {
  return ApiError{404, "invalid_request_error", "model '" + std::string(name) + "' not found", "model",
                  "model_not_found"};
}

std::string ollama_model_name(std::string_view id) {
  if (id.find(':') != std::string_view::npos) return std::string(id);
  return std::string(id) + std::string(kLatestTag);
}

ApiResult<std::string> resolve_ollama_model(std::string_view name, const std::vector<std::string>& ids) {
  if (std::find(ids.begin(), ids.end(), name) != ids.end()) return std::string(name);
  // The form step 2 looks up.
  std::string form(name);
  if (form.size() > kLatestTag.size() && form.ends_with(kLatestTag)) {
    form.resize(form.size() - kLatestTag.size());
  } else if (const size_t colon = form.rfind(':'); colon != std::string::npos && colon > 0) {
    form[colon] = '-';
  }
  if (form != name && std::find(ids.begin(), ids.end(), form) != ids.end()) return form;
  std::vector<std::string> matches;
  for (const std::string& id : ids) {
    if (equal_ignoring_case(id, form)) matches.push_back(id);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) return ambiguous_error(name, matches);
  const std::string prefix = form + "-";
  for (const std::string& id : ids) {
    if (id.size() > prefix.size() && equal_ignoring_case(std::string_view(id).substr(0, prefix.size()), prefix)) {
      matches.push_back(id);
    }
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    std::sort(matches.begin(), matches.end());
    return ambiguous_error(name, matches);
  }
  return ollama_model_not_found_error(name);
}

}  // namespace hearth::api

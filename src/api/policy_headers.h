// The request headers that carry identity and policy, read once per request
// before anything acts on them: the API key (`Authorization: Bearer ...`,
// Anthropic's `x-api-key`, or the password of `Authorization: Basic`, which
// is how a browser sends it to the dashboard, api/dashboard_route.h), the data class (`X-Hearth-Data-Class`) and the
// priority (`X-Hearth-Priority`).
//
// Each may appear once. A header sent twice is a 400, never "the first one
// wins": a client or proxy that adds `X-Hearth-Data-Class: confidential` after
// another copy must not have its request go out as the first copy's class. An
// API key sent in both `Authorization` and `x-api-key` must be the same key.
//
//   ApiResult<PolicyHeaders> policy = read_policy_headers(request);
//   if (!policy.ok()) return respond_error(policy.error());
//   ApiResult<gateway::DataClass> data_class = request_data_class(*policy, floor);
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "api/openai_errors.h"
#include "gateway/data_class.h"
#include "infer/scheduler.h"

namespace hearth::api {

struct PolicyHeaders {
  std::string api_key;                           // the token as sent, "Bearer " removed (or Basic's password); empty: none
  std::optional<gateway::DataClass> data_class;  // X-Hearth-Data-Class; nullopt: not sent
  infer::Priority priority = infer::Priority::kInteractive;
};

// 400 invalid_request_error naming the header for a repeated header, two
// different keys, Basic credentials that are not base64 of "user:key", or a data class or priority that is not one of the names.
ApiResult<PolicyHeaders> read_policy_headers(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

// The request's data class: `floor` (its key's class, or a default) raised by
// the header; a header below the floor is a 400 (a class is raised, never lowered).
ApiResult<gateway::DataClass> request_data_class(const PolicyHeaders& headers, gateway::DataClass floor);

// `text` without surrounding spaces and tabs, lowercased, at most 64 characters:
// how header values are compared.
std::string header_token(std::string_view text);

}  // namespace hearth::api

#include "api/policy_headers.h"

#include <openssl/evp.h>

#include <cctype>
#include <iterator>

#include "api/json_fields.h"

namespace hearth::api {
namespace {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;

ApiError header_error(std::string message, std::string code) {
  return ApiError{400, "invalid_request_error", std::move(message), "", std::move(code)};
}

// The one value of `name`; nullopt when absent. More than one is an error.
template <typename Name>
ApiResult<std::optional<std::string_view>> single_header(const HttpRequest& request, Name name,
                                                         std::string_view shown_name) {
  auto [first, last] = request.equal_range(name);
  if (first == last) return std::optional<std::string_view>();
  if (std::next(first) != last) {
    return header_error("The " + std::string(shown_name) +
                            " header was sent more than once; send it once (a repeated header is refused rather than "
                            "guessing which copy counts)",
                        "duplicate_header");
  }
  return std::optional<std::string_view>(std::string_view(first->value().data(), first->value().size()));
}

// The password of Basic credentials (base64 of "user:password"); nullopt when
// they are not that. ref: RFC 7617 section 2
std::optional<std::string> basic_auth_password(std::string_view encoded) {
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  // EVP_DecodeBlock skips some whitespace and ignores padding; only the
  // standard alphabet with '=' padding at the end gets this far.
  if (encoded.empty() || encoded.size() % 4 != 0) return std::nullopt;
  const size_t n_padding = encoded.ends_with("==") ? 2 : encoded.ends_with('=') ? 1 : 0;
  for (size_t idx = 0; idx < encoded.size() - n_padding; ++idx) {
    const char c = encoded[idx];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return std::nullopt;
  }
  std::string decoded(encoded.size() / 4 * 3, '\0');
  const int n_decoded =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                      reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  if (n_decoded < 0 || static_cast<size_t>(n_decoded) < n_padding) return std::nullopt;
  decoded.resize(static_cast<size_t>(n_decoded) - n_padding);
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded.substr(colon + 1);
}

}  // namespace

std::string header_token(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string out(text.substr(0, 64));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ApiResult<PolicyHeaders> read_policy_headers(const HttpRequest& request) {
  PolicyHeaders out;

  auto authorization = single_header(request, http::field::authorization, "Authorization");
  if (!authorization.ok()) return authorization.error();
  auto x_api_key = single_header(request, "x-api-key", "x-api-key");
  if (!x_api_key.ok()) return x_api_key.error();
  std::string_view bearer;
  std::string basic_password;  // owns the key of `Authorization: Basic`
  if (*authorization) {
    bearer = **authorization;
    if (bearer.size() >= 7 && header_token(bearer.substr(0, 6)) == "bearer" && bearer[6] == ' ') {
      bearer.remove_prefix(7);
    } else if (bearer.size() >= 5 && header_token(bearer.substr(0, 5)) == "basic" &&
               (bearer.size() == 5 || bearer[5] == ' ')) {
      std::optional<std::string> password = basic_auth_password(bearer.substr(5));
      if (!password) {
        return header_error(
            "The Authorization header's Basic credentials are not base64 of 'user:key'; send the API key as the "
            "password",
            "invalid_authorization");
      }
      basic_password = std::move(*password);
      bearer = basic_password;
    }
  }
  if (*authorization && *x_api_key && bearer != **x_api_key) {
    return header_error("The Authorization and x-api-key headers name different API keys; send one key",
                        "duplicate_header");
  }
  out.api_key = std::string(*authorization ? bearer : x_api_key->value_or(std::string_view()));

  auto data_class = single_header(request, "X-Hearth-Data-Class", "X-Hearth-Data-Class");
  if (!data_class.ok()) return data_class.error();
  if (*data_class) {
    const std::string value = header_token(**data_class);
    out.data_class = gateway::parse_data_class(value);
    if (!out.data_class) {
      return header_error(
          "The X-Hearth-Data-Class header must be public, internal or confidential, got " + quote(value),
          "invalid_data_class");
    }
  }

  auto priority = single_header(request, "X-Hearth-Priority", "X-Hearth-Priority");
  if (!priority.ok()) return priority.error();
  if (*priority) {
    const std::string value = header_token(**priority);
    if (value == "batch") {
      out.priority = infer::Priority::kBatch;
    } else if (value != "interactive") {
      return header_error("The X-Hearth-Priority header must be 'interactive' or 'batch', got " + quote(value),
                          "invalid_priority");
    }
  }
  return out;
}

ApiResult<gateway::DataClass> request_data_class(const PolicyHeaders& headers, gateway::DataClass floor) {
  if (!headers.data_class) return floor;
  if (*headers.data_class < floor) {
    return header_error("The X-Hearth-Data-Class header may raise the request's data class, not lower it: " +
                            quote(gateway::data_class_name(*headers.data_class)) + " is below " +
                            quote(gateway::data_class_name(floor)),
                        "invalid_data_class");
  }
  return *headers.data_class;
}

}  // namespace hearth::api

#include "store/model_source.h"

#include <cctype>

#include "net/url.h"

namespace hearth::store {
namespace {

// "s3://x" or "ftp://x": a scheme, not a relative path named "s3:".
bool has_scheme(std::string_view text) {
  const size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char ch : text.substr(0, colon)) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '+' && ch != '-' && ch != '.') return false;
  }
  return true;
}

}  // namespace

Result<ModelSource> parse_model_source(std::string_view text) {
  if (text.empty()) return invalid_argument_error("the source is empty; give a path or an http(s) URL");
  if (text.find('\n') != std::string_view::npos || text.find('\0') != std::string_view::npos) {
    return invalid_argument_error("the source contains a line break or NUL byte");
  }
  ModelSource source;
  if (net::starts_with_ignoring_case(text, "http://") || net::starts_with_ignoring_case(text, "https://")) {
    HEARTH_ASSIGN_OR_RETURN(source.url, net::parse_url(text));
    source.kind = ModelSource::Kind::kHttp;
    source.text = std::string(text.substr(0, text.find('#')));
    return source;
  }
  if (net::starts_with_ignoring_case(text, "file://")) {
    std::string_view rest = text.substr(7);
    if (net::starts_with_ignoring_case(rest, "localhost/")) rest.remove_prefix(9);
    if (rest.empty() || rest.front() != '/') {
      return invalid_argument_error("the file:// URL '" + std::string(text) +
                                    "' names another host; mount it and give the path");
    }
    source.path = net::percent_decode(rest);
    source.text = source.path;
    return source;
  }
  if (has_scheme(text)) {
    std::string message(text.substr(0, text.find("://")));
    message.append(":// sources are not supported; give a path, an http(s) URL or a file:// URL");
    return invalid_argument_error(std::move(message));
  }
  source.path = std::string(text);
  source.text = source.path;
  return source;
}

}  // namespace hearth::store

// Where `hearth models pull` reads a model from: a local path (the NAS mount;
// also as a file:// URL) or an http:// / https:// URL.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "net/url.h"

namespace hearth::store {

struct ModelSource {
  enum class Kind { kFile, kHttp };
  Kind kind = Kind::kFile;
  std::string path;  // kFile: the path as given (file:// URLs decoded)
  net::Url url;           // kHttp
  // The source as the user named it (a URL without its fragment); recorded
  // with a partial download so a resume continues the same source only.
  std::string text;
};

// kInvalidArgument for an empty source, a URL scheme other than http, https
// and file, or a file:// URL naming another host.
Result<ModelSource> parse_model_source(std::string_view text);

}  // namespace hearth::store

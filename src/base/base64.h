// Base64 (RFC 4648, standard alphabet, '=' padding), as OpenAI's API carries
// binary data in JSON (embeddings with encoding_format "base64").
// ref: https://www.rfc-editor.org/rfc/rfc4648#section-4
#pragma once

#include <string>
#include <string_view>

namespace hearth {

std::string base64_encode(std::string_view bytes);

}  // namespace hearth

// Base64 (RFC 4648, standard alphabet, '=' padding), as OpenAI's API carries
// binary data in JSON (embeddings with encoding_format "base64").
// ref: https://www.rfc-editor.org/rfc/rfc4648#section-4
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hearth {

std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes: the standard alphabet, with or without '='
// padding; nullopt for any other character, misplaced padding or a length
// no encoding has (a lone sixth of a byte).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hearth

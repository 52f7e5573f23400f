// Serializing JSON for the wire. Model output and echoed request text may hold
// bytes that are not valid UTF-8 (a token can end mid-character); JSON must
// not, so every dump goes through here and replaces such bytes with U+FFFD
// instead of throwing.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace hearth::api {

// Compact (no whitespace, no newline) JSON text, ill-formed UTF-8 replaced.
std::string dump_json(const nlohmann::json& value);

}  // namespace hearth::api

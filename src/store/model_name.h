// Model names in the store: `<models dir>/<name>.gguf` is what `hearth serve`
// serves as model id `<name>`, so a name is a single safe file-name component.
//
// New names (pull, --name) follow the strict rule: 1 to 200 characters from
// [A-Za-z0-9._+-], starting with a letter, digit or '_' (never '.' or '-'),
// never containing "..". Names of files already in the directory (placed by
// hand) only need to be one harmless path component (existing-name rule), so
// `list`, `inspect` and `rm` can still reach them.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::store {

inline constexpr size_t kMaxModelNameChars = 200;

// kInvalidArgument naming what is wrong with a name a pull would create.
Status validate_new_model_name(std::string_view name);

// kInvalidArgument for a name that could leave the directory or hide a file:
// empty, longer than 255 bytes with ".gguf", containing '/' or a NUL or
// control byte, or starting with '.'.
Status validate_existing_model_name(std::string_view name);

// The default name for a source: its last path component, percent-decoded
// for URLs (query and fragment dropped), without a trailing ".gguf"
// (case-insensitive). Checked with validate_new_model_name.
Result<std::string> model_name_from_source(std::string_view source, bool is_url);

}  // namespace hearth::store

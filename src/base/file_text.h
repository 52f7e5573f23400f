// Whole small files read into memory (config files, templates), with a limit:
// a file the user names may be anything, a device or a multi-GiB model included.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace hearth {

// The file's bytes. kIo naming the path when it cannot be read (missing, a
// directory, no permission); kOutOfRange when it holds more than max_bytes.
Result<std::string> read_text_file(const std::string& path, int64_t max_bytes);

}  // namespace hearth

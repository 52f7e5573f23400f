// The models directory: which files a node serves and the id each gets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::node {

// "qwen2.5-0.5b" for ".../qwen2.5-0.5b.gguf".
std::string model_id_from_path(std::string_view path);

// The regular files (or links to them) directly in `dir` whose names end in
// ".gguf", sorted by name. kNotFound when `dir` does not exist, kIo when it
// cannot be read, kNotFound naming the directory when it holds none.
Result<std::vector<std::string>> find_model_files(const std::string& dir);

}  // namespace hearth::node

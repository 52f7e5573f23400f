#include "node/model_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace hearth::node {
namespace {

constexpr std::string_view kModelSuffix = ".gguf";

}  // namespace

std::string model_id_from_path(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.size() > kModelSuffix.size() && name.substr(name.size() - kModelSuffix.size()) == kModelSuffix) {
    name.remove_suffix(kModelSuffix.size());
  }
  return std::string(name);
}

Result<std::vector<std::string>> find_model_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error)) return not_found_error("the models directory " + dir + " does not exist");
  if (!fs::is_directory(dir, error)) return invalid_argument_error(dir + " is not a directory");
  std::vector<std::string> files;
  fs::directory_iterator entries(dir, error);
  if (error) return io_error("cannot read the models directory " + dir + ": " + error.message());
  for (const fs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kModelSuffix.size() || name.substr(name.size() - kModelSuffix.size()) != kModelSuffix) continue;
    std::error_code type_error;
    if (!entry.is_regular_file(type_error)) continue;  // follows links; skips directories and dangling links
    files.push_back(entry.path().string());
  }
  if (files.empty()) return not_found_error("the models directory " + dir + " holds no *.gguf files");
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace hearth::node

#include "node/model_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "model/arch/arch_registry.h"
#include "model/gguf.h"
#include "node/file_lease.h"
#include "planner/memory_plan.h"

namespace hearth::node {
namespace {

constexpr std::string_view kModelSuffix = ".gguf";

bool has_model_suffix(std::string_view name) {
  return name.size() > kModelSuffix.size() && name.substr(name.size() - kModelSuffix.size()) == kModelSuffix;
}

FileIdentity identity_of(const struct stat& info) {
  FileIdentity identity;
  identity.dev = static_cast<uint64_t>(info.st_dev);
  identity.ino = static_cast<uint64_t>(info.st_ino);
  identity.size_bytes = static_cast<int64_t>(info.st_size);
  identity.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  return identity;
}

// Why the entry at `path` cannot be a model file; empty when it can.
std::string problem_of(const std::string& path, FileIdentity* identity) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    struct stat link_info {};
    if (::lstat(path.c_str(), &link_info) == 0 && S_ISLNK(link_info.st_mode)) {
      std::error_code ignored;
      const std::string target = std::filesystem::read_symlink(path, ignored).string();
      return path + " is a link to " + target + ", which " +
             (error == ENOENT ? std::string("does not exist") : "cannot be read: " + std::string(std::strerror(error)));
    }
    return "cannot read " + path + ": " + std::strerror(error);
  }
  if (S_ISDIR(info.st_mode)) return path + " is a directory, not a model file";
  if (!S_ISREG(info.st_mode)) return path + " is not a regular file";
  *identity = identity_of(info);
  return "";
}

}  // namespace

std::string model_id_from_path(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (has_model_suffix(name)) name.remove_suffix(kModelSuffix.size());
  return std::string(name);
}

Result<FileIdentity> file_identity(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) return not_found_error(path + " does not exist");
    return io_error("cannot read " + path + ": " + std::strerror(error));
  }
  return identity_of(info);
}

Result<std::vector<ScannedModelFile>> scan_model_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error)) return not_found_error("the models directory " + dir + " does not exist");
  if (!fs::is_directory(dir, error)) return invalid_argument_error(dir + " is not a directory");
  std::vector<ScannedModelFile> files;
  fs::directory_iterator entries(dir, error);
  if (error) return io_error("cannot read the models directory " + dir + ": " + error.message());
  for (const fs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!has_model_suffix(name)) continue;
    ScannedModelFile file;
    file.path = entry.path().string();
    file.id = model_id_from_path(name);
    file.problem = problem_of(file.path, &file.identity);
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(), [](const auto& lhs, const auto& rhs) { return lhs.path < rhs.path; });
  return files;
}

Result<std::vector<std::string>> find_model_files(const std::string& dir) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<ScannedModelFile> scanned, scan_model_files(dir));
  std::vector<std::string> files;
  for (const ScannedModelFile& file : scanned) {
    if (file.problem.empty()) files.push_back(file.path);
  }
  if (files.empty()) return not_found_error("the models directory " + dir + " holds no *.gguf files");
  return files;
}

Result<ModelFileHeader> read_model_header(const std::string& path) {
  // Leased while it is mapped, as a loaded model is: a writer that truncates
  // the file waits until this returns (a few milliseconds) instead of killing
  // the process with SIGBUS. A file being written now is reported as such; a
  // file system without leases is read all the same.
  auto lease = FileLease::take(path, [] {});
  if (!lease.ok() && lease.status().code() == ErrorCode::kUnavailable) return lease.status();
  // The header alone: mapping is cheap, and a file that cannot be served is
  // refused before any request needs it.
  auto file = model::GgufFile::open(path);
  if (!file.ok()) return Status(file.status().code(), "cannot load " + path + ": " + file.status().message());
  if (auto arch = file->get_string("general.architecture"); arch.ok() && *arch == model::kWhisperArch) {
    auto whisper = model::read_whisper_config(*file);
    if (!whisper.ok()) return Status(whisper.status().code(), "cannot load " + path + ": " + whisper.status().message());
    auto weights = model::bind_whisper_weights(*file, *whisper);
    if (!weights.ok()) return Status(weights.status().code(), "cannot load " + path + ": " + weights.status().message());
    ModelFileHeader header;
    header.whisper = *whisper;
    header.capabilities = model::capability_bit(model::Capability::kTranscribe);
    header.weights_bytes = planner::file_weights_bytes(*file);
    return header;
  }
  auto config = model::read_llama_config(*file);
  if (!config.ok()) return Status(config.status().code(), "cannot load " + path + ": " + config.status().message());
  auto weights = model::bind_llama_weights(*file, *config);
  if (!weights.ok()) return Status(weights.status().code(), "cannot load " + path + ": " + weights.status().message());
  ModelFileHeader header;
  header.config = *config;
  header.capabilities = model::model_capabilities(*config);
  header.weights_bytes = planner::file_weights_bytes(*file);
  return header;
}

}  // namespace hearth::node

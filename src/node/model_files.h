// The node's model files: which entries of a models directory it serves, the
// id each gets, how a file is recognised as unchanged between two scans
// (device, inode, size, modification time), and whether a file is a servable
// GGUF (its header alone).
#pragma once

#include <optional>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/arch/arch_spec.h"
#include "model/arch/whisper.h"
#include "model/llama_arch.h"

namespace hearth::node {

// "qwen2.5-0.5b" for ".../qwen2.5-0.5b.gguf".
std::string model_id_from_path(std::string_view path);

// What tells two versions of a file apart without reading it. A file written
// in place keeps its inode but changes its size or modification time; a file
// renamed over it has another inode.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;

  bool operator==(const FileIdentity&) const = default;
};

// The identity of `path` (links followed). kNotFound when it does not exist,
// kIo when it cannot be read.
Result<FileIdentity> file_identity(const std::string& path);

// One directory entry whose name ends in ".gguf".
struct ScannedModelFile {
  std::string path;
  std::string id;
  FileIdentity identity;  // of the link's target for links; zero when `problem` is set
  // Empty for a regular file (or a link to one); else why it cannot be a model,
  // naming the path: a directory, a dangling link, a socket.
  std::string problem;
};

// Every entry directly in `dir` whose name ends in ".gguf" (longer than the
// suffix), sorted by name, with a problem for those that are not regular
// files. Links are followed. kNotFound when `dir` does not exist,
// kInvalidArgument when it is not a directory, kIo when it cannot be read. An
// empty directory gives an empty list.
Result<std::vector<ScannedModelFile>> scan_model_files(const std::string& dir);

// The regular files (or links to them) directly in `dir` whose names end in
// ".gguf", sorted by name. kNotFound when `dir` does not exist, kIo when it
// cannot be read, kNotFound naming the directory when it holds none.
Result<std::vector<std::string>> find_model_files(const std::string& dir);

// What the header of a servable model file says.
struct ModelFileHeader {
  model::Capabilities capabilities = 0;  // its family's (model/arch)
  model::LlamaConfig config;                   // unset for a whisper file
  std::optional<model::WhisperConfig> whisper;  // a whisper file (kTranscribe)
  int64_t weights_bytes = 0;
};

// Maps `path` and checks it is a model hearth can serve (a GGUF whose
// architecture, hyperparameters and tensors it knows), reading the header
// only. Errors name the file and say why.
Result<ModelFileHeader> read_model_header(const std::string& path);

}  // namespace hearth::node

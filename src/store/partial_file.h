// The file an unfinished download is written to (partial/<name>.gguf.part):
// appends bytes, hashes them as they pass (so a finished download is not read
// again), and refuses at once a stream whose first 4 bytes are not "GGUF".
//
//   HEARTH_ASSIGN_OR_RETURN(PartialFile file, PartialFile::open(path, /*keep_existing=*/true));
//   HEARTH_RETURN_IF_ERROR(file.append(bytes));  // kDataLoss when the stream is not GGUF
//   HEARTH_RETURN_IF_ERROR(file.sync());
//   std::string hex = file.finish_sha256();
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "store/sha256.h"
#include "base/unique_fd.h"

namespace hearth::store {

class PartialFile {
 public:
  // Opens `path`, creating it. With keep_existing, the bytes already there are
  // read back into the hash (and the magic check); a file that does not start
  // with "GGUF" is emptied instead, as is every file without keep_existing.
  static Result<PartialFile> open(const std::string& path, bool keep_existing);

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_bytes_; }

  // kDataLoss when the bytes at offsets 0..3 are not "GGUF"; kResourceExhausted
  // when the disk is full; kIo for other write errors.
  Status append(std::span<const uint8_t> bytes);
  // Empties the file and the hash.
  Status restart();
  Status sync();
  // The digest of every byte in the file. Call once, after the last append.
  std::string finish_sha256() { return hasher_.finish_hex(); }

 private:
  PartialFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
  uint64_t size_bytes_ = 0;
  Sha256 hasher_;
};

}  // namespace hearth::store

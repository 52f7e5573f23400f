// The record kept beside an unfinished download (`partial/<name>.gguf.part.meta`):
// what the bytes in `<name>.gguf.part` came from, so a later pull resumes only
// when the source is provably the same. A small `key=value` text file:
//
//   source=https://nas.local/models/x.gguf
//   size=4920734976          (the source's full size; absent when unknown)
//   etag="abc"               (HTTP validators, when the server sent them)
//   last_modified=Wed, 21 Oct 2015 07:28:00 GMT
//   mtime_ns=1700000000123456789   (local sources: the file's mtime)
//
// Unknown keys are ignored (a newer hearth may add some); a malformed file
// is treated as absent (the download restarts), never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::store {

struct PartialMeta {
  std::string source;
  std::optional<uint64_t> size_bytes;
  std::string etag;
  std::string last_modified;
  std::optional<int64_t> mtime_ns;
};

std::string render_partial_meta(const PartialMeta& meta);
// kDataLoss for a line without '=', a bad number, or a file larger than 64 KiB.
Result<PartialMeta> parse_partial_meta(std::string_view text);

// Writes `path` through a temp file and a rename (a crash leaves the old or
// the new record, never half of one). kInvalidArgument when a value holds a
// line break (a hostile header must not forge keys).
Status write_partial_meta(const std::string& path, const PartialMeta& meta);
// nullopt when the file does not exist or does not parse.
std::optional<PartialMeta> read_partial_meta(const std::string& path);

}  // namespace hearth::store

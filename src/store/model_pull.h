// `hearth models pull`: copies a GGUF file from a path or an http(s) URL into
// the store, resuming an earlier partial copy of the same source, verifying
// its sha256, and refusing anything that is not a complete, valid GGUF file
// before it gets a name.
//
// The steps (README.md has the full contract):
//   1. lock partial/<name>.lock (a second pull of the name fails at once);
//   2. resume partial/<name>.gguf.part when its record says it came from the
//      same, unchanged source (local: size and mtime; HTTP: If-Range with the
//      ETag or Last-Modified), else start over;
//   3. stream the rest, checking the first 4 bytes are "GGUF" as they arrive;
//   4. fsync, compare the sha256 with the expected one (--sha256, or a
//      SOURCE.sha256 sidecar for local sources), open it with the GGUF reader;
//   5. move it to blobs/sha256-<hex> and link <name>.gguf to it (ModelStore::commit;
//      when the blob is already there, the copy is dropped and the name linked).
// Only a name that already links the expected sha256 skips the transfer (a
// no-op that does not read the source); content in blobs/ under another name
// is linked only after the source has been read and found to match.
// A failure in 3 or 4 that proves the bytes wrong (not GGUF, hash mismatch,
// invalid file, more bytes than announced, a source that changed during the
// copy) deletes the partial; a failure that only stopped the transfer
// (network, timeout, disk full) keeps it for the next pull to resume.
//
//   PullOptions options;
//   options.progress = [&](uint64_t done, std::optional<uint64_t> total) { bar.update(done, total.value_or(0)); };
//   HEARTH_ASSIGN_OR_RETURN(ModelSource source, parse_model_source(argument));
//   HEARTH_ASSIGN_OR_RETURN(PullResult pulled, pull_model(store, source, options));
//
// Thread-safety: one pull per name at a time across processes (the lock);
// pulls of different names may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "net/http_get.h"
#include "store/model_source.h"
#include "store/model_store.h"

namespace hearth::store {

// Larger than any single GGUF file (the largest published models ship as
// shards of tens of GB); a server announcing more is hostile or broken.
inline constexpr uint64_t kMaxModelBytes = uint64_t{1} << 42;  // 4 TiB

struct PullOptions {
  std::string name;             // empty: from the source's file name (model_name_from_source)
  std::string expected_sha256;  // empty: the sidecar SOURCE.sha256 of a local source, else none
  bool force = false;           // replace a name that holds other content or a hand-placed file
  net::HttpOptions http;
  size_t copy_chunk_bytes = 1 << 20;  // local sources: bytes per read
  // Bytes of the file so far (resumed bytes included) and its size when known.
  std::function<void(uint64_t done_bytes, std::optional<uint64_t> total_bytes)> progress;
  // One line per notable event (resuming, starting over, a sidecar used).
  std::function<void(const std::string&)> notice;
  // Polled after each piece of the file: true stops the pull with
  // kUnavailable, keeping the partial download for the next pull to resume.
  std::function<bool()> stop_requested;
};

struct PullResult {
  std::string name;
  std::string path;  // <dir>/<name>.gguf
  std::string sha256;
  uint64_t size_bytes = 0;
  // The name already held this content: nothing changed. With an expected
  // sha256 that the name already holds, the source is not read (source_read
  // false): the name is what was asked for, whatever the source now holds.
  bool already_present = false;
  // Every byte of the source was read and hashed by this pull (the kept bytes
  // of a resumed partial included). Content found in blobs/ under another name
  // is linked only after this: commit.blob_existed tells that case.
  bool source_read = false;
  CommitOutcome commit;
  std::string expected_from;  // "--sha256", the sidecar's path, or empty when nothing was expected
  uint64_t resumed_from_bytes = 0;
  uint64_t transferred_bytes = 0;  // read from the source by this run
};

// Errors are one sentence naming the source or name: kInvalidArgument (bad
// name or source), kNotFound (no such file; HTTP 404), kUnavailable (network,
// or another pull of the name runs), kDataLoss (not GGUF, invalid, hash
// mismatch, hostile server), kFailedPrecondition (the name exists; --force),
// kResourceExhausted (not enough disk space), kIo.
Result<PullResult> pull_model(const ModelStore& store, const ModelSource& source, const PullOptions& options);

}  // namespace hearth::store

// The model store: the models directory `hearth serve` reads, laid out so that
// every model file is content-addressed and every name is a readable link.
//
//   <dir>/<name>.gguf              relative symlink to blobs/sha256-<hex>
//   <dir>/blobs/sha256-<hex>       the file itself, read-only (0444)
//   <dir>/partial/<name>.gguf.part unfinished download (+ .meta, see partial_meta.h)
//   <dir>/partial/<name>.lock      held by the pull of <name> while it runs
//
// `hearth serve` serves every *.gguf directly in <dir> (following links), so
// a name appears to it only once commit() has linked a complete, verified
// blob. A plain `<name>.gguf` file (or a link elsewhere) put there by hand is
// listed as such and removed only when asked with force.
//
// Concurrent processes: commit() and remove() hold a lock on <dir> itself, so
// an `rm` never deletes a blob that a pull is linking.
//
//   HEARTH_ASSIGN_OR_RETURN(ModelStore store, ModelStore::open(dir, /*create=*/false));
//   HEARTH_ASSIGN_OR_RETURN(std::vector<StoredModel> models, store.list());
//
// Thread-safety: a ModelStore is an immutable path; its methods may be called
// from any thread (the file system and the directory lock serialize them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::store {

enum class EntryKind {
  kStoreLink,   // <name>.gguf -> blobs/sha256-<hex>, and the blob exists
  kBrokenLink,  // a link whose target is gone (into blobs/ or elsewhere)
  kPlainFile,   // a regular file put there by hand: no hash known
  kOtherLink,   // a link to a file outside the store (also put there by hand)
};

const char* entry_kind_name(EntryKind kind);  // "store", "broken link", "plain file", "external link"

struct StoredModel {
  std::string name;  // the model id: file name without ".gguf"
  std::string path;  // <dir>/<name>.gguf
  EntryKind kind = EntryKind::kPlainFile;
  std::string sha256;       // from the blob's name (kStoreLink, and kBrokenLink into blobs/); else empty
  uint64_t size_bytes = 0;  // of the file the name resolves to; 0 for a broken link
  std::string link_target;  // what a link says; empty for a plain file
};

struct PartialDownload {
  std::string name;
  uint64_t have_bytes = 0;
  std::optional<uint64_t> size_bytes;  // the source's size, when known
  std::string source;
};

struct CommitOutcome {
  bool blob_existed = false;           // the content was already in blobs/ (under another name)
  std::string replaced_sha256;         // the content the name pointed to before (force); empty if none
  bool replaced_plain = false;         // a plain file or external link under the name was replaced (force)
  bool replaced_blob_removed = false;  // ... and its blob, linked by no other name, was deleted
};

struct RemoveOutcome {
  EntryKind kind = EntryKind::kStoreLink;
  bool removed_name = false;  // false when only a partial download was removed
  std::string sha256;
  bool blob_removed = false;
  std::vector<std::string> blob_still_linked_by;  // other names keeping the blob
  bool partial_removed = false;
};

class ModelStore {
 public:
  // With create, makes <dir>, blobs/ and partial/ as needed. Without, kNotFound
  // when <dir> does not exist (blobs/ and partial/ may be absent).
  static Result<ModelStore> open(std::string dir, bool create);

  const std::string& dir() const { return dir_; }
  std::string model_path(std::string_view name) const;
  std::string blob_path(std::string_view sha256) const;
  std::string partial_path(std::string_view name) const;
  std::string partial_meta_path(std::string_view name) const;
  std::string name_lock_path(std::string_view name) const;

  // Every *.gguf entry directly in <dir> (not starting with '.'), sorted by name.
  Result<std::vector<StoredModel>> list() const;
  // kNotFound when <dir>/<name>.gguf does not exist; kInvalidArgument for an
  // unsafe name or an entry that is not a file or link (a directory).
  Result<StoredModel> find(std::string_view name) const;
  // Unfinished downloads in partial/, sorted by name.
  Result<std::vector<PartialDownload>> list_partials() const;
  // The names whose links resolve to the blob (compared by inode, so a link
  // written by hand in any form counts).
  Result<std::vector<std::string>> names_linking(std::string_view sha256) const;

  // Moves the finished, verified download at `file_path` into blobs/ (or drops
  // it when the blob exists) and atomically points <name>.gguf at it. A name
  // that exists with other content (or as a plain file) is replaced only with
  // `replace`, else kFailedPrecondition. Preconditions: sha256 is the file's
  // digest (lower-case hex) and the file lives on the store's file system.
  Result<CommitOutcome> commit(const std::string& file_path, std::string_view sha256, std::string_view name,
                               bool replace) const;
  // Points <name>.gguf at a blob already in the store (no download needed).
  Result<CommitOutcome> link_existing(std::string_view sha256, std::string_view name, bool replace) const;

  // Removes <name>.gguf and then its blob when no other name links to it. A
  // plain file or external link is removed only with `force` (the link only,
  // never its target), else kFailedPrecondition. When no such name exists but
  // a partial download does, removes that (kUnavailable while a pull of the
  // name runs). kNotFound when neither exists.
  Result<RemoveOutcome> remove(std::string_view name, bool force) const;

 private:
  explicit ModelStore(std::string dir) : dir_(std::move(dir)) {}
  Result<CommitOutcome> point_name_at(std::string_view sha256, std::string_view name, bool replace) const;

  std::string dir_;
};

}  // namespace hearth::store

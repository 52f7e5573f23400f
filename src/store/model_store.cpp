#include "store/model_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "store/file_lock.h"
#include "store/model_name.h"
#include "store/partial_meta.h"
#include "store/sha256.h"
#include "base/unique_fd.h"

namespace hearth::store {
namespace {

constexpr std::string_view kModelSuffix = ".gguf";
constexpr std::string_view kPartialSuffix = ".gguf.part";
constexpr std::string_view kBlobPrefix = "sha256-";
constexpr std::string_view kLinkPrefix = "blobs/sha256-";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string errno_text() { return std::strerror(errno); }

// The digest a link names when it is exactly "blobs/sha256-<64 hex>"; empty otherwise.
std::string sha256_of_link_target(std::string_view target) {
  if (target.substr(0, kLinkPrefix.size()) != kLinkPrefix) return "";
  const std::string_view hex = target.substr(kLinkPrefix.size());
  if (!is_sha256_hex(hex)) return "";
  for (char ch : hex) {
    if (ch >= 'A' && ch <= 'F') return "";  // the store writes lower case only
  }
  return std::string(hex);
}

Status fsync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open " + dir + ": " + errno_text());
  if (::fsync(fd.get()) != 0) return io_error("cannot sync " + dir + ": " + errno_text());
  return ok_status();
}

// Names of the directory's entries (not "." or ".."), unsorted.
Result<std::vector<std::string>> directory_entries(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), &::closedir);
  if (handle == nullptr) return io_error("cannot read the directory " + dir + ": " + errno_text());
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(handle.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  if (errno != 0) return io_error("cannot read the directory " + dir + ": " + errno_text());
  return names;
}

Result<StoredModel> classify(const std::string& path, std::string_view name) {
  struct stat link_info {};
  if (::lstat(path.c_str(), &link_info) != 0) {
    if (errno == ENOENT) return not_found_error("no model file " + path);
    return io_error("cannot stat " + path + ": " + errno_text());
  }
  StoredModel model;
  model.name = std::string(name);
  model.path = path;
  if (S_ISLNK(link_info.st_mode)) {
    char target[4096];
    const ssize_t n_target = ::readlink(path.c_str(), target, sizeof(target));
    if (n_target < 0) return io_error("cannot read the link " + path + ": " + errno_text());
    model.link_target.assign(target, static_cast<size_t>(n_target));
    model.sha256 = sha256_of_link_target(model.link_target);
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      model.kind = model.sha256.empty() ? EntryKind::kOtherLink : EntryKind::kStoreLink;
      model.size_bytes = static_cast<uint64_t>(info.st_size);
    } else {
      model.kind = EntryKind::kBrokenLink;
    }
    return model;
  }
  if (S_ISREG(link_info.st_mode)) {
    model.kind = EntryKind::kPlainFile;
    model.size_bytes = static_cast<uint64_t>(link_info.st_size);
    return model;
  }
  return invalid_argument_error(path + " is not a model file (a directory or a device)");
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace

const char* entry_kind_name(EntryKind kind) {
  switch (kind) {
    case EntryKind::kStoreLink:
      return "store";
    case EntryKind::kBrokenLink:
      return "broken link";
    case EntryKind::kPlainFile:
      return "plain file";
    case EntryKind::kOtherLink:
      return "external link";
  }
  return "unknown";
}

Result<ModelStore> ModelStore::open(std::string dir, bool create) {
  namespace fs = std::filesystem;
  if (dir.empty()) return invalid_argument_error("the models directory is empty");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code error;
  if (create) {
    for (const char* sub : {"blobs", "partial"}) {
      fs::create_directories(fs::path(dir) / sub, error);
      if (error) return io_error("cannot create " + (fs::path(dir) / sub).string() + ": " + error.message());
    }
  }
  if (!fs::exists(dir, error)) return not_found_error("the models directory " + dir + " does not exist");
  if (!fs::is_directory(dir, error)) return invalid_argument_error(dir + " is not a directory");
  return ModelStore(std::move(dir));
}

std::string ModelStore::model_path(std::string_view name) const {
  return dir_ + "/" + std::string(name) + std::string(kModelSuffix);
}
std::string ModelStore::blob_path(std::string_view sha256) const {
  return dir_ + "/blobs/" + std::string(kBlobPrefix) + std::string(sha256);
}
std::string ModelStore::partial_path(std::string_view name) const {
  return dir_ + "/partial/" + std::string(name) + std::string(kPartialSuffix);
}
std::string ModelStore::partial_meta_path(std::string_view name) const { return partial_path(name) + ".meta"; }
std::string ModelStore::name_lock_path(std::string_view name) const {
  return dir_ + "/partial/" + std::string(name) + ".lock";
}

Result<std::vector<StoredModel>> ModelStore::list() const {
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> entries, directory_entries(dir_));
  std::vector<StoredModel> models;
  for (const std::string& entry : entries) {
    if (!ends_with(entry, kModelSuffix)) continue;
    const std::string name = entry.substr(0, entry.size() - kModelSuffix.size());
    if (!validate_existing_model_name(name).ok()) continue;
    Result<StoredModel> model = classify(dir_ + "/" + entry, name);
    if (model.ok()) {
      models.push_back(*std::move(model));
    } else if (model.status().code() == ErrorCode::kIo) {
      return model.status();
    }  // kNotFound: removed meanwhile; kInvalidArgument: a directory, which serve skips too
  }
  std::sort(models.begin(), models.end(), [](const auto& lhs, const auto& rhs) { return lhs.name < rhs.name; });
  return models;
}

Result<StoredModel> ModelStore::find(std::string_view name) const {
  HEARTH_RETURN_IF_ERROR(validate_existing_model_name(name));
  Result<StoredModel> model = classify(model_path(name), name);
  if (!model.ok() && model.status().code() == ErrorCode::kNotFound) {
    return not_found_error("no model named '" + std::string(name) + "' in " + dir_);
  }
  return model;
}

Result<std::vector<PartialDownload>> ModelStore::list_partials() const {
  const std::string partial_dir = dir_ + "/partial";
  if (!path_exists(partial_dir)) return std::vector<PartialDownload>();
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> entries, directory_entries(partial_dir));
  std::vector<PartialDownload> partials;
  for (const std::string& entry : entries) {
    if (!ends_with(entry, kPartialSuffix)) continue;
    PartialDownload partial;
    partial.name = entry.substr(0, entry.size() - kPartialSuffix.size());
    struct stat info {};
    if (::stat((partial_dir + "/" + entry).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    partial.have_bytes = static_cast<uint64_t>(info.st_size);
    if (std::optional<PartialMeta> meta = read_partial_meta(partial_meta_path(partial.name))) {
      partial.size_bytes = meta->size_bytes;
      partial.source = meta->source;
    }
    partials.push_back(std::move(partial));
  }
  std::sort(partials.begin(), partials.end(), [](const auto& lhs, const auto& rhs) { return lhs.name < rhs.name; });
  return partials;
}

Result<std::vector<std::string>> ModelStore::names_linking(std::string_view sha256) const {
  std::vector<std::string> names;
  struct stat blob {};
  if (::stat(blob_path(sha256).c_str(), &blob) != 0) return names;
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> entries, directory_entries(dir_));
  for (const std::string& entry : entries) {
    if (!ends_with(entry, kModelSuffix) || entry.front() == '.') continue;
    struct stat info {};
    if (::stat((dir_ + "/" + entry).c_str(), &info) != 0) continue;
    if (info.st_dev == blob.st_dev && info.st_ino == blob.st_ino) {
      names.push_back(entry.substr(0, entry.size() - kModelSuffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<CommitOutcome> ModelStore::commit(const std::string& file_path, std::string_view sha256, std::string_view name,
                                         bool replace) const {
  HEARTH_RETURN_IF_ERROR(validate_new_model_name(name));
  HEARTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire_directory(dir_));
  // Check the name before the file moves: a refusal leaves the blobs as they were.
  Result<StoredModel> existing = find(name);
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) return existing.status();
  if (existing.ok() && existing->kind != EntryKind::kBrokenLink && existing->sha256 != sha256 && !replace) {
    return failed_precondition_error("the model '" + std::string(name) + "' already exists with other content");
  }
  const std::string blob = blob_path(sha256);
  bool blob_existed = path_exists(blob);
  if (blob_existed) {
    if (::unlink(file_path.c_str()) != 0) return io_error("cannot remove " + file_path + ": " + errno_text());
  } else {
    if (::chmod(file_path.c_str(), 0444) != 0)
      return io_error("cannot make " + file_path + " read-only: " + errno_text());
    if (::rename(file_path.c_str(), blob.c_str()) != 0) {
      return io_error("cannot move " + file_path + " to " + blob + ": " + errno_text());
    }
    HEARTH_RETURN_IF_ERROR(fsync_directory(dir_ + "/blobs"));
  }
  HEARTH_ASSIGN_OR_RETURN(CommitOutcome outcome, point_name_at(sha256, name, replace));
  outcome.blob_existed = blob_existed;
  return outcome;
}

Result<CommitOutcome> ModelStore::link_existing(std::string_view sha256, std::string_view name, bool replace) const {
  HEARTH_RETURN_IF_ERROR(validate_new_model_name(name));
  HEARTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire_directory(dir_));
  struct stat info {};
  if (::stat(blob_path(sha256).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return not_found_error("the store holds no blob sha256-" + std::string(sha256));
  }
  HEARTH_ASSIGN_OR_RETURN(CommitOutcome outcome, point_name_at(sha256, name, replace));
  outcome.blob_existed = true;
  return outcome;
}

// Called with the directory lock held.
Result<CommitOutcome> ModelStore::point_name_at(std::string_view sha256, std::string_view name, bool replace) const {
  CommitOutcome outcome;
  const std::string path = model_path(name);
  Result<StoredModel> existing = find(name);
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) return existing.status();
  if (existing.ok()) {
    if (existing->kind == EntryKind::kStoreLink && existing->sha256 == sha256) return outcome;
    if (!replace && existing->kind != EntryKind::kBrokenLink) {
      return failed_precondition_error("the model '" + std::string(name) + "' already exists with other content");
    }
    outcome.replaced_sha256 = existing->sha256;
    outcome.replaced_plain = existing->kind == EntryKind::kPlainFile || existing->kind == EntryKind::kOtherLink;
  }
  // A temp name that is neither a model (no .gguf suffix) nor a valid name (leading '.').
  const std::string tmp_link = dir_ + "/." + std::string(name) + ".link-" + std::to_string(::getpid());
  ::unlink(tmp_link.c_str());
  const std::string target = std::string(kLinkPrefix) + std::string(sha256);
  if (::symlink(target.c_str(), tmp_link.c_str()) != 0) {
    return io_error("cannot create a link in " + dir_ + ": " + errno_text());
  }
  if (::rename(tmp_link.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(tmp_link.c_str());
    return io_error("cannot link " + path + ": " + reason);
  }
  HEARTH_RETURN_IF_ERROR(fsync_directory(dir_));
  if (!outcome.replaced_sha256.empty() && outcome.replaced_sha256 != sha256) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> still, names_linking(outcome.replaced_sha256));
    if (still.empty() && ::unlink(blob_path(outcome.replaced_sha256).c_str()) == 0) {
      outcome.replaced_blob_removed = true;
    }
  }
  return outcome;
}

Result<RemoveOutcome> ModelStore::remove(std::string_view name, bool force) const {
  HEARTH_RETURN_IF_ERROR(validate_existing_model_name(name));
  HEARTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire_directory(dir_));
  RemoveOutcome outcome;
  Result<StoredModel> existing = find(name);
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) return existing.status();
  if (!existing.ok()) {
    const std::string partial = partial_path(name);
    if (!path_exists(partial) && !path_exists(partial_meta_path(name))) {
      return not_found_error("no model named '" + std::string(name) + "' in " + dir_);
    }
    Result<FileLock> pull_lock = FileLock::try_acquire(name_lock_path(name), true);
    if (!pull_lock.ok()) {
      if (pull_lock.status().code() == ErrorCode::kUnavailable) {
        return unavailable_error("a pull of '" + std::string(name) + "' is running; stop it first");
      }
      return pull_lock.status();
    }
    if (::unlink(partial.c_str()) != 0 && errno != ENOENT) {
      return io_error("cannot remove " + partial + ": " + errno_text());
    }
    ::unlink(partial_meta_path(name).c_str());
    outcome.partial_removed = true;
    return outcome;
  }
  outcome.kind = existing->kind;
  outcome.sha256 = existing->sha256;
  const bool hand_placed = existing->kind == EntryKind::kPlainFile || existing->kind == EntryKind::kOtherLink;
  if (hand_placed && !force) {
    return failed_precondition_error(existing->path + " is a " + entry_kind_name(existing->kind) +
                                     " put there by hand, not a link into the store; pass --force to delete it");
  }
  if (::unlink(existing->path.c_str()) != 0) return io_error("cannot remove " + existing->path + ": " + errno_text());
  outcome.removed_name = true;
  HEARTH_RETURN_IF_ERROR(fsync_directory(dir_));
  if (!outcome.sha256.empty()) {
    HEARTH_ASSIGN_OR_RETURN(outcome.blob_still_linked_by, names_linking(outcome.sha256));
    const std::string blob = blob_path(outcome.sha256);
    if (outcome.blob_still_linked_by.empty() && path_exists(blob)) {
      if (::unlink(blob.c_str()) != 0) return io_error("cannot remove " + blob + ": " + errno_text());
      outcome.blob_removed = true;
    }
  }
  return outcome;
}

}  // namespace hearth::store

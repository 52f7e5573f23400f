#include "store/model_pull.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "model/gguf.h"
#include "store/file_lock.h"
#include "store/model_name.h"
#include "store/partial_file.h"
#include "store/partial_meta.h"
#include "store/sha256.h"
#include "base/unique_fd.h"

namespace hearth::store {
namespace {

constexpr size_t kMaxSidecarBytes = 64 * 1024;

// One pull in progress: what every step reads and the result it fills.
struct Pull {
  const ModelStore& store;
  const ModelSource& source;
  const PullOptions& options;
  std::string name;
  std::string source_text;  // recorded in the partial's meta: the URL, or the absolute path
  PullResult result;
  bool discard = false;  // the bytes are proven wrong: delete the partial

  void notice(const std::string& line) const {
    if (options.notice) options.notice(line);
  }
  void progress(uint64_t done_bytes, std::optional<uint64_t> total_bytes) const {
    if (options.progress) options.progress(done_bytes, total_bytes);
  }
  Status check_stop() const {
    if (options.stop_requested && options.stop_requested()) {
      return unavailable_error("the pull of '" + name + "' was stopped; its partial download is kept for the next pull");
    }
    return ok_status();
  }
};

void remove_partial(const Pull& pull) {
  ::unlink(pull.store.partial_path(pull.name).c_str());
  ::unlink(pull.store.partial_meta_path(pull.name).c_str());
}

Status check_space(const Pull& pull, uint64_t needed_bytes) {
  const std::string dir = pull.store.dir() + "/partial";
  struct statvfs info {};
  if (::statvfs(dir.c_str(), &info) != 0) return ok_status();  // unknown: let the writes find out
  const uint64_t free_bytes = static_cast<uint64_t>(info.f_bavail) * static_cast<uint64_t>(info.f_frsize);
  if (needed_bytes > free_bytes) {
    return resource_exhausted_error("the model needs " + std::to_string(needed_bytes) + " more bytes but " + dir +
                                    " has " + std::to_string(free_bytes) + " free");
  }
  return ok_status();
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open " + path + ": " + std::strerror(errno));
  std::string text(max_bytes + 1, '\0');
  size_t n_total = 0;
  while (n_total < text.size()) {
    const ssize_t n_read = ::read(fd.get(), text.data() + n_total, text.size() - n_total);
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read < 0) return io_error("cannot read " + path + ": " + std::strerror(errno));
    if (n_read == 0) break;
    n_total += static_cast<size_t>(n_read);
  }
  if (n_total > max_bytes) return data_loss_error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  text.resize(n_total);
  return text;
}

// The expected digest: --sha256, else the sidecar SOURCE.sha256 of a local source.
Status pick_expected_sha256(Pull& pull, std::string& expected) {
  const std::string sidecar = pull.source.path + ".sha256";
  const bool has_sidecar = pull.source.kind == ModelSource::Kind::kFile && ::access(sidecar.c_str(), F_OK) == 0;
  if (!pull.options.expected_sha256.empty()) {
    HEARTH_ASSIGN_OR_RETURN(expected, normalize_sha256_hex(pull.options.expected_sha256));
    pull.result.expected_from = "--sha256";
    if (has_sidecar) pull.notice("--sha256 given: " + sidecar + " is not used");
    return ok_status();
  }
  if (!has_sidecar) return ok_status();
  HEARTH_ASSIGN_OR_RETURN(std::string text, read_small_file(sidecar, kMaxSidecarBytes));
  const std::string file_name = std::filesystem::path(pull.source.path).filename().string();
  Result<std::optional<std::string>> entry = find_sha256sum_entry(text, file_name);
  if (!entry.ok()) return data_loss_error(sidecar + " is not a sha256sum file: " + entry.status().message());
  if (!entry->has_value()) return data_loss_error(sidecar + " has no line for " + file_name);
  expected = **entry;
  pull.result.expected_from = sidecar;
  return ok_status();
}

// The file must start with "GGUF"; a wrong start proves the whole stream wrong.
Status append_checked(Pull& pull, PartialFile& file, std::span<const uint8_t> bytes) {
  Status appended = file.append(bytes);
  if (appended.code() == ErrorCode::kDataLoss) pull.discard = true;
  if (!appended.ok()) return appended;
  pull.result.transferred_bytes += bytes.size();
  return ok_status();
}

int64_t mtime_ns(const struct stat& info) {
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + static_cast<int64_t>(info.st_mtim.tv_nsec);
}

Status copy_local(Pull& pull, PartialFile& file) {
  const std::string& path = pull.source.path;
  UniqueFd source(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source.valid()) {
    if (errno == ENOENT) return not_found_error("there is no file " + path);
    return io_error("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat before {};
  if (::fstat(source.get(), &before) != 0) return io_error("cannot stat " + path + ": " + std::strerror(errno));
  if (!S_ISREG(before.st_mode)) return invalid_argument_error(path + " is not a regular file");
  const uint64_t size = static_cast<uint64_t>(before.st_size);
  if (size > kMaxModelBytes) return invalid_argument_error(path + " is larger than any model file hearth accepts");

  const std::string meta_path = pull.store.partial_meta_path(pull.name);
  if (file.size() > 0) {
    const std::optional<PartialMeta> meta = read_partial_meta(meta_path);
    const bool same = meta && meta->source == pull.source_text && meta->size_bytes == size &&
                      meta->mtime_ns == mtime_ns(before) && file.size() <= size;
    if (same) {
      pull.result.resumed_from_bytes = file.size();
      pull.notice("resuming at " + std::to_string(file.size()) + " of " + std::to_string(size) + " bytes");
    } else {
      pull.notice("the partial download of '" + pull.name + "' came from another or a changed source; starting over");
      HEARTH_RETURN_IF_ERROR(file.restart());
    }
  }
  PartialMeta meta;
  meta.source = pull.source_text;
  meta.size_bytes = size;
  meta.mtime_ns = mtime_ns(before);
  HEARTH_RETURN_IF_ERROR(write_partial_meta(meta_path, meta));
  HEARTH_RETURN_IF_ERROR(check_space(pull, size - file.size()));

  std::vector<uint8_t> buffer(std::max<size_t>(pull.options.copy_chunk_bytes, 4096));
  pull.progress(file.size(), size);
  while (file.size() < size) {
    const size_t n_want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - file.size()));
    const ssize_t n_read = ::pread(source.get(), buffer.data(), n_want, static_cast<off_t>(file.size()));
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read < 0) return io_error("cannot read " + path + ": " + std::strerror(errno));
    if (n_read == 0) {
      pull.discard = true;
      return data_loss_error(path + " shrank while it was being copied");
    }
    HEARTH_RETURN_IF_ERROR(append_checked(pull, file, std::span<const uint8_t>(buffer.data(), size_t(n_read))));
    pull.progress(file.size(), size);
    HEARTH_RETURN_IF_ERROR(pull.check_stop());
  }
  struct stat after {};
  if (::fstat(source.get(), &after) != 0) return io_error("cannot stat " + path + ": " + std::strerror(errno));
  if (after.st_size != before.st_size || mtime_ns(after) != mtime_ns(before)) {
    pull.discard = true;
    return data_loss_error(path + " changed while it was being copied");
  }
  return ok_status();
}

Status http_status_error(const Pull& pull, const net::HttpResponseHead& head) {
  const std::string text = "the server answered " + std::to_string(head.status) +
                           (head.reason.empty() ? "" : " " + head.reason) + " for " + head.url;
  if (head.status == 404 || head.status == 410) return not_found_error(text);
  return unavailable_error(text);
}

// The validator If-Range may carry: a strong ETag, else Last-Modified.
std::string resume_validator(const PartialMeta& meta) {
  if (!meta.etag.empty() && meta.etag.rfind("W/", 0) != 0) return meta.etag;
  return meta.last_modified;
}

Status copy_http(Pull& pull, PartialFile& file) {
  const std::string meta_path = pull.store.partial_meta_path(pull.name);
  std::string validator;
  if (file.size() > 0) {
    const std::optional<PartialMeta> meta = read_partial_meta(meta_path);
    if (meta && meta->source == pull.source_text) validator = resume_validator(*meta);
    if (validator.empty()) {
      pull.notice("the partial download of '" + pull.name +
                  "' cannot be resumed (another source, or the server gave no ETag or Last-Modified); starting over");
      HEARTH_RETURN_IF_ERROR(file.restart());
    }
  }
  bool restarted = false;
  while (true) {
    const uint64_t asked_from = file.size();
    std::vector<std::pair<std::string, std::string>> headers;
    if (asked_from > 0) {
      headers.emplace_back("Range", "bytes=" + std::to_string(asked_from) + "-");
      headers.emplace_back("If-Range", validator);
    }
    bool restart_needed = false;
    std::string restart_reason;
    std::optional<uint64_t> total;
    net::HttpHandlers handlers;
    handlers.on_head = [&](const net::HttpResponseHead& head) -> Status {
      if (head.status == 200) {
        if (file.size() > 0) {
          pull.notice("the server sent the whole file (it changed, or does not resume); starting over");
          HEARTH_RETURN_IF_ERROR(file.restart());
        }
        total = head.content_length;
      } else if (head.status == 206) {
        if (asked_from == 0) return data_loss_error("the server answered 206 to a request for the whole file");
        const Result<net::ContentRange> range = net::parse_content_range(head.content_range);
        if (!range.ok() || range->first != asked_from || range->last + 1 != range->complete_length ||
            (head.content_length && *head.content_length != range->last - range->first + 1)) {
          restart_needed = true;
          restart_reason = range.ok() ? "its Content-Range '" + head.content_range + "' does not continue the file"
                                      : range.status().message();
          return unavailable_error(restart_reason);
        }
        total = range->complete_length;
        pull.result.resumed_from_bytes = asked_from;
        pull.notice("resuming at " + std::to_string(asked_from) + " of " + std::to_string(*total) + " bytes");
      } else if (head.status == 416 && asked_from > 0) {
        restart_needed = true;
        restart_reason = "the server refused the range (416)";
        return unavailable_error(restart_reason);
      } else {
        return http_status_error(pull, head);
      }
      if (total && *total > kMaxModelBytes) {
        return data_loss_error("the server announces " + std::to_string(*total) +
                               " bytes, more than any model file hearth accepts");
      }
      HEARTH_RETURN_IF_ERROR(check_space(pull, total ? *total - file.size() : 0));
      PartialMeta meta;
      meta.source = pull.source_text;
      meta.size_bytes = total;
      meta.etag = head.etag;
      meta.last_modified = head.last_modified;
      HEARTH_RETURN_IF_ERROR(write_partial_meta(meta_path, meta));
      pull.progress(file.size(), total);
      return ok_status();
    };
    handlers.on_body = [&](std::span<const uint8_t> bytes) -> Status {
      if (total && bytes.size() > *total - file.size()) {
        pull.discard = true;
        return data_loss_error("the server sent more than the " + std::to_string(*total) + " bytes it announced");
      }
      HEARTH_RETURN_IF_ERROR(append_checked(pull, file, bytes));
      pull.progress(file.size(), total);
      return pull.check_stop();
    };
    Status fetched = net::http_get(pull.source.url, headers, pull.options.http, handlers);
    if (restart_needed) {
      if (restarted) return data_loss_error("the server cannot resume the download: " + restart_reason);
      restarted = true;
      pull.notice("cannot resume: " + restart_reason + "; starting over");
      HEARTH_RETURN_IF_ERROR(file.restart());
      ::unlink(meta_path.c_str());
      continue;
    }
    if (!fetched.ok()) return fetched;
    if (total && file.size() != *total) {
      return unavailable_error("the transfer stopped after " + std::to_string(file.size()) + " of " +
                               std::to_string(*total) + " bytes");
    }
    return ok_status();
  }
}

// Checks the name before any transfer: what exists under it, and whether the
// expected content is already there.
Status check_existing_name(Pull& pull, const std::string& expected, std::optional<StoredModel>& existing) {
  Result<StoredModel> found = pull.store.find(pull.name);
  if (!found.ok()) {
    if (found.status().code() == ErrorCode::kNotFound) return ok_status();
    return found.status();
  }
  existing = *found;
  if (pull.options.force || existing->kind == EntryKind::kBrokenLink) return ok_status();
  if (existing->kind == EntryKind::kPlainFile || existing->kind == EntryKind::kOtherLink) {
    return failed_precondition_error(existing->path + " is a " + entry_kind_name(existing->kind) +
                                     " put there by hand; pass --force to replace it with the pulled file");
  }
  if (!expected.empty() && existing->sha256 != expected) {
    return failed_precondition_error("the model '" + pull.name + "' already exists with sha256 " + existing->sha256 +
                                     ", not " + expected + "; pass --force to replace it");
  }
  return ok_status();
}

std::string describe_source(const Pull& pull) { return pull.source_text; }

Result<PullResult> finish(Pull& pull, PartialFile& file, const std::string& expected,
                          const std::optional<StoredModel>& existing) {
  const std::string part_path = file.path();
  HEARTH_RETURN_IF_ERROR(file.sync());
  pull.result.sha256 = file.finish_sha256();
  pull.result.size_bytes = file.size();
  pull.result.source_read = true;
  // A resumed download is the kept partial plus the rest of the source: when it
  // proves wrong, the partial (damaged, or from an earlier version of the
  // source) is as likely a cause as the source, so the message says so.
  const bool resumed = pull.result.resumed_from_bytes > 0;
  const std::string what = resumed
                               ? "the download of " + describe_source(pull) + ", resumed from a partial download of " +
                                     std::to_string(pull.result.resumed_from_bytes) + " bytes kept by an earlier pull,"
                               : describe_source(pull);
  const std::string deleted = resumed
                                  ? "; the partial download was deleted, so the same pull again reads the source whole"
                                  : "; the download was deleted";
  if (!expected.empty() && pull.result.sha256 != expected) {
    remove_partial(pull);
    return data_loss_error("the sha256 of " + what + " is " + pull.result.sha256 + " but " + pull.result.expected_from +
                           " expects " + expected + deleted);
  }
  {
    Result<model::GgufFile> opened = model::GgufFile::open(part_path);
    if (!opened.ok()) {
      remove_partial(pull);
      return data_loss_error(what + " is not a valid GGUF file (" + opened.status().message() + ")" + deleted);
    }
  }
  if (existing && existing->kind == EntryKind::kStoreLink && existing->sha256 == pull.result.sha256) {
    remove_partial(pull);
    pull.result.already_present = true;
    return pull.result;
  }
  if (existing && !pull.options.force && existing->kind != EntryKind::kBrokenLink) {
    remove_partial(pull);
    return failed_precondition_error("the model '" + pull.name + "' already exists with sha256 " + existing->sha256 +
                                     ", not " + pull.result.sha256 + "; pass --force to replace it");
  }
  HEARTH_ASSIGN_OR_RETURN(pull.result.commit,
                          pull.store.commit(part_path, pull.result.sha256, pull.name, pull.options.force));
  ::unlink(pull.store.partial_meta_path(pull.name).c_str());
  return pull.result;
}

}  // namespace

Result<PullResult> pull_model(const ModelStore& store, const ModelSource& source, const PullOptions& options) {
  Pull pull{store, source, options, "", "", {}, false};
  if (!options.name.empty()) {
    HEARTH_RETURN_IF_ERROR(validate_new_model_name(options.name));
    pull.name = options.name;
  } else if (source.kind == ModelSource::Kind::kHttp) {
    HEARTH_ASSIGN_OR_RETURN(pull.name, model_name_from_source(source.url.target, true));
  } else {
    HEARTH_ASSIGN_OR_RETURN(pull.name, model_name_from_source(source.path, false));
  }
  if (source.kind == ModelSource::Kind::kHttp) {
    pull.source_text = source.url.to_string();
  } else {
    std::error_code error;
    pull.source_text = std::filesystem::absolute(source.path, error).lexically_normal().string();
    if (error) pull.source_text = source.path;
  }
  pull.result.name = pull.name;
  pull.result.path = store.model_path(pull.name);

  std::string expected;
  HEARTH_RETURN_IF_ERROR(pick_expected_sha256(pull, expected));
  Result<FileLock> lock = FileLock::try_acquire(store.name_lock_path(pull.name), true);
  if (!lock.ok()) {
    if (lock.status().code() == ErrorCode::kUnavailable) {
      return unavailable_error("another pull of '" + pull.name + "' is running");
    }
    return lock.status();
  }
  std::optional<StoredModel> existing;
  HEARTH_RETURN_IF_ERROR(check_existing_name(pull, expected, existing));
  if (!expected.empty() && existing && existing->kind == EntryKind::kStoreLink && existing->sha256 == expected) {
    pull.result.sha256 = expected;
    pull.result.size_bytes = existing->size_bytes;
    pull.result.already_present = true;
    return pull.result;
  }
  // Content already in blobs/ under another name is not linked on the word of
  // --sha256 alone: a mistyped hash that names another model would link the
  // wrong one. The source is read and hashed like any pull; commit() then drops
  // the copy and links the name to the blob already there.
  HEARTH_ASSIGN_OR_RETURN(PartialFile file, PartialFile::open(store.partial_path(pull.name), true));
  const Status transferred = source.kind == ModelSource::Kind::kHttp ? copy_http(pull, file) : copy_local(pull, file);
  if (!transferred.ok()) {
    const bool keep = !pull.discard && file.size() > 0;
    if (!keep) remove_partial(pull);
    std::string message = "cannot pull " + describe_source(pull) + ": " + transferred.message();
    if (keep) message += " (" + std::to_string(file.size()) + " bytes kept; run the same pull again to resume)";
    return Status(transferred.code(), message);
  }
  return finish(pull, file, expected, existing);
}

}  // namespace hearth::store

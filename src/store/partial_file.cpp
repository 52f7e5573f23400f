#include "store/partial_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hearth::store {
namespace {

constexpr uint8_t kGgufMagic[4] = {'G', 'G', 'U', 'F'};

std::string shown_bytes(std::span<const uint8_t> bytes) {
  std::string text;
  for (uint8_t byte : bytes) {
    if (byte >= 0x20 && byte < 0x7f) {
      text.push_back(static_cast<char>(byte));
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      text += escaped;
    }
  }
  return text;
}

}  // namespace

Result<PartialFile> PartialFile::open(const std::string& path, bool keep_existing) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("cannot open " + path + ": " + std::strerror(errno));
  PartialFile file(path, std::move(fd));
  if (!keep_existing) {
    HEARTH_RETURN_IF_ERROR(file.restart());
    return file;
  }
  // Re-read what an earlier run wrote, so the final hash covers the whole file.
  std::vector<uint8_t> buffer(1 << 20);
  while (true) {
    const ssize_t n_read = ::pread(file.fd_.get(), buffer.data(), buffer.size(), static_cast<off_t>(file.size_bytes_));
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read < 0) return io_error("cannot read " + path + ": " + std::strerror(errno));
    if (n_read == 0) break;
    const std::span<const uint8_t> bytes(buffer.data(), static_cast<size_t>(n_read));
    if (file.size_bytes_ == 0 && (bytes.size() < 4 || std::memcmp(bytes.data(), kGgufMagic, 4) != 0)) {
      HEARTH_RETURN_IF_ERROR(file.restart());  // not a GGUF start: nothing here is worth keeping
      return file;
    }
    file.hasher_.update(bytes);
    file.size_bytes_ += bytes.size();
  }
  return file;
}

Status PartialFile::append(std::span<const uint8_t> bytes) {
  for (uint64_t pos = size_bytes_; pos < 4 && pos - size_bytes_ < bytes.size(); ++pos) {
    if (bytes[pos - size_bytes_] != kGgufMagic[pos]) {
      const size_t n_shown = std::min<size_t>(bytes.size(), 16);
      return data_loss_error("it is not a GGUF file (it starts with \"" + shown_bytes(bytes.first(n_shown)) +
                             "\", not \"GGUF\")");
    }
  }
  std::span<const uint8_t> rest = bytes;
  while (!rest.empty()) {
    const ssize_t n_written =
        ::pwrite(fd_.get(), rest.data(), rest.size(), static_cast<off_t>(size_bytes_ + (bytes.size() - rest.size())));
    if (n_written < 0 && errno == EINTR) continue;
    if (n_written < 0 && (errno == ENOSPC || errno == EDQUOT)) {
      return resource_exhausted_error("the disk holding " + path_ + " is full");
    }
    if (n_written < 0) return io_error("cannot write " + path_ + ": " + std::strerror(errno));
    rest = rest.subspan(static_cast<size_t>(n_written));
  }
  hasher_.update(bytes);
  size_bytes_ += bytes.size();
  return ok_status();
}

Status PartialFile::restart() {
  if (::ftruncate(fd_.get(), 0) != 0) return io_error("cannot truncate " + path_ + ": " + std::strerror(errno));
  size_bytes_ = 0;
  hasher_.reset();
  return ok_status();
}

Status PartialFile::sync() {
  if (::fsync(fd_.get()) != 0) return io_error("cannot sync " + path_ + ": " + std::strerror(errno));
  return ok_status();
}

}  // namespace hearth::store

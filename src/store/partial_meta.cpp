#include "store/partial_meta.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace hearth::store {
namespace {

constexpr size_t kMaxMetaBytes = 64 * 1024;

bool has_line_break(std::string_view value) { return value.find_first_of("\r\n") != std::string_view::npos; }

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n_written = ::write(fd, bytes.data(), bytes.size());
    if (n_written < 0 && errno == EINTR) continue;
    if (n_written < 0) return io_error(std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n_written));
  }
  return ok_status();
}

}  // namespace

std::string render_partial_meta(const PartialMeta& meta) {
  std::string text = "source=" + meta.source + "\n";
  if (meta.size_bytes) text += "size=" + std::to_string(*meta.size_bytes) + "\n";
  if (!meta.etag.empty()) text += "etag=" + meta.etag + "\n";
  if (!meta.last_modified.empty()) text += "last_modified=" + meta.last_modified + "\n";
  if (meta.mtime_ns) text += "mtime_ns=" + std::to_string(*meta.mtime_ns) + "\n";
  return text;
}

Result<PartialMeta> parse_partial_meta(std::string_view text) {
  if (text.size() > kMaxMetaBytes) return data_loss_error("the partial download's record is larger than 64 KiB");
  PartialMeta meta;
  bool has_source = false;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty()) continue;
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) return data_loss_error("a line of the partial download's record has no '='");
    const std::string_view key = line.substr(0, equals);
    const std::string_view value = line.substr(equals + 1);
    if (key == "source") {
      meta.source = std::string(value);
      has_source = true;
    } else if (key == "size") {
      uint64_t size = 0;
      if (!parse_number(value, size)) return data_loss_error("the partial download's size is not a number");
      meta.size_bytes = size;
    } else if (key == "etag") {
      meta.etag = std::string(value);
    } else if (key == "last_modified") {
      meta.last_modified = std::string(value);
    } else if (key == "mtime_ns") {
      int64_t mtime = 0;
      if (!parse_number(value, mtime)) return data_loss_error("the partial download's mtime is not a number");
      meta.mtime_ns = mtime;
    }
  }
  if (!has_source) return data_loss_error("the partial download's record names no source");
  return meta;
}

Status write_partial_meta(const std::string& path, const PartialMeta& meta) {
  if (has_line_break(meta.source) || has_line_break(meta.etag) || has_line_break(meta.last_modified)) {
    return invalid_argument_error("a value of the partial download's record holds a line break");
  }
  const std::string text = render_partial_meta(meta);
  const std::string tmp_path = path + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot write " + tmp_path + ": " + std::strerror(errno));
  Status written = write_all(fd, text);
  if (written.ok() && ::fsync(fd) != 0) written = io_error(std::strerror(errno));
  ::close(fd);
  if (!written.ok()) {
    ::unlink(tmp_path.c_str());
    return io_error("cannot write " + tmp_path + ": " + written.message());
  }
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp_path.c_str());
    return io_error("cannot rename " + tmp_path + ": " + std::strerror(saved));
  }
  return ok_status();
}

std::optional<PartialMeta> read_partial_meta(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text(kMaxMetaBytes + 1, '\0');
  size_t n_total = 0;
  while (n_total < text.size()) {
    const ssize_t n_read = ::read(fd, text.data() + n_total, text.size() - n_total);
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read <= 0) break;
    n_total += static_cast<size_t>(n_read);
  }
  ::close(fd);
  text.resize(n_total);
  Result<PartialMeta> meta = parse_partial_meta(text);
  if (!meta.ok()) return std::nullopt;
  return *std::move(meta);
}

}  // namespace hearth::store

#include "base/file_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace hearth {

Result<std::string> read_text_file(const std::string& path, int64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot read " + path + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("cannot read " + path + ": " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return io_error("cannot read " + path + ": it is a directory");
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n_read = ::read(fd.get(), buffer, sizeof(buffer));
    if (n_read < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read " + path + ": " + std::strerror(errno));
    }
    if (n_read == 0) return text;
    if (static_cast<int64_t>(text.size()) + n_read > max_bytes) {
      return out_of_range_error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    text.append(buffer, static_cast<size_t>(n_read));
  }
}

}  // namespace hearth

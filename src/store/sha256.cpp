#include "store/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace hearth::store {
namespace {

bool is_hex_digit(char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::string_view base_name(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void Sha256::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Allocation failure or a missing SHA-256 in libcrypto is not an input error: abort loudly.
  if (ctx_ == nullptr) std::abort();
  reset();
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}

void Sha256::update(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) std::abort();
}

std::string Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n_digest = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest, &n_digest) != 1) std::abort();
  assert(n_digest * 2 == kSha256HexChars);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(kSha256HexChars);
  for (unsigned int byte_idx = 0; byte_idx < n_digest; ++byte_idx) {
    hex.push_back(kHex[digest[byte_idx] >> 4]);
    hex.push_back(kHex[digest[byte_idx] & 0xf]);
  }
  return hex;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != kSha256HexChars) return false;
  for (char ch : text) {
    if (!is_hex_digit(ch)) return false;
  }
  return true;
}

Result<std::string> normalize_sha256_hex(std::string_view text) {
  if (!is_sha256_hex(text)) {
    std::string message(text.substr(0, 80));
    message.append(" is not a sha256 digest (64 hex digits)");
    return invalid_argument_error(std::move(message));
  }
  std::string hex(text);
  for (char& ch : hex) {
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return hex;
}

Result<std::string> sha256_of_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  Sha256 hasher;
  std::vector<uint8_t> buffer(1 << 20);
  while (true) {
    const ssize_t n_read = ::read(fd, buffer.data(), buffer.size());
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read < 0) {
      const int saved = errno;
      ::close(fd);
      return io_error("cannot read " + path + ": " + std::strerror(saved));
    }
    if (n_read == 0) break;
    hasher.update(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n_read)));
  }
  ::close(fd);
  return hasher.finish_hex();
}

Result<std::optional<std::string>> find_sha256sum_entry(std::string_view sidecar_text, std::string_view file_name) {
  std::optional<std::string> only_unnamed;
  int n_lines = 0;
  size_t line_start = 0;
  while (line_start < sidecar_text.size()) {
    size_t line_end = sidecar_text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = sidecar_text.size();
    const std::string_view line = trim(sidecar_text.substr(line_start, line_end - line_start));
    line_start = line_end + 1;
    if (line.empty() || line.front() == '#') continue;
    ++n_lines;
    const std::string_view hex = line.substr(0, std::min(line.size(), kSha256HexChars));
    if (!is_sha256_hex(hex))
      return data_loss_error("line " + std::to_string(n_lines) + " does not start with a sha256");
    std::string_view name = line.substr(hex.size());
    if (!name.empty() && name.front() != ' ' && name.front() != '\t') {
      return data_loss_error("line " + std::to_string(n_lines) + " has more than 64 hex digits");
    }
    name = trim(name);
    if (!name.empty() && name.front() == '*') name.remove_prefix(1);  // sha256sum's binary-mode marker
    HEARTH_ASSIGN_OR_RETURN(std::string digest, normalize_sha256_hex(hex));
    if (name.empty()) {
      only_unnamed = digest;
    } else if (base_name(name) == file_name) {
      return std::optional<std::string>(digest);
    }
  }
  if (n_lines == 1 && only_unnamed) return only_unnamed;
  return std::optional<std::string>();
}

}  // namespace hearth::store

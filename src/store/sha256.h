// SHA-256 for the model store: an incremental hasher over OpenSSL's EVP
// interface, hex digests, and the `sha256sum` sidecar format.
// ref: FIPS 180-4; sha256sum(1) for the sidecar lines ("HEX  NAME" or "HEX *NAME").
//
//   Sha256 hasher;
//   hasher.update(bytes);
//   std::string hex = hasher.finish_hex();  // 64 lower-case hex digits
//
// Thread-safety: a Sha256 is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace hearth::store {

inline constexpr size_t kSha256HexChars = 64;

class Sha256 {
 public:
  Sha256();
  // Feeds more bytes. Precondition: finish_hex() has not been called since the last reset().
  void update(std::span<const uint8_t> bytes);
  // The digest of everything fed since construction or reset(); ends this run.
  std::string finish_hex();
  // Starts over, as if newly constructed.
  void reset();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);
// Lower-cases a digest the user typed; kInvalidArgument when it is not 64 hex digits.
Result<std::string> normalize_sha256_hex(std::string_view text);

// The digest of a whole file (kIo when it cannot be read).
Result<std::string> sha256_of_file(const std::string& path);

// The digest a `sha256sum` file gives for `file_name`: the line whose name is
// `file_name` (a leading '*' or a directory part is ignored), or the only line
// when it carries no name. nullopt when no line names the file; kDataLoss for
// a line that is not "HEX  NAME".
Result<std::optional<std::string>> find_sha256sum_entry(std::string_view sidecar_text, std::string_view file_name);

}  // namespace hearth::store

// GgufWriter: encodes metadata as it is added, lays out tensor offsets at
// write(), then streams header, metadata, tensor infos and data to a
// temporary file that replaces `path` only once it is complete and synced.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
#include "model/gguf_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_set>

#include "model/gguf.h"

namespace hearth::model {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian and hearth writes it in place");

constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
constexpr uint32_t kVersion = 3;
constexpr uint32_t kDefaultAlignment = 32;
constexpr size_t kMaxTensorNameBytes = 64;
constexpr size_t kFileBufferBytes = 1 << 20;

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view text) {
  put<uint64_t>(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

void put_type(std::vector<uint8_t>& out, GgufValueType type) { put<uint32_t>(out, static_cast<uint32_t>(type)); }

std::vector<uint8_t> record_head(std::string_view key, GgufValueType type) {
  std::vector<uint8_t> record;
  put_string(record, key);
  put_type(record, type);
  return record;
}

template <typename T>
std::vector<uint8_t> scalar_record(std::string_view key, GgufValueType type, T value) {
  std::vector<uint8_t> record = record_head(key, type);
  put<T>(record, value);
  return record;
}

template <typename T>
std::vector<uint8_t> array_record(std::string_view key, GgufValueType elem_type, const std::vector<T>& values) {
  std::vector<uint8_t> record = record_head(key, GgufValueType::kArray);
  put_type(record, elem_type);
  put<uint64_t>(record, values.size());
  for (const T& value : values) put<T>(record, value);
  return record;
}

// The key a record starts with (records are built by this file, so the prefix is well-formed).
std::string_view record_key(const std::vector<uint8_t>& record) {
  uint64_t n_bytes = 0;
  std::memcpy(&n_bytes, record.data(), sizeof(n_bytes));
  return std::string_view(reinterpret_cast<const char*>(record.data() + sizeof(n_bytes)), n_bytes);
}

uint64_t align_up(uint64_t offset, uint64_t alignment) { return (offset + alignment - 1) / alignment * alignment; }

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Removes the temporary file unless the write completed.
class TmpFileGuard {
 public:
  explicit TmpFileGuard(std::string path) : path_(std::move(path)) {}
  TmpFileGuard(const TmpFileGuard&) = delete;
  TmpFileGuard& operator=(const TmpFileGuard&) = delete;
  ~TmpFileGuard() {
    if (!committed_) ::unlink(path_.c_str());
  }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

Status write_error(const std::string& path) { return io_error("cannot write '" + path + "': " + std::strerror(errno)); }

Status write_bytes(std::FILE* file, const uint8_t* data, size_t n_bytes, const std::string& path) {
  if (n_bytes != 0 && std::fwrite(data, 1, n_bytes, file) != n_bytes) return write_error(path);
  return ok_status();
}

Status write_padding(std::FILE* file, uint64_t n_bytes, const std::string& path) {
  static const uint8_t kZeros[256] = {};
  while (n_bytes > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n_bytes, sizeof(kZeros)));
    HEARTH_RETURN_IF_ERROR(write_bytes(file, kZeros, chunk, path));
    n_bytes -= chunk;
  }
  return ok_status();
}

// Makes the rename itself durable.
void sync_parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the file itself is already synced
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void GgufWriter::add_uint8(std::string key, uint8_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kUint8, value));
}
void GgufWriter::add_int8(std::string key, int8_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kInt8, value));
}
void GgufWriter::add_uint16(std::string key, uint16_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kUint16, value));
}
void GgufWriter::add_int16(std::string key, int16_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kInt16, value));
}
void GgufWriter::add_uint32(std::string key, uint32_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kUint32, value));
}
void GgufWriter::add_int32(std::string key, int32_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kInt32, value));
}
void GgufWriter::add_uint64(std::string key, uint64_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kUint64, value));
}
void GgufWriter::add_int64(std::string key, int64_t value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kInt64, value));
}
void GgufWriter::add_float32(std::string key, float value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kFloat32, value));
}
void GgufWriter::add_float64(std::string key, double value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kFloat64, value));
}
void GgufWriter::add_bool(std::string key, bool value) {
  kv_records_.push_back(scalar_record(key, GgufValueType::kBool, static_cast<uint8_t>(value ? 1 : 0)));
}

void GgufWriter::add_string(std::string key, std::string value) {
  std::vector<uint8_t> record = record_head(key, GgufValueType::kString);
  put_string(record, value);
  kv_records_.push_back(std::move(record));
}

void GgufWriter::add_string_array(std::string key, std::vector<std::string> values) {
  std::vector<uint8_t> record = record_head(key, GgufValueType::kArray);
  put_type(record, GgufValueType::kString);
  put<uint64_t>(record, values.size());
  for (const std::string& value : values) put_string(record, value);
  kv_records_.push_back(std::move(record));
}

void GgufWriter::add_float32_array(std::string key, std::vector<float> values) {
  kv_records_.push_back(array_record(key, GgufValueType::kFloat32, values));
}

void GgufWriter::add_int32_array(std::string key, std::vector<int32_t> values) {
  kv_records_.push_back(array_record(key, GgufValueType::kInt32, values));
}

void GgufWriter::add_tensor(std::string name, std::vector<int64_t> dims, tensor::DType dtype, FillFn fill) {
  tensors_.push_back(PendingTensor{std::move(name), std::move(dims), dtype, std::move(fill), -1});
}

void GgufWriter::add_tensor(std::string name, std::vector<int64_t> dims, tensor::DType dtype,
                            std::vector<uint8_t> bytes) {
  const int64_t n_given = static_cast<int64_t>(bytes.size());
  // shared: std::function must be copyable, and the bytes are large.
  auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  FillFn fill = [shared](uint8_t* dst, uint64_t n_bytes) {
    // write() has checked that n_bytes == shared->size().
    if (n_bytes != 0) std::memcpy(dst, shared->data(), n_bytes);
  };
  tensors_.push_back(PendingTensor{std::move(name), std::move(dims), dtype, std::move(fill), n_given});
}

Status GgufWriter::write(const std::string& path, uint32_t alignment) const {
  const GgufLimits limits;
  if (alignment == 0 || !std::has_single_bit(alignment) || alignment > limits.max_alignment) {
    return invalid_argument_error("alignment " + std::to_string(alignment) + " is not a power of two up to " +
                                  std::to_string(limits.max_alignment));
  }

  std::unordered_set<std::string_view> keys;
  for (const std::vector<uint8_t>& record : kv_records_) {
    const std::string_view key = record_key(record);
    if (key.empty()) return invalid_argument_error("a metadata key is empty");
    if (key == "general.alignment") {
      return invalid_argument_error("general.alignment is set through write()'s alignment argument");
    }
    if (!keys.insert(key).second) return invalid_argument_error("duplicate metadata key '" + std::string(key) + "'");
  }
  std::vector<uint8_t> alignment_record;
  if (alignment != kDefaultAlignment) {
    alignment_record = scalar_record("general.alignment", GgufValueType::kUint32, alignment);
  }

  // Lay out the tensors and encode their infos.
  std::vector<uint8_t> infos;
  std::vector<uint64_t> sizes;
  std::unordered_set<std::string_view> names;
  uint64_t data_offset = 0;
  uint64_t max_tensor_bytes = 0;
  for (const PendingTensor& pending : tensors_) {
    const std::string label = "tensor '" + pending.name + "'";
    if (pending.name.empty() || pending.name.size() > kMaxTensorNameBytes) {
      return invalid_argument_error(label + ": names must have 1 to 64 bytes");
    }
    if (!names.insert(pending.name).second) return invalid_argument_error("duplicate " + label);
    if (pending.dims.empty() || pending.dims.size() > 4) {
      return invalid_argument_error(label + " has " + std::to_string(pending.dims.size()) +
                                    " dims; GGUF allows 1 to 4");
    }
    const tensor::DTypeInfo& type = tensor::dtype_info(pending.dtype);
    uint64_t n_rows = 1;
    for (size_t dim_idx = 0; dim_idx < pending.dims.size(); ++dim_idx) {
      const int64_t extent = pending.dims[dim_idx];
      if (extent < 0) return invalid_argument_error(label + " has a negative extent");
      if (dim_idx > 0 && __builtin_mul_overflow(n_rows, static_cast<uint64_t>(extent), &n_rows)) {
        return invalid_argument_error(label + " is too large");
      }
    }
    if (pending.dims[0] % type.block_elems != 0) {
      return invalid_argument_error(label + ": rows of " + std::to_string(pending.dims[0]) + " values are not whole " +
                                    std::string(type.name) + " blocks");
    }
    uint64_t row_size = 0;
    uint64_t n_bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(pending.dims[0] / type.block_elems),
                               static_cast<uint64_t>(type.block_bytes), &row_size) ||
        __builtin_mul_overflow(row_size, n_rows, &n_bytes) ||
        n_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return invalid_argument_error(label + " is too large");
    }
    if (pending.given_bytes >= 0 && static_cast<uint64_t>(pending.given_bytes) != n_bytes) {
      return invalid_argument_error(label + " was given " + std::to_string(pending.given_bytes) +
                                    " bytes; its shape and " + std::string(type.name) + " need " +
                                    std::to_string(n_bytes));
    }

    put_string(infos, pending.name);
    put<uint32_t>(infos, static_cast<uint32_t>(pending.dims.size()));
    for (int64_t extent : pending.dims) put<uint64_t>(infos, static_cast<uint64_t>(extent));
    put<uint32_t>(infos, static_cast<uint32_t>(pending.dtype));
    put<uint64_t>(infos, data_offset);
    sizes.push_back(n_bytes);
    max_tensor_bytes = std::max(max_tensor_bytes, n_bytes);
    data_offset = align_up(data_offset + n_bytes, alignment);
  }

  std::vector<uint8_t> header;
  put<uint32_t>(header, kMagic);
  put<uint32_t>(header, kVersion);
  put<uint64_t>(header, tensors_.size());
  put<uint64_t>(header, kv_records_.size() + (alignment_record.empty() ? 0 : 1));

  const std::string tmp_path = path + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create '" + tmp_path + "': " + std::strerror(errno));
  TmpFileGuard guard(tmp_path);
  FilePtr file(::fdopen(fd, "wb"));
  if (file == nullptr) {
    ::close(fd);
    return io_error("cannot open '" + tmp_path + "' for writing: " + std::strerror(errno));
  }
  std::setvbuf(file.get(), nullptr, _IOFBF, kFileBufferBytes);

  uint64_t written = 0;
  auto emit = [&](const std::vector<uint8_t>& bytes) {
    written += bytes.size();
    return write_bytes(file.get(), bytes.data(), bytes.size(), tmp_path);
  };
  HEARTH_RETURN_IF_ERROR(emit(header));
  if (!alignment_record.empty()) HEARTH_RETURN_IF_ERROR(emit(alignment_record));
  for (const std::vector<uint8_t>& record : kv_records_) HEARTH_RETURN_IF_ERROR(emit(record));
  HEARTH_RETURN_IF_ERROR(emit(infos));
  if (!tensors_.empty()) {
    HEARTH_RETURN_IF_ERROR(write_padding(file.get(), align_up(written, alignment) - written, tmp_path));
  }

  std::vector<uint8_t> buffer;
  buffer.reserve(max_tensor_bytes);
  for (size_t tensor_idx = 0; tensor_idx < tensors_.size(); ++tensor_idx) {
    const uint64_t n_bytes = sizes[tensor_idx];
    buffer.resize(n_bytes);
    tensors_[tensor_idx].fill(buffer.data(), n_bytes);
    HEARTH_RETURN_IF_ERROR(write_bytes(file.get(), buffer.data(), n_bytes, tmp_path));
    HEARTH_RETURN_IF_ERROR(write_padding(file.get(), align_up(n_bytes, alignment) - n_bytes, tmp_path));
  }

  if (std::fflush(file.get()) != 0) return write_error(tmp_path);
  if (::fsync(::fileno(file.get())) != 0) return io_error("cannot sync '" + tmp_path + "': " + std::strerror(errno));
  if (std::fclose(file.release()) != 0) return write_error(tmp_path);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    return io_error("cannot rename '" + tmp_path + "' to '" + path + "': " + std::strerror(errno));
  }
  guard.commit();
  sync_parent_dir(path);
  return ok_status();
}

}  // namespace hearth::model

// GGUF parsing: every length, count, offset and size is checked against the
// bytes that remain (and against GgufLimits) before it is used or allocated.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
#include "model/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace hearth::model {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian and hearth reads it in place");

constexpr uint32_t kMagic = 0x46554747;       // "GGUF" read as a little-endian uint32
constexpr uint64_t kMaxKeyBytes = 65535;      // spec: keys are at most 2^16 - 1 bytes
constexpr uint64_t kMaxTensorNameBytes = 64;  // spec: tensor names are at most 64 bytes
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, one dim, type, offset
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                  // empty key, type, one-byte value
constexpr uint64_t kMaxValueTypeId = static_cast<uint64_t>(GgufValueType::kFloat64);
// What a user whose file has a tensor type hearth cannot run should fetch instead:
// the common llama.cpp file types, all made only of types hearth runs.
constexpr std::string_view kSupportedTypesAdvice = "use a Q4_K_M, Q5_K_M, Q6_K or Q8_0 file of this model instead";

// A forward-only cursor over the file bytes; every read is bounds-checked.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return bytes_.size() - offset_; }

  // Points *out at the next n bytes and advances; false (and no move) when fewer remain.
  bool take(uint64_t n, const uint8_t** out) {
    if (n > remaining()) return false;
    *out = bytes_.data() + offset_;
    offset_ += n;
    return true;
  }

  template <typename T>
  bool read(T* out) {
    const uint8_t* src = nullptr;
    if (!take(sizeof(T), &src)) return false;
    std::memcpy(out, src, sizeof(T));
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t offset_ = 0;
};

// Hostile names go into error messages: keep them short and printable.
std::string printable(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (size_t char_idx = 0; char_idx < text.size() && char_idx < kMaxShown; ++char_idx) {
    const unsigned char c = static_cast<unsigned char>(text[char_idx]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

std::string at_byte(uint64_t offset) { return " at byte " + std::to_string(offset); }

Status truncated(const ByteReader& reader, const std::string& what) {
  return data_loss_error("GGUF truncated" + at_byte(reader.offset()) + " while reading " + what);
}

// Adds context in front of an error's message, keeping its code.
Status with_context(const std::string& context, const Status& status) {
  return Status(status.code(), context + ": " + status.message());
}

bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// A length-prefixed string, checked against `max_bytes` and the remaining bytes.
Status read_string(ByteReader& reader, uint64_t max_bytes, std::string_view* out) {
  const uint64_t start = reader.offset();
  uint64_t n_bytes = 0;
  if (!reader.read(&n_bytes)) return truncated(reader, "a string length");
  if (n_bytes > max_bytes) {
    return data_loss_error("string" + at_byte(start) + " declares " + std::to_string(n_bytes) +
                           " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  const uint8_t* chars = nullptr;
  if (!reader.take(n_bytes, &chars)) {
    return data_loss_error("string" + at_byte(start) + " declares " + std::to_string(n_bytes) + " bytes but only " +
                           std::to_string(reader.remaining()) + " remain");
  }
  *out = std::string_view(reinterpret_cast<const char*>(chars), n_bytes);
  return ok_status();
}

Status read_value_type(ByteReader& reader, GgufValueType* out) {
  const uint64_t start = reader.offset();
  uint32_t type_id = 0;
  if (!reader.read(&type_id)) return truncated(reader, "a value type");
  if (type_id > kMaxValueTypeId) {
    return data_loss_error("unknown value type " + std::to_string(type_id) + at_byte(start));
  }
  *out = static_cast<GgufValueType>(type_id);
  return ok_status();
}

// Spec: a bool is one byte, 0 or 1; anything else means a corrupt file.
Status check_bools(const uint8_t* bytes, uint64_t n, uint64_t start) {
  for (uint64_t idx = 0; idx < n; ++idx) {
    if (bytes[idx] > 1) {
      return data_loss_error("bool" + at_byte(start + idx) + " holds " + std::to_string(bytes[idx]) + ", not 0 or 1");
    }
  }
  return ok_status();
}

// A decoded value, before it becomes a GgufValue (whose fields only GgufFile may set).
struct RawValue {
  GgufValueType type = GgufValueType::kUint8;
  GgufValueType array_type = GgufValueType::kUint8;
  uint64_t array_size = 0;
  uint64_t bits = 0;
  const uint8_t* ptr = nullptr;
  uint64_t str_len = 0;
  std::shared_ptr<const std::vector<std::string_view>> strings;
};

Status read_array(ByteReader& reader, const GgufLimits& limits, RawValue* out) {
  HEARTH_RETURN_IF_ERROR(read_value_type(reader, &out->array_type));
  if (out->array_type == GgufValueType::kArray) {
    return unimplemented_error("array of arrays" + at_byte(reader.offset()) + " (hearth reads flat arrays only)");
  }
  const uint64_t count_offset = reader.offset();
  uint64_t count = 0;
  if (!reader.read(&count)) return truncated(reader, "an array length");
  if (count > limits.max_array_elems) {
    return data_loss_error("array" + at_byte(count_offset) + " declares " + std::to_string(count) +
                           " elements, more than the limit of " + std::to_string(limits.max_array_elems));
  }
  out->array_size = count;
  const uint64_t first_elem = reader.offset();
  if (out->array_type == GgufValueType::kString) {
    // Every string takes at least its 8-byte length: check before reserving.
    if (count > reader.remaining() / 8) {
      return data_loss_error("array of " + std::to_string(count) + " strings" + at_byte(count_offset) +
                             " cannot fit in the " + std::to_string(reader.remaining()) + " bytes that remain");
    }
    auto strings = std::make_shared<std::vector<std::string_view>>();
    strings->reserve(count);
    for (uint64_t elem_idx = 0; elem_idx < count; ++elem_idx) {
      std::string_view text;
      Status status = read_string(reader, limits.max_string_bytes, &text);
      if (!status.ok()) return with_context("element " + std::to_string(elem_idx) + " of a string array", status);
      strings->push_back(text);
    }
    out->strings = std::move(strings);
    return ok_status();
  }
  const uint64_t elem_bytes = gguf_scalar_bytes(out->array_type);
  uint64_t n_bytes = 0;
  if (!checked_mul(count, elem_bytes, &n_bytes) || n_bytes > reader.remaining()) {
    return data_loss_error("array of " + std::to_string(count) + " " + gguf_type_name(out->array_type) +
                           at_byte(count_offset) + " needs more than the " + std::to_string(reader.remaining()) +
                           " bytes that remain");
  }
  if (!reader.take(n_bytes, &out->ptr)) return truncated(reader, "array elements");
  if (out->array_type == GgufValueType::kBool) return check_bools(out->ptr, count, first_elem);
  return ok_status();
}

Status read_value(ByteReader& reader, const GgufLimits& limits, RawValue* out) {
  HEARTH_RETURN_IF_ERROR(read_value_type(reader, &out->type));
  if (out->type == GgufValueType::kString) {
    std::string_view text;
    HEARTH_RETURN_IF_ERROR(read_string(reader, limits.max_string_bytes, &text));
    out->ptr = reinterpret_cast<const uint8_t*>(text.data());
    out->str_len = text.size();
    return ok_status();
  }
  if (out->type == GgufValueType::kArray) return read_array(reader, limits, out);
  const uint64_t start = reader.offset();
  const uint8_t* src = nullptr;
  if (!reader.take(gguf_scalar_bytes(out->type), &src)) {
    return truncated(reader, std::string("a ") + gguf_type_name(out->type));
  }
  std::memcpy(&out->bits, src, gguf_scalar_bytes(out->type));
  if (out->type == GgufValueType::kBool) return check_bools(src, 1, start);
  return ok_status();
}

uint64_t align_up(uint64_t offset, uint64_t alignment) {
  // offset is at most the file size and alignment at most 2^32, so this cannot wrap.
  return (offset + alignment - 1) / alignment * alignment;
}

// Bytes of one tensor; kDataLoss when a row is not whole blocks or the size overflows.
Result<uint64_t> tensor_bytes(const GgufTensorInfo& info, const tensor::DTypeInfo& type) {
  if (info.ne[0] % type.block_elems != 0) {
    return data_loss_error("rows of " + std::to_string(info.ne[0]) + " values are not whole " + std::string(type.name) +
                           " blocks of " + std::to_string(type.block_elems));
  }
  const uint64_t n_blocks = static_cast<uint64_t>(info.ne[0] / type.block_elems);
  uint64_t row_size = 0;
  if (!checked_mul(n_blocks, static_cast<uint64_t>(type.block_bytes), &row_size) ||
      row_size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return data_loss_error("row size overflows");
  }
  // Safe now: the row's byte count fits in int64.
  const uint64_t row_size_checked = static_cast<uint64_t>(tensor::row_bytes(type.dtype, info.ne[0]));
  uint64_t n_rows = 1;
  for (int dim_idx = 1; dim_idx < 4; ++dim_idx) {
    if (!checked_mul(n_rows, static_cast<uint64_t>(info.ne[dim_idx]), &n_rows)) {
      return data_loss_error("row count overflows");
    }
  }
  uint64_t n_bytes = 0;
  if (!checked_mul(row_size_checked, n_rows, &n_bytes)) return data_loss_error("byte size overflows");
  return n_bytes;
}

// Owns a file descriptor for the duration of open().
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

struct GgufFile::Mapping {
  void* addr = nullptr;
  size_t n_bytes = 0;

  Mapping(void* mapped, size_t size) : addr(mapped), n_bytes(size) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { ::munmap(addr, n_bytes); }
};

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::open(const std::string& path, const GgufLimits& limits) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    const std::string message = "cannot open '" + path + "': " + std::strerror(err);
    return err == ENOENT ? not_found_error(message) : io_error(message);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return invalid_argument_error("'" + path + "' is not a regular file");
  if (st.st_size == 0) return data_loss_error("'" + path + "' is empty, not a GGUF file");
  const size_t n_bytes = static_cast<size_t>(st.st_size);
  void* addr = ::mmap(nullptr, n_bytes, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (addr == MAP_FAILED) return io_error("cannot map '" + path + "': " + std::strerror(errno));

  GgufFile file;
  file.mapping_ = std::make_unique<Mapping>(addr, n_bytes);
  file.bytes_ = std::span<const uint8_t>(static_cast<const uint8_t*>(addr), n_bytes);
  Status status = file.parse_all(limits);
  if (!status.ok()) return with_context("'" + path + "'", status);
  return file;
}

Result<GgufFile> GgufFile::parse(std::span<const uint8_t> bytes, const GgufLimits& limits) {
  GgufFile file;
  file.bytes_ = bytes;
  HEARTH_RETURN_IF_ERROR(file.parse_all(limits));
  return file;
}

Status GgufFile::parse_all(const GgufLimits& limits) {
  ByteReader reader(bytes_);

  // Header: magic, version, tensor count, metadata count (64-bit counts since v2).
  uint32_t magic = 0;
  if (!reader.read(&magic)) return truncated(reader, "the magic");
  if (magic != kMagic) return data_loss_error("not a GGUF file: the first four bytes are not \"GGUF\"");
  if (!reader.read(&version_)) return truncated(reader, "the version");
  if (version_ == 1)
    return unimplemented_error("GGUF version 1 (32-bit counts) is not supported; re-convert the model");
  const uint32_t swapped_version = __builtin_bswap32(version_);
  if (swapped_version == 2 || swapped_version == 3) {
    return unimplemented_error("big-endian GGUF files are not supported");
  }
  if (version_ != 2 && version_ != 3) {
    return data_loss_error("unknown GGUF version " + std::to_string(version_) + " (hearth reads 2 and 3)");
  }
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  if (!reader.read(&n_tensors)) return truncated(reader, "the tensor count");
  if (!reader.read(&n_kv)) return truncated(reader, "the metadata count");
  if (n_tensors > limits.max_tensor_count) {
    return data_loss_error("the header declares " + std::to_string(n_tensors) + " tensors, more than the limit of " +
                           std::to_string(limits.max_tensor_count));
  }
  if (n_kv > limits.max_kv_count) {
    return data_loss_error("the header declares " + std::to_string(n_kv) + " metadata keys, more than the limit of " +
                           std::to_string(limits.max_kv_count));
  }

  // Metadata. Reservations are bounded by what the remaining bytes can hold.
  keys_.reserve(std::min<uint64_t>(n_kv, reader.remaining() / kMinKvBytes));
  for (uint64_t kv_idx = 0; kv_idx < n_kv; ++kv_idx) {
    const uint64_t key_offset = reader.offset();
    std::string_view key_view;
    Status status = read_string(reader, kMaxKeyBytes, &key_view);
    if (!status.ok()) return with_context("key #" + std::to_string(kv_idx), status);
    if (key_view.empty()) return data_loss_error("key #" + std::to_string(kv_idx) + at_byte(key_offset) + " is empty");
    std::string key(key_view);
    if (values_.count(key) != 0) {
      return data_loss_error("duplicate key '" + printable(key) + "'" + at_byte(key_offset));
    }
    RawValue raw;
    status = read_value(reader, limits, &raw);
    if (!status.ok()) return with_context("value of key '" + printable(key) + "'", status);

    if (key == "general.alignment") {
      if (raw.type != GgufValueType::kUint32) {
        return data_loss_error(std::string("general.alignment is ") + gguf_type_name(raw.type) + ", not uint32");
      }
      const uint64_t alignment = raw.bits;
      if (alignment == 0 || !std::has_single_bit(alignment) || alignment > limits.max_alignment) {
        return data_loss_error("general.alignment " + std::to_string(alignment) +
                               " is not a power of two no larger than " + std::to_string(limits.max_alignment));
      }
      alignment_ = static_cast<uint32_t>(alignment);
    }

    GgufValue value;
    value.type_ = raw.type;
    value.array_type_ = raw.array_type;
    value.array_size_ = raw.array_size;
    value.bits_ = raw.bits;
    value.ptr_ = raw.ptr;
    value.str_len_ = raw.str_len;
    value.strings_ = std::move(raw.strings);
    keys_.push_back(key);
    values_.emplace(std::move(key), std::move(value));
  }

  // Tensor infos.
  tensors_.reserve(std::min<uint64_t>(n_tensors, reader.remaining() / kMinTensorInfoBytes));
  for (uint64_t tensor_idx = 0; tensor_idx < n_tensors; ++tensor_idx) {
    const uint64_t info_offset = reader.offset();
    const std::string label = "tensor #" + std::to_string(tensor_idx);
    std::string_view name_view;
    Status status = read_string(reader, kMaxTensorNameBytes, &name_view);
    if (!status.ok()) return with_context("name of " + label, status);
    if (name_view.empty()) return data_loss_error(label + at_byte(info_offset) + " has an empty name");
    GgufTensorInfo info;
    info.name = std::string(name_view);
    const std::string named = "tensor '" + printable(info.name) + "'";
    if (tensor_index_.count(info.name) != 0) return data_loss_error("duplicate " + named + at_byte(info_offset));

    uint32_t n_dims = 0;
    if (!reader.read(&n_dims)) return truncated(reader, "the dimension count of " + named);
    if (n_dims < 1 || n_dims > kMaxDims) {
      return data_loss_error(named + " has " + std::to_string(n_dims) + " dimensions; GGUF allows 1 to 4");
    }
    info.n_dims = static_cast<int>(n_dims);
    uint64_t n_elements = 1;
    for (uint32_t dim_idx = 0; dim_idx < n_dims; ++dim_idx) {
      uint64_t extent = 0;
      if (!reader.read(&extent)) return truncated(reader, "the shape of " + named);
      if (extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          !checked_mul(n_elements, extent, &n_elements) ||
          n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return data_loss_error(named + " has a shape whose element count overflows");
      }
      info.ne[dim_idx] = static_cast<int64_t>(extent);
    }

    const uint64_t type_offset = reader.offset();
    uint32_t type_id = 0;
    if (!reader.read(&type_id)) return truncated(reader, "the type of " + named);
    const tensor::DTypeInfo* type = tensor::find_dtype(type_id);
    if (type == nullptr) {
      const std::string_view type_name = tensor::ggml_type_name(type_id);
      return unimplemented_error(named + " has ggml type " + std::to_string(type_id) +
                                 (type_name.empty() ? " (unknown)" : " (" + std::string(type_name) + ")") +
                                 at_byte(type_offset) + ", which hearth cannot run; " +
                                 std::string(kSupportedTypesAdvice));
    }
    info.dtype = type->dtype;
    Result<uint64_t> n_bytes = tensor_bytes(info, *type);
    if (!n_bytes.ok()) return with_context(named, n_bytes.status());
    info.n_bytes = n_bytes.value();

    if (!reader.read(&info.offset)) return truncated(reader, "the data offset of " + named);
    if (info.offset % alignment_ != 0) {
      return data_loss_error(named + " has data offset " + std::to_string(info.offset) +
                             ", not a multiple of the alignment " + std::to_string(alignment_));
    }
    tensor_index_.emplace(info.name, tensors_.size());
    tensors_.push_back(std::move(info));
  }

  // Data section: starts at the next multiple of the alignment; each tensor must lie inside it.
  if (tensors_.empty()) return ok_status();
  const uint64_t data_start = align_up(reader.offset(), alignment_);
  if (data_start > bytes_.size()) {
    return data_loss_error("the tensor data would start at byte " + std::to_string(data_start) +
                           ", past the end of the " + std::to_string(bytes_.size()) + "-byte file");
  }
  const uint64_t data_bytes = bytes_.size() - data_start;
  for (GgufTensorInfo& info : tensors_) {
    if (info.offset > data_bytes || info.n_bytes > data_bytes - info.offset) {
      return data_loss_error("tensor '" + printable(info.name) + "' needs bytes [" + std::to_string(info.offset) +
                             ", " + std::to_string(info.offset) + " + " + std::to_string(info.n_bytes) +
                             ") of a data section of only " + std::to_string(data_bytes) + " bytes (file truncated?)");
    }
    info.data = bytes_.data() + data_start + info.offset;
  }
  return ok_status();
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = values_.find(std::string(key));
  return it == values_.end() ? nullptr : &it->second;
}

int64_t GgufFile::tensor_data_bytes() const {
  int64_t n_bytes = 0;
  for (const GgufTensorInfo& info : tensors_) n_bytes += static_cast<int64_t>(info.n_bytes);
  return n_bytes;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

// Looks up `key` and applies `get` to its value, naming the key in any error.
template <typename T, typename Getter>
Result<T> typed_lookup(const GgufFile& file, std::string_view key, Getter get) {
  const GgufValue* value = file.find(key);
  if (value == nullptr) return not_found_error("GGUF key '" + std::string(key) + "' is absent");
  Result<T> result = get(*value);
  if (!result.ok()) return with_context("GGUF key '" + std::string(key) + "'", result.status());
  return result;
}

}  // namespace

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  return typed_lookup<std::string_view>(*this, key, [](const GgufValue& v) { return v.as_string(); });
}

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  return typed_lookup<uint64_t>(*this, key, [](const GgufValue& v) { return v.as_uint(); });
}

Result<double> GgufFile::get_float(std::string_view key) const {
  return typed_lookup<double>(*this, key, [](const GgufValue& v) { return v.as_float(); });
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  return typed_lookup<bool>(*this, key, [](const GgufValue& v) { return v.as_bool(); });
}

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  return typed_lookup<std::vector<std::string_view>>(*this, key,
                                                     [](const GgufValue& v) { return v.as_string_array(); });
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  return typed_lookup<std::vector<float>>(*this, key, [](const GgufValue& v) { return v.as_float_array(); });
}

Result<std::vector<int32_t>> GgufFile::get_int32_array(std::string_view key) const {
  return typed_lookup<std::vector<int32_t>>(*this, key, [](const GgufValue& v) { return v.as_int32_array(); });
}

}  // namespace hearth::model

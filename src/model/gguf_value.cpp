// GgufValue accessors: typed views of one metadata value, converting between
// numeric types only when the value fits.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "model/gguf.h"

namespace hearth::model {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian and hearth reads it in place");

bool is_unsigned_int(GgufValueType type) {
  return type == GgufValueType::kUint8 || type == GgufValueType::kUint16 || type == GgufValueType::kUint32 ||
         type == GgufValueType::kUint64;
}

bool is_signed_int(GgufValueType type) {
  return type == GgufValueType::kInt8 || type == GgufValueType::kInt16 || type == GgufValueType::kInt32 ||
         type == GgufValueType::kInt64;
}

bool is_float(GgufValueType type) { return type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64; }

// The little-endian payload of one fixed-size value, zero-extended to 64 bits.
uint64_t load_bits(GgufValueType type, const uint8_t* src) {
  uint64_t bits = 0;
  std::memcpy(&bits, src, gguf_scalar_bytes(type));
  return bits;
}

// A signed integer's bits, sign-extended from its width.
int64_t signed_value(GgufValueType type, uint64_t bits) {
  switch (type) {
    case GgufValueType::kInt8: return static_cast<int8_t>(static_cast<uint8_t>(bits));
    case GgufValueType::kInt16: return static_cast<int16_t>(static_cast<uint16_t>(bits));
    case GgufValueType::kInt32: return static_cast<int32_t>(static_cast<uint32_t>(bits));
    default: return static_cast<int64_t>(bits);
  }
}

double float_value(GgufValueType type, uint64_t bits) {
  if (type == GgufValueType::kFloat32) {
    const uint32_t low = static_cast<uint32_t>(bits);
    float value;
    std::memcpy(&value, &low, sizeof(value));
    return value;
  }
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

Status wrong_type(GgufValueType type, const char* wanted) {
  return invalid_argument_error(std::string("value is ") + gguf_type_name(type) + ", not " + wanted);
}

Status wrong_array_type(GgufValueType type, GgufValueType array_type, const char* wanted) {
  std::string actual = gguf_type_name(type);
  if (type == GgufValueType::kArray) actual += std::string(" of ") + gguf_type_name(array_type);
  return invalid_argument_error("value is " + actual + ", not " + wanted);
}

Result<uint64_t> to_uint(GgufValueType type, uint64_t bits) {
  if (is_unsigned_int(type)) return bits;
  if (is_signed_int(type)) {
    const int64_t value = signed_value(type, bits);
    if (value < 0) return out_of_range_error("value " + std::to_string(value) + " is negative");
    return static_cast<uint64_t>(value);
  }
  return wrong_type(type, "an integer");
}

Result<int64_t> to_int(GgufValueType type, uint64_t bits) {
  if (is_signed_int(type)) return signed_value(type, bits);
  if (is_unsigned_int(type)) {
    if (bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return out_of_range_error("value " + std::to_string(bits) + " does not fit in int64");
    }
    return static_cast<int64_t>(bits);
  }
  return wrong_type(type, "an integer");
}

Result<double> to_double(GgufValueType type, uint64_t bits) {
  if (is_float(type)) return float_value(type, bits);
  if (is_unsigned_int(type)) return static_cast<double>(bits);
  if (is_signed_int(type)) return static_cast<double>(signed_value(type, bits));
  return wrong_type(type, "a number");
}

}  // namespace

uint64_t gguf_scalar_bytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray: return 0;
  }
  return 0;
}

const char* gguf_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "unknown";
}

Result<uint64_t> GgufValue::as_uint() const { return to_uint(type_, bits_); }

Result<int64_t> GgufValue::as_int() const { return to_int(type_, bits_); }

Result<double> GgufValue::as_float() const { return to_double(type_, bits_); }

Result<bool> GgufValue::as_bool() const {
  if (type_ != GgufValueType::kBool) return wrong_type(type_, "a bool");
  return bits_ != 0;
}

Result<std::string_view> GgufValue::as_string() const {
  if (type_ != GgufValueType::kString) return wrong_type(type_, "a string");
  return std::string_view(reinterpret_cast<const char*>(ptr_), str_len_);
}

Result<std::vector<std::string_view>> GgufValue::as_string_array() const {
  if (type_ != GgufValueType::kArray || array_type_ != GgufValueType::kString) {
    return wrong_array_type(type_, array_type_, "an array of string");
  }
  // The parser builds strings_ for every string array, empty ones included.
  if (strings_ == nullptr) return std::vector<std::string_view>();
  return *strings_;
}

Result<std::vector<float>> GgufValue::as_float_array() const {
  const bool numeric = is_unsigned_int(array_type_) || is_signed_int(array_type_) || is_float(array_type_);
  if (type_ != GgufValueType::kArray || !numeric) {
    return wrong_array_type(type_, array_type_, "an array of numbers");
  }
  const uint64_t elem_bytes = gguf_scalar_bytes(array_type_);
  std::vector<float> values(array_size_);
  for (uint64_t elem_idx = 0; elem_idx < array_size_; ++elem_idx) {
    Result<double> value = to_double(array_type_, load_bits(array_type_, ptr_ + elem_idx * elem_bytes));
    values[elem_idx] = static_cast<float>(value.value());  // numeric types always convert
  }
  return values;
}

Result<std::vector<int32_t>> GgufValue::as_int32_array() const {
  const bool integer = is_unsigned_int(array_type_) || is_signed_int(array_type_);
  if (type_ != GgufValueType::kArray || !integer) {
    return wrong_array_type(type_, array_type_, "an array of integers");
  }
  const uint64_t elem_bytes = gguf_scalar_bytes(array_type_);
  std::vector<int32_t> values(array_size_);
  for (uint64_t elem_idx = 0; elem_idx < array_size_; ++elem_idx) {
    const uint64_t bits = load_bits(array_type_, ptr_ + elem_idx * elem_bytes);
    bool fits;
    int64_t value;
    if (is_signed_int(array_type_)) {
      value = signed_value(array_type_, bits);
      fits = value >= std::numeric_limits<int32_t>::min() && value <= std::numeric_limits<int32_t>::max();
    } else {
      fits = bits <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
      value = fits ? static_cast<int64_t>(bits) : 0;
    }
    if (!fits) {
      return out_of_range_error("element " + std::to_string(elem_idx) + " does not fit in int32");
    }
    values[elem_idx] = static_cast<int32_t>(value);
  }
  return values;
}

}  // namespace hearth::model

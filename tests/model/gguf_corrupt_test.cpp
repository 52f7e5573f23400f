// The reader against hostile bytes: each malformed field on its own, every
// truncation of a valid file, and seeded random byte flips.
#include <gtest/gtest.h>

#include <random>

#include "gguf_bytes.h"
#include "llama_test_model.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"
#include "model/llama_arch.h"

namespace hearth::model {
namespace {

using test::GgufBytes;

constexpr uint32_t kF32 = 0;
constexpr uint32_t kQ4_0 = 2;

// Parses `bytes` and expects failure with `code` and `fragment` in the message.
void expect_error(const std::vector<uint8_t>& bytes, ErrorCode code, const std::string& fragment,
                  const GgufLimits& limits = {}) {
  Result<GgufFile> file = GgufFile::parse(bytes, limits);
  ASSERT_FALSE(file.ok()) << "parsed, expected: " << fragment;
  EXPECT_EQ(file.status().code(), code) << file.status().to_string();
  EXPECT_NE(file.status().message().find(fragment), std::string::npos)
      << "message: " << file.status().message() << "\nexpected to contain: " << fragment;
}

TEST(GgufCorrupt, HeaderErrors) {
  expect_error({}, ErrorCode::kDataLoss, "magic");
  expect_error({'G', 'G', 'U', 'F'}, ErrorCode::kDataLoss, "version");
  expect_error({'G', 'G', 'M', 'L', 3, 0, 0, 0}, ErrorCode::kDataLoss, "not a GGUF file");
  expect_error(GgufBytes().header(0, 0, 1).bytes(), ErrorCode::kUnimplemented, "version 1");
  expect_error(GgufBytes().header(0, 0, 4).bytes(), ErrorCode::kDataLoss, "unknown GGUF version 4");
  expect_error(GgufBytes().header(0, 0, 0x03000000).bytes(), ErrorCode::kUnimplemented, "big-endian");
  expect_error(GgufBytes().u32(0x46554747).u32(3).u64(0).bytes(), ErrorCode::kDataLoss, "metadata count");
  expect_error(GgufBytes().header(uint64_t{1} << 40, 0).bytes(), ErrorCode::kDataLoss, "tensors, more than the limit");
  expect_error(GgufBytes().header(0, uint64_t{1} << 40).bytes(), ErrorCode::kDataLoss, "keys, more than the limit");
  // Counts within the limits but beyond the bytes fail on the first missing record.
  expect_error(GgufBytes().header(0, 1000).bytes(), ErrorCode::kDataLoss, "key #0");
  expect_error(GgufBytes().header(1000, 0).bytes(), ErrorCode::kDataLoss, "tensor #0");
}

TEST(GgufCorrupt, EmptyFileWithVersion2Parses) {
  Result<GgufFile> file = GgufFile::parse(GgufBytes().header(0, 0, 2).bytes());
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->version(), 2u);
  EXPECT_TRUE(file->keys().empty());
  EXPECT_TRUE(file->tensors().empty());
}

TEST(GgufCorrupt, StringErrors) {
  expect_error(GgufBytes().header(0, 1).u64(1000).bytes(), ErrorCode::kDataLoss,
               "declares 1000 bytes but only 0 remain");
  expect_error(GgufBytes().header(0, 1).u64(~uint64_t{0}).bytes(), ErrorCode::kDataLoss, "more than the limit");
  expect_error(GgufBytes().header(0, 1).u64(70000).zeros(70000).bytes(), ErrorCode::kDataLoss, "key #0");
  expect_error(GgufBytes().header(0, 1).str("").type(GgufValueType::kUint8).u8(0).bytes(), ErrorCode::kDataLoss,
               "is empty");
  GgufLimits small;
  small.max_string_bytes = 4;
  expect_error(GgufBytes().header(0, 1).str("k").type(GgufValueType::kString).str("hello").bytes(),
               ErrorCode::kDataLoss, "value of key 'k'", small);
  // Non-printable key bytes are escaped in messages.
  expect_error(GgufBytes().header(0, 2).str("\x01k").type(GgufValueType::kUint8).u8(0).str("\x01k").bytes(),
               ErrorCode::kDataLoss, "duplicate key '\\x01k'");
}

TEST(GgufCorrupt, ValueErrors) {
  expect_error(GgufBytes().header(0, 1).str("k").u32(13).bytes(), ErrorCode::kDataLoss, "unknown value type 13");
  expect_error(GgufBytes().header(0, 1).str("k").type(GgufValueType::kUint32).u8(1).bytes(), ErrorCode::kDataLoss,
               "while reading a uint32");
  expect_error(GgufBytes().header(0, 1).str("k").type(GgufValueType::kBool).u8(2).bytes(), ErrorCode::kDataLoss,
               "not 0 or 1");
  expect_error(GgufBytes()
                   .header(0, 2)
                   .str("k")
                   .type(GgufValueType::kUint8)
                   .u8(1)
                   .str("k")
                   .type(GgufValueType::kUint8)
                   .u8(1)
                   .bytes(),
               ErrorCode::kDataLoss, "duplicate key 'k'");
}

TEST(GgufCorrupt, ArrayErrors) {
  auto array_of = [](GgufValueType elem, uint64_t count) {
    return GgufBytes().header(0, 1).str("a").type(GgufValueType::kArray).type(elem).u64(count);
  };
  expect_error(array_of(GgufValueType::kArray, 1).bytes(), ErrorCode::kUnimplemented, "array of arrays");
  expect_error(GgufBytes().header(0, 1).str("a").type(GgufValueType::kArray).u32(99).bytes(), ErrorCode::kDataLoss,
               "unknown value type 99");
  expect_error(array_of(GgufValueType::kUint32, uint64_t{1} << 60).bytes(), ErrorCode::kDataLoss,
               "more than the limit");
  expect_error(array_of(GgufValueType::kUint32, 3).u32(1).u32(2).bytes(), ErrorCode::kDataLoss, "needs more than");
  expect_error(array_of(GgufValueType::kString, 1000).bytes(), ErrorCode::kDataLoss, "cannot fit");
  expect_error(array_of(GgufValueType::kString, 2).str("x").u64(5).bytes(), ErrorCode::kDataLoss,
               "element 1 of a string array");
  expect_error(array_of(GgufValueType::kBool, 3).u8(1).u8(0).u8(7).bytes(), ErrorCode::kDataLoss, "not 0 or 1");
  GgufLimits small;
  small.max_array_elems = 2;
  expect_error(array_of(GgufValueType::kUint8, 3).u8(1).u8(2).u8(3).bytes(), ErrorCode::kDataLoss,
               "more than the limit of 2", small);
}

TEST(GgufCorrupt, EveryArrayElementTypeDecodes) {
  // Arrays the writer has no adder for, assembled by hand.
  GgufBytes bytes;
  bytes.header(0, 8);
  bytes.str("u8").type(GgufValueType::kArray).type(GgufValueType::kUint8).u64(2).u8(0).u8(255);
  bytes.str("i8").type(GgufValueType::kArray).type(GgufValueType::kInt8).u64(2).put<int8_t>(-128).put<int8_t>(127);
  bytes.str("u16").type(GgufValueType::kArray).type(GgufValueType::kUint16).u64(1).put<uint16_t>(65535);
  bytes.str("i16").type(GgufValueType::kArray).type(GgufValueType::kInt16).u64(1).put<int16_t>(-32768);
  bytes.str("u32").type(GgufValueType::kArray).type(GgufValueType::kUint32).u64(2).u32(7).u32(0xffffffffu);
  bytes.str("i64").type(GgufValueType::kArray).type(GgufValueType::kInt64).u64(1).put<int64_t>(-5);
  bytes.str("f64").type(GgufValueType::kArray).type(GgufValueType::kFloat64).u64(1).put<double>(0.5);
  bytes.str("bool").type(GgufValueType::kArray).type(GgufValueType::kBool).u64(2).u8(1).u8(0);
  Result<GgufFile> parsed = GgufFile::parse(bytes.bytes());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  const GgufFile& file = parsed.value();
  EXPECT_EQ(file.get_int32_array("u8").value(), (std::vector<int32_t>{0, 255}));
  EXPECT_EQ(file.get_int32_array("i8").value(), (std::vector<int32_t>{-128, 127}));
  EXPECT_EQ(file.get_int32_array("u16").value(), (std::vector<int32_t>{65535}));
  EXPECT_EQ(file.get_int32_array("i16").value(), (std::vector<int32_t>{-32768}));
  EXPECT_EQ(file.get_int32_array("u32").status().code(), ErrorCode::kOutOfRange);  // 0xffffffff > INT32_MAX
  EXPECT_EQ(file.get_float_array("u32").value(), (std::vector<float>{7.0f, 4294967295.0f}));
  EXPECT_EQ(file.get_int32_array("i64").value(), (std::vector<int32_t>{-5}));
  EXPECT_EQ(file.get_float_array("f64").value(), (std::vector<float>{0.5f}));
  EXPECT_EQ(file.get_float_array("bool").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(file.find("bool")->array_type(), GgufValueType::kBool);
  EXPECT_EQ(file.find("bool")->array_size(), 2u);
}

TEST(GgufCorrupt, AlignmentErrors) {
  auto with_alignment = [](GgufValueType type, uint64_t value) {
    GgufBytes bytes;
    bytes.header(0, 1).str("general.alignment").type(type);
    if (type == GgufValueType::kUint64) return bytes.u64(value);
    return bytes.u32(static_cast<uint32_t>(value));
  };
  expect_error(with_alignment(GgufValueType::kUint64, 32).bytes(), ErrorCode::kDataLoss, "not uint32");
  expect_error(with_alignment(GgufValueType::kUint32, 0).bytes(), ErrorCode::kDataLoss, "not a power of two");
  expect_error(with_alignment(GgufValueType::kUint32, 48).bytes(), ErrorCode::kDataLoss, "not a power of two");
  expect_error(with_alignment(GgufValueType::kUint32, uint64_t{1} << 31).bytes(), ErrorCode::kDataLoss,
               "not a power of two no larger than 65536");
}

// A file with one tensor, built field by field so single fields can be corrupted.
std::vector<uint8_t> one_tensor(std::string_view name, const std::vector<uint64_t>& dims, uint32_t type_id,
                                uint64_t offset, uint64_t data_bytes) {
  GgufBytes bytes;
  bytes.header(1, 0).tensor_info(name, dims, type_id, offset).pad_to(32).zeros(data_bytes);
  return bytes.bytes();
}

TEST(GgufCorrupt, TensorInfoErrors) {
  EXPECT_TRUE(GgufFile::parse(one_tensor("t", {8, 2}, kF32, 0, 64)).ok());
  expect_error(one_tensor("", {8}, kF32, 0, 32), ErrorCode::kDataLoss, "empty name");
  expect_error(one_tensor(std::string(65, 'n'), {8}, kF32, 0, 32), ErrorCode::kDataLoss, "name of tensor #0");
  expect_error(one_tensor("t", {}, kF32, 0, 32), ErrorCode::kDataLoss, "tensor 't' has 0 dimensions");
  expect_error(one_tensor("t", {1, 1, 1, 1, 1}, kF32, 0, 32), ErrorCode::kDataLoss, "has 5 dimensions");
  expect_error(one_tensor("t", {uint64_t{1} << 63}, kF32, 0, 32), ErrorCode::kDataLoss, "overflows");
  expect_error(one_tensor("t", {uint64_t{1} << 32, uint64_t{1} << 32}, kF32, 0, 32), ErrorCode::kDataLoss, "overflows");
  expect_error(one_tensor("t", {uint64_t{1} << 62}, kF32, 0, 32), ErrorCode::kDataLoss, "row size overflows");
  expect_error(one_tensor("t", {2, uint64_t{1} << 61}, kF32, 0, 32), ErrorCode::kDataLoss, "byte size overflows");
  expect_error(one_tensor("t", {256}, 16, 0, 66), ErrorCode::kUnimplemented, "tensor 't' has ggml type 16 (IQ2_XXS)");
  expect_error(one_tensor("t", {256}, 16, 0, 66), ErrorCode::kUnimplemented, "use a Q4_K_M, Q5_K_M, Q6_K or Q8_0 file");
  expect_error(one_tensor("t", {8}, 77, 0, 32), ErrorCode::kUnimplemented, "tensor 't' has ggml type 77 (unknown)");
  expect_error(one_tensor("t", {48}, kQ4_0, 0, 64), ErrorCode::kDataLoss, "not whole q4_0 blocks");
  expect_error(one_tensor("t", {8}, kF32, 16, 64), ErrorCode::kDataLoss, "not a multiple of the alignment 32");
  expect_error(one_tensor("t", {8}, kF32, 0, 31), ErrorCode::kDataLoss, "tensor 't' needs bytes [0, 0 + 32)");
  expect_error(one_tensor("t", {8}, kF32, uint64_t{1} << 63, 32), ErrorCode::kDataLoss, "needs bytes");
  // The data section must start inside the file.
  GgufBytes no_data;
  no_data.header(1, 0).tensor_info("t", {0}, kF32, 0);
  expect_error(no_data.bytes(), ErrorCode::kDataLoss, "past the end");
  GgufBytes duplicate;
  duplicate.header(2, 0).tensor_info("t", {8}, kF32, 0).tensor_info("t", {8}, kF32, 32).pad_to(32).zeros(64);
  expect_error(duplicate.bytes(), ErrorCode::kDataLoss, "duplicate tensor 't'");
}

TEST(GgufCorrupt, ZeroSizedTensorIsAccepted) {
  Result<GgufFile> file = GgufFile::parse(one_tensor("t", {0, 4}, kF32, 0, 0));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->find_tensor("t")->n_bytes, 0u);
  EXPECT_EQ(file->find_tensor("t")->n_elements(), 0);
}

// Reads everything a consumer might: every value through every accessor, every tensor's bytes, the llama binding.
void touch_everything(const GgufFile& file) {
  uint64_t checksum = 0;
  for (const std::string& key : file.keys()) {
    const GgufValue* value = file.find(key);
    ASSERT_NE(value, nullptr);
    checksum += value->as_uint().ok() + value->as_int().ok() + value->as_float().ok() + value->as_bool().ok();
    if (Result<std::string_view> text = value->as_string(); text.ok()) {
      for (char c : text.value()) checksum += static_cast<uint8_t>(c);
    }
    if (auto strings = value->as_string_array(); strings.ok()) {
      for (std::string_view text : strings.value()) checksum += text.size() + (text.empty() ? 0 : text.back());
    }
    if (auto floats = value->as_float_array(); floats.ok()) checksum += floats->size();
    if (auto ints = value->as_int32_array(); ints.ok()) checksum += ints->size();
  }
  for (const GgufTensorInfo& info : file.tensors()) {
    for (uint64_t at = 0; at < info.n_bytes; ++at) checksum += info.data[at];
  }
  if (Result<LlamaConfig> config = read_llama_config(file); config.ok()) {
    if (Result<LlamaWeights> weights = bind_llama_weights(file, config.value()); weights.ok()) {
      checksum += weights->n_bytes;
    }
  }
  // Keeps the reads from being optimized away.
  volatile uint64_t sink = checksum;
  (void)sink;
}

std::vector<uint8_t> small_model_bytes() {
  const std::string path = test::temp_path("small.gguf");
  LlamaConfig config = test::tiny_config("qwen2");
  config.n_layer = 1;
  GgufWriter writer;
  test::add_llama_keys(writer, config);
  writer.add_bool("extra.bool", true);
  writer.add_float32_array("extra.floats", {1.0f, 2.0f});
  test::add_tensors(writer, test::llama_tensor_specs(config, tensor::DType::kQ8_0), 1);
  EXPECT_TRUE(writer.write(path).ok());
  std::vector<uint8_t> bytes = test::read_file_bytes(path);
  std::remove(path.c_str());
  return bytes;
}

TEST(GgufCorrupt, EveryTruncationFailsCleanly) {
  const std::vector<uint8_t> full = small_model_bytes();
  Result<GgufFile> whole = GgufFile::parse(full);
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  touch_everything(whole.value());
  uint64_t data_end = 0;  // end of the last tensor's bytes
  for (const GgufTensorInfo& info : whole->tensors()) {
    data_end = std::max<uint64_t>(data_end, static_cast<uint64_t>(info.data - full.data()) + info.n_bytes);
  }
  for (size_t size = 0; size < full.size(); ++size) {
    // An exact-size copy, so AddressSanitizer sees any read past the prefix.
    const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
    Result<GgufFile> file = GgufFile::parse(prefix);
    if (size < data_end) {
      ASSERT_FALSE(file.ok()) << "prefix of " << size << " bytes parsed";
      ASSERT_EQ(file.status().code(), ErrorCode::kDataLoss) << size << ": " << file.status().to_string();
    } else {
      ASSERT_TRUE(file.ok()) << "only padding is missing at " << size;
      touch_everything(file.value());
    }
  }
}

TEST(GgufCorrupt, RandomByteFlipsNeverCrash) {
  const std::vector<uint8_t> full = small_model_bytes();
  std::mt19937_64 rng(20240601);
  int n_parsed = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = full;
    const int n_flips = 1 + static_cast<int>(rng() % 4);
    for (int flip = 0; flip < n_flips; ++flip) {
      // Flips concentrate on the metadata and infos, where the structure is.
      const size_t at = (trial % 2 == 0) ? rng() % std::min<size_t>(bytes.size(), 1024) : rng() % bytes.size();
      bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    Result<GgufFile> file = GgufFile::parse(bytes);
    if (file.ok()) {
      ++n_parsed;
      touch_everything(file.value());
    } else {
      const ErrorCode code = file.status().code();
      ASSERT_TRUE(code == ErrorCode::kDataLoss || code == ErrorCode::kUnimplemented) << file.status().to_string();
      ASSERT_FALSE(file.status().message().empty());
    }
  }
  // Flips in tensor data leave the structure intact: some trials must still parse.
  EXPECT_GT(n_parsed, 0);
}

}  // namespace
}  // namespace hearth::model

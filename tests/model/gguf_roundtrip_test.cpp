// GgufWriter -> GgufFile round trips: every value type, arrays, many tensors of
// every dtype, alignment, and the writer's refusals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "llama_test_model.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"

namespace hearth::model {
namespace {

using tensor::DType;

struct FileCleanup {
  std::string path;
  ~FileCleanup() { ::unlink(path.c_str()); }
};

// Writes `writer` to a fresh file and opens it.
GgufFile write_and_open(const GgufWriter& writer, const std::string& path, uint32_t alignment = 32) {
  Status written = writer.write(path, alignment);
  EXPECT_TRUE(written.ok()) << written.to_string();
  Result<GgufFile> file = GgufFile::open(path);
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  return std::move(file).value();
}

TEST(GgufRoundTrip, EveryScalarType) {
  FileCleanup cleanup{test::temp_path("scalars.gguf")};
  GgufWriter writer;
  writer.add_uint8("u8", 250);
  writer.add_int8("i8", -100);
  writer.add_uint16("u16", 65000);
  writer.add_int16("i16", -32000);
  writer.add_uint32("u32", 4000000000u);
  writer.add_int32("i32", -2000000000);
  writer.add_uint64("u64", 18000000000000000000ull);
  writer.add_int64("i64", -9000000000000000000ll);
  writer.add_float32("f32", 3.25f);
  writer.add_float64("f64", 1.0 / 3.0);
  writer.add_bool("yes", true);
  writer.add_bool("no", false);
  writer.add_string("s", "héllo\n");
  writer.add_string("empty", "");
  writer.add_string("nul", std::string("a\0b", 3));
  GgufFile file = write_and_open(writer, cleanup.path);

  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  const std::vector<std::string> expected_keys = {"u8",  "i8",  "u16", "i16", "u32", "i32",   "u64", "i64",
                                                  "f32", "f64", "yes", "no",  "s",   "empty", "nul"};
  EXPECT_EQ(file.keys(), expected_keys);

  EXPECT_EQ(file.find("u8")->type(), GgufValueType::kUint8);
  EXPECT_EQ(file.get_uint("u8").value(), 250u);
  EXPECT_EQ(file.find("i8")->type(), GgufValueType::kInt8);
  EXPECT_EQ(file.find("i8")->as_int().value(), -100);
  EXPECT_EQ(file.find("u16")->type(), GgufValueType::kUint16);
  EXPECT_EQ(file.get_uint("u16").value(), 65000u);
  EXPECT_EQ(file.find("i16")->type(), GgufValueType::kInt16);
  EXPECT_EQ(file.find("i16")->as_int().value(), -32000);
  EXPECT_EQ(file.find("u32")->type(), GgufValueType::kUint32);
  EXPECT_EQ(file.get_uint("u32").value(), 4000000000u);
  EXPECT_EQ(file.find("i32")->type(), GgufValueType::kInt32);
  EXPECT_EQ(file.find("i32")->as_int().value(), -2000000000);
  EXPECT_EQ(file.find("u64")->type(), GgufValueType::kUint64);
  EXPECT_EQ(file.get_uint("u64").value(), 18000000000000000000ull);
  EXPECT_EQ(file.find("i64")->type(), GgufValueType::kInt64);
  EXPECT_EQ(file.find("i64")->as_int().value(), -9000000000000000000ll);
  EXPECT_EQ(file.find("f32")->type(), GgufValueType::kFloat32);
  EXPECT_EQ(file.get_float("f32").value(), 3.25);
  EXPECT_EQ(file.find("f64")->type(), GgufValueType::kFloat64);
  EXPECT_EQ(file.get_float("f64").value(), 1.0 / 3.0);
  EXPECT_TRUE(file.get_bool("yes").value());
  EXPECT_FALSE(file.get_bool("no").value());
  EXPECT_EQ(file.get_string("s").value(), "héllo\n");
  EXPECT_EQ(file.get_string("empty").value(), "");
  EXPECT_EQ(file.get_string("nul").value(), std::string_view("a\0b", 3));
}

TEST(GgufRoundTrip, NumericConversionsCheckRange) {
  FileCleanup cleanup{test::temp_path("conversions.gguf")};
  GgufWriter writer;
  writer.add_int8("negative", -1);
  writer.add_uint64("huge", std::numeric_limits<uint64_t>::max());
  writer.add_int32("int", 7);
  writer.add_string("text", "7");
  GgufFile file = write_and_open(writer, cleanup.path);

  EXPECT_EQ(file.get_uint("negative").status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(file.find("negative")->as_float().value(), -1.0);
  EXPECT_EQ(file.find("huge")->as_int().status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(file.get_float("huge").value(), 18446744073709551615.0);
  EXPECT_EQ(file.get_uint("int").value(), 7u);
  EXPECT_EQ(file.get_float("int").value(), 7.0);
  EXPECT_EQ(file.get_bool("int").status().code(), ErrorCode::kInvalidArgument);

  // Wrong types name the key; absent keys are kNotFound.
  Result<uint64_t> wrong = file.get_uint("text");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("'text'"), std::string::npos) << wrong.status().message();
  EXPECT_EQ(file.get_string("int").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(file.get_string_array("text").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(file.get_string("absent").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(file.find("absent"), nullptr);
}

TEST(GgufRoundTrip, Arrays) {
  FileCleanup cleanup{test::temp_path("arrays.gguf")};
  const std::vector<std::string> strings = {"a", "", "long string with spaces", std::string(1000, 'x')};
  const std::vector<float> floats = {1.5f, -2.25f, 0.0f, std::numeric_limits<float>::infinity()};
  const std::vector<int32_t> ints = {0, -1, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()};
  GgufWriter writer;
  writer.add_string_array("strings", strings);
  writer.add_string_array("no_strings", {});
  writer.add_float32_array("floats", floats);
  writer.add_int32_array("ints", ints);
  writer.add_int32_array("no_ints", {});
  GgufFile file = write_and_open(writer, cleanup.path);

  const GgufValue* value = file.find("strings");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->type(), GgufValueType::kArray);
  EXPECT_EQ(value->array_type(), GgufValueType::kString);
  EXPECT_EQ(value->array_size(), strings.size());
  std::vector<std::string_view> read_strings = file.get_string_array("strings").value();
  ASSERT_EQ(read_strings.size(), strings.size());
  for (size_t idx = 0; idx < strings.size(); ++idx) EXPECT_EQ(read_strings[idx], strings[idx]);
  EXPECT_TRUE(file.get_string_array("no_strings").value().empty());

  EXPECT_EQ(file.get_float_array("floats").value(), floats);
  EXPECT_EQ(file.get_int32_array("ints").value(), ints);
  EXPECT_TRUE(file.get_int32_array("no_ints").value().empty());
  // Integer arrays convert to floats; float arrays are not integers.
  std::vector<float> ints_as_floats = file.get_float_array("ints").value();
  for (size_t idx = 0; idx < ints.size(); ++idx) EXPECT_EQ(ints_as_floats[idx], static_cast<float>(ints[idx]));
  EXPECT_EQ(file.get_int32_array("floats").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(file.get_float_array("strings").status().code(), ErrorCode::kInvalidArgument);
  // Scalar accessors reject arrays.
  EXPECT_EQ(file.get_uint("ints").status().code(), ErrorCode::kInvalidArgument);
}

// Bytes of a tensor computed from ggml's published block sizes, independent of tensor::row_bytes.
uint64_t reference_bytes(DType dtype, const std::vector<int64_t>& dims) {
  struct Layout {
    DType dtype;
    uint64_t block_elems, block_bytes;
  };
  const Layout layouts[] = {{DType::kF32, 1, 4},      {DType::kF16, 1, 2},      {DType::kBF16, 1, 2},
                            {DType::kQ4_0, 32, 18},   {DType::kQ8_0, 32, 34},   {DType::kQ4_K, 256, 144},
                            {DType::kQ5_K, 256, 176}, {DType::kQ6_K, 256, 210}, {DType::kQ8_K, 256, 292}};
  uint64_t n_elements = 1;
  for (int64_t extent : dims) n_elements *= static_cast<uint64_t>(extent);
  for (const Layout& layout : layouts) {
    if (layout.dtype == dtype) return n_elements / layout.block_elems * layout.block_bytes;
  }
  ADD_FAILURE() << "no layout";
  return 0;
}

class GgufRoundTripAlignment : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufRoundTripAlignment, ManyTensorsOfEveryDtype) {
  const uint32_t alignment = GetParam();
  FileCleanup cleanup{test::temp_path("tensors.gguf")};
  const DType dtypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ8_0,
                          DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K};
  std::mt19937_64 rng(7);
  GgufWriter writer;
  writer.add_string("general.architecture", "test");
  struct Expected {
    std::string name;
    std::vector<int64_t> dims;
    DType dtype;
    std::vector<uint8_t> bytes;
  };
  std::vector<Expected> expected;
  for (int tensor_idx = 0; tensor_idx < 200; ++tensor_idx) {
    const DType dtype = dtypes[tensor_idx % std::size(dtypes)];
    const int64_t block = tensor::dtype_info(dtype).block_elems;
    std::vector<int64_t> dims = {block * static_cast<int64_t>(1 + rng() % 3)};
    const int n_dims = 1 + tensor_idx % 4;
    for (int dim_idx = 1; dim_idx < n_dims; ++dim_idx) dims.push_back(1 + static_cast<int64_t>(rng() % 3));
    std::vector<uint8_t> bytes(reference_bytes(dtype, dims));
    for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(rng());
    Expected entry{"t." + std::to_string(tensor_idx), dims, dtype, bytes};
    writer.add_tensor(entry.name, dims, dtype, std::move(bytes));
    expected.push_back(std::move(entry));
  }
  // One lazily filled tensor: fill runs once, with the tensor's size.
  int n_fills = 0;
  writer.add_tensor("lazy", {64, 2}, DType::kF16, [&n_fills](uint8_t* dst, uint64_t n_bytes) {
    ++n_fills;
    EXPECT_EQ(n_bytes, 256u);
    for (uint64_t at = 0; at < n_bytes; ++at) dst[at] = static_cast<uint8_t>(at * 3);
  });
  GgufFile file = write_and_open(writer, cleanup.path, alignment);
  EXPECT_EQ(n_fills, 1);

  EXPECT_EQ(file.alignment(), alignment);
  if (alignment != 32) {
    EXPECT_EQ(file.get_uint("general.alignment").value(), alignment);
  }
  ASSERT_EQ(file.tensors().size(), expected.size() + 1);
  for (size_t tensor_idx = 0; tensor_idx < expected.size(); ++tensor_idx) {
    const Expected& want = expected[tensor_idx];
    const GgufTensorInfo& info = file.tensors()[tensor_idx];
    EXPECT_EQ(&info, file.find_tensor(want.name));
    EXPECT_EQ(info.name, want.name);
    EXPECT_EQ(info.n_dims, static_cast<int>(want.dims.size()));
    for (int dim_idx = 0; dim_idx < 4; ++dim_idx) {
      const int64_t extent = dim_idx < static_cast<int>(want.dims.size()) ? want.dims[dim_idx] : 1;
      EXPECT_EQ(info.ne[dim_idx], extent) << want.name;
    }
    EXPECT_EQ(info.dtype, want.dtype);
    EXPECT_EQ(info.n_bytes, want.bytes.size());
    EXPECT_EQ(info.offset % alignment, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(info.data) % alignment, 0u);
    EXPECT_EQ(std::memcmp(info.data, want.bytes.data(), want.bytes.size()), 0) << want.name;
  }
  const GgufTensorInfo* lazy = file.find_tensor("lazy");
  ASSERT_NE(lazy, nullptr);
  EXPECT_EQ(lazy->n_elements(), 128);
  for (uint64_t at = 0; at < lazy->n_bytes; ++at) ASSERT_EQ(lazy->data[at], static_cast<uint8_t>(at * 3));
  EXPECT_EQ(file.find_tensor("absent"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Alignments, GgufRoundTripAlignment, ::testing::Values(32u, 1u, 8u, 64u, 4096u));

TEST(GgufRoundTrip, OpenKeepsWorkingAfterMove) {
  FileCleanup cleanup{test::temp_path("move.gguf")};
  GgufWriter writer;
  writer.add_string("k", "v");
  writer.add_tensor("t", {4}, DType::kF32, std::vector<uint8_t>(16, 0x3f));
  GgufFile first = write_and_open(writer, cleanup.path);
  GgufFile moved = std::move(first);
  EXPECT_EQ(moved.get_string("k").value(), "v");
  EXPECT_EQ(moved.find_tensor("t")->data[15], 0x3f);
}

TEST(GgufRoundTrip, ParseOfWrittenBytesMatchesOpen) {
  FileCleanup cleanup{test::temp_path("parse.gguf")};
  GgufWriter writer;
  writer.add_uint32("n", 5);
  writer.add_tensor("t", {32, 2}, DType::kQ8_0, std::vector<uint8_t>(68, 1));
  ASSERT_TRUE(writer.write(cleanup.path).ok());
  std::vector<uint8_t> bytes = test::read_file_bytes(cleanup.path);
  Result<GgufFile> file = GgufFile::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->file_bytes(), bytes.size());
  EXPECT_EQ(file->get_uint("n").value(), 5u);
  EXPECT_EQ(file->find_tensor("t")->data, bytes.data() + (bytes.size() - 96));  // 68 bytes padded to 96
}

TEST(GgufWriterErrors, RefusesBadInputAndLeavesNoFile) {
  struct Case {
    const char* what;
    std::function<void(GgufWriter&)> build;
    uint32_t alignment;
  };
  const Case cases[] = {
      {"duplicate key",
       [](GgufWriter& w) {
         w.add_uint32("k", 1);
         w.add_string("k", "x");
       },
       32},
      {"empty key", [](GgufWriter& w) { w.add_uint32("", 1); }, 32},
      {"alignment key", [](GgufWriter& w) { w.add_uint32("general.alignment", 64); }, 32},
      {"bad alignment", [](GgufWriter& w) { w.add_uint32("k", 1); }, 48},
      {"zero alignment", [](GgufWriter& w) { w.add_uint32("k", 1); }, 0},
      {"duplicate tensor",
       [](GgufWriter& w) {
         w.add_tensor("t", {1}, DType::kF32, std::vector<uint8_t>(4));
         w.add_tensor("t", {1}, DType::kF32, std::vector<uint8_t>(4));
       },
       32},
      {"long name",
       [](GgufWriter& w) { w.add_tensor(std::string(65, 'n'), {1}, DType::kF32, std::vector<uint8_t>(4)); }, 32},
      {"no dims", [](GgufWriter& w) { w.add_tensor("t", {}, DType::kF32, std::vector<uint8_t>()); }, 32},
      {"five dims",
       [](GgufWriter& w) {
         w.add_tensor("t", {1, 1, 1, 1, 1}, DType::kF32, std::vector<uint8_t>(4));
       },
       32},
      {"negative extent",
       [](GgufWriter& w) {
         w.add_tensor("t", {4, -1}, DType::kF32, std::vector<uint8_t>());
       },
       32},
      {"partial block", [](GgufWriter& w) { w.add_tensor("t", {48}, DType::kQ4_0, std::vector<uint8_t>(27)); }, 32},
      {"wrong byte count", [](GgufWriter& w) { w.add_tensor("t", {32}, DType::kQ8_0, std::vector<uint8_t>(33)); }, 32},
  };
  for (const Case& test_case : cases) {
    const std::string path = test::temp_path("refused.gguf");
    GgufWriter writer;
    test_case.build(writer);
    Status status = writer.write(path, test_case.alignment);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << test_case.what << ": " << status.to_string();
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << test_case.what;
    EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0) << test_case.what;
  }
}

TEST(GgufWriter, ReplacesAnExistingFileAndLeavesNoTemporary) {
  FileCleanup cleanup{test::temp_path("replace.gguf")};
  GgufWriter first;
  first.add_uint32("generation", 1);
  ASSERT_TRUE(first.write(cleanup.path).ok());
  GgufWriter second;
  second.add_uint32("generation", 2);
  ASSERT_TRUE(second.write(cleanup.path).ok());
  EXPECT_NE(::access((cleanup.path + ".tmp").c_str(), F_OK), 0);
  EXPECT_EQ(GgufFile::open(cleanup.path)->get_uint("generation").value(), 2u);
}

TEST(GgufWriter, UnwritableDirectoryIsAnIoError) {
  GgufWriter writer;
  writer.add_uint32("k", 1);
  EXPECT_EQ(writer.write("/nonexistent-dir/x.gguf").code(), ErrorCode::kIo);
}

TEST(GgufOpen, ReportsMissingEmptyAndNonRegularFiles) {
  EXPECT_EQ(GgufFile::open("/nonexistent/model.gguf").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(GgufFile::open("/tmp").status().code(), ErrorCode::kInvalidArgument);
  FileCleanup cleanup{test::temp_path("empty.gguf")};
  {
    std::FILE* f = std::fopen(cleanup.path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  Result<GgufFile> empty = GgufFile::open(cleanup.path);
  EXPECT_EQ(empty.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(empty.status().message().find(cleanup.path), std::string::npos);
}

}  // namespace
}  // namespace hearth::model

// Writes the fuzz seed corpus: a few tiny valid GGUF files (llama and qwen2
// models, a metadata-heavy file) and truncated copies of one of them. Names
// carry no .gguf suffix, which .gitignore reserves for model files.
//   make_gguf_corpus fuzz/corpus/gguf
#include <cstdio>
#include <fstream>
#include <string>

#include "../tests/model/llama_test_model.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"

namespace {

using hearth::model::GgufWriter;
using hearth::model::LlamaConfig;
using hearth::tensor::DType;
namespace test = hearth::model::test;

bool write(const GgufWriter& writer, const std::string& path, uint32_t alignment = 32) {
  hearth::Status status = writer.write(path, alignment);
  if (!status.ok()) std::fprintf(stderr, "%s: %s\n", path.c_str(), status.to_string().c_str());
  return status.ok();
}

bool write_model(const std::string& path, LlamaConfig config, DType matrix_dtype, bool rope_freqs) {
  config.n_layer = 1;
  GgufWriter writer;
  test::add_llama_keys(writer, config);
  std::vector<test::TensorSpec> specs = test::llama_tensor_specs(config, matrix_dtype);
  if (rope_freqs) specs.push_back({"rope_freqs.weight", {config.head_dim / 2}, DType::kF32});
  test::add_tensors(writer, specs, 11);
  return write(writer, path);
}

bool write_metadata(const std::string& path) {
  GgufWriter writer;
  writer.add_uint8("t.u8", 200);
  writer.add_int8("t.i8", -3);
  writer.add_uint16("t.u16", 60000);
  writer.add_int16("t.i16", -300);
  writer.add_uint32("t.u32", 7);
  writer.add_int32("t.i32", -7);
  writer.add_uint64("t.u64", 1ull << 40);
  writer.add_int64("t.i64", -(1ll << 40));
  writer.add_float32("t.f32", 0.25f);
  writer.add_float64("t.f64", 1e-300);
  writer.add_bool("t.bool", true);
  writer.add_string("t.string", "text");
  writer.add_string_array("t.strings", {"a", "", "ccc"});
  writer.add_float32_array("t.floats", {1.0f, -2.0f});
  writer.add_int32_array("t.ints", {1, -2, 3});
  writer.add_tensor("f16", {4, 2}, DType::kF16, std::vector<uint8_t>(16, 0x3c));
  writer.add_tensor("q4_0", {32}, DType::kQ4_0, std::vector<uint8_t>(18, 0x11));
  writer.add_tensor("q4_k", {256}, DType::kQ4_K, std::vector<uint8_t>(144, 0x22));
  return write(writer, path, 8);
}

bool write_prefix(const std::string& from, const std::string& to, size_t n_bytes) {
  const std::vector<uint8_t> bytes = test::read_file_bytes(from);
  if (n_bytes > bytes.size()) return false;
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n_bytes));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  LlamaConfig qwen2 = test::tiny_config("qwen2");
  qwen2.tied_output = true;
  bool ok = write_model(dir + "/valid_llama_model", test::tiny_config("llama"), DType::kQ4_0, true) &&
            write_model(dir + "/valid_qwen2_model", qwen2, DType::kQ8_0, false) &&
            write_metadata(dir + "/valid_metadata");
  if (!ok) return 1;
  // Cut inside the metadata, inside the tensor infos and inside the data.
  const std::string source = dir + "/valid_llama_model";
  const std::vector<uint8_t> bytes = test::read_file_bytes(source);
  hearth::Result<hearth::model::GgufFile> file = hearth::model::GgufFile::parse(bytes);
  if (!file.ok()) return 1;
  const size_t data_start = static_cast<size_t>(file->tensors().front().data - bytes.data());
  for (size_t n_bytes : {size_t{40}, data_start / 2, data_start - 8, data_start + 100}) {
    ok = ok && write_prefix(source, dir + "/truncated_llama_" + std::to_string(n_bytes), n_bytes);
  }
  return ok ? 0 : 1;
}

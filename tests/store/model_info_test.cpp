// inspect's facts from a GGUF header.
#include <gtest/gtest.h>

#include "model/gguf.h"
#include "store/model_info.h"
#include "store_test_files.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

class ModelInfoTest : public test::StoreFilesTest {};

TEST_F(ModelInfoTest, DescribesATinyLlama) {
  const model::LlamaConfig config = model::test::tiny_config("llama");
  model::GgufWriter writer;
  model::test::add_llama_keys(writer, config);
  writer.add_uint32("general.file_type", 7);
  writer.add_string("tokenizer.ggml.model", "gpt2");
  writer.add_string("tokenizer.chat_template", "{{ messages }}");
  const auto specs = model::test::llama_tensor_specs(config, tensor::DType::kQ8_0);
  model::test::add_tensors(writer, specs, 1);
  const std::string path = root_ + "/nas/info.gguf";
  ASSERT_TRUE(writer.write(path).ok());
  const Result<model::GgufFile> file = model::GgufFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();

  const ModelInfo info = describe_model(*file);
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.gguf_version, 3u);
  EXPECT_EQ(info.file_bytes, fs::file_size(path));
  int64_t n_params = 0;
  for (const auto& spec : specs) {
    int64_t n_elems = 1;
    for (int64_t dim : spec.dims) n_elems *= dim;
    n_params += n_elems;
  }
  EXPECT_EQ(info.n_params, n_params);
  EXPECT_EQ(info.n_tensors, static_cast<int64_t>(specs.size()));
  int64_t n_counted = 0;
  for (const auto& [type, count] : info.tensor_types) n_counted += count;
  EXPECT_EQ(n_counted, info.n_tensors);
  EXPECT_EQ(info.main_tensor_type, "q8_0");
  EXPECT_EQ(info.file_type, "Q8_0");
  EXPECT_EQ(info.n_ctx_train, config.n_ctx_train);
  EXPECT_EQ(info.n_embd, config.n_embd);
  EXPECT_EQ(info.n_layer, config.n_layer);
  EXPECT_EQ(info.n_head, config.n_head);
  EXPECT_EQ(info.n_head_kv, config.n_head_kv);
  EXPECT_EQ(info.n_ff, config.n_ff);
  EXPECT_EQ(info.tokenizer_model, "gpt2");
  EXPECT_EQ(info.n_vocab, config.n_vocab);
  EXPECT_TRUE(info.has_chat_template);
}

TEST(FileTypeLabelTest, KnownAndUnknownIds) {
  EXPECT_EQ(file_type_label(15), "Q4_K_M");
  EXPECT_EQ(file_type_label(32), "BF16");
  EXPECT_EQ(file_type_label(4), "");  // retired id
  EXPECT_EQ(file_type_label(-1), "");
}

}  // namespace
}  // namespace hearth::store

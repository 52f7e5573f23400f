// read_llama_config and bind_llama_weights on files written by GgufWriter:
// good models bind; each missing or mis-shaped tensor and each bad key is a
// clear error naming it.
#include "model/llama_arch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <functional>

#include "llama_test_model.h"
#include "model/gguf_writer.h"
#include "model/shape_catalog.h"

// GCC 12 warns about designated initializers that omit members even when
// those members have default initializers (fixed in GCC 13); the edits below
// read best as designated initializers.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using tensor::DType;
using test::TensorSpec;

struct ModelEdit {
  DType matrix_dtype = DType::kQ8_0;
  std::set<std::string> skip_keys;
  std::function<void(GgufWriter&)> add_keys;
  std::function<void(std::vector<TensorSpec>&)> edit_tensors;
};

// Writes a model for `config` with `edit` applied and opens it (the path is
// unlinked at once; the mapping keeps the bytes).
GgufFile make_model(const LlamaConfig& config, const ModelEdit& edit = {}) {
  const std::string path = test::temp_path("llama.gguf");
  GgufWriter writer;
  test::add_llama_keys(writer, config, edit.skip_keys);
  if (edit.add_keys) edit.add_keys(writer);
  std::vector<TensorSpec> specs = test::llama_tensor_specs(config, edit.matrix_dtype);
  if (edit.edit_tensors) edit.edit_tensors(specs);
  test::add_tensors(writer, specs, 3);
  Status written = writer.write(path);
  EXPECT_TRUE(written.ok()) << written.to_string();
  Result<GgufFile> file = GgufFile::open(path);
  ::unlink(path.c_str());
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  return std::move(file).value();
}

// read_llama_config then bind_llama_weights; the first failure.
Status load(const GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(LlamaConfig config, read_llama_config(file));
  return bind_llama_weights(file, config).status();
}

void expect_error(const Status& status, ErrorCode code, const std::string& fragment) {
  EXPECT_EQ(status.code(), code) << status.to_string();
  EXPECT_NE(status.message().find(fragment), std::string::npos)
      << "message: " << status.message() << "\nexpected to contain: " << fragment;
}

void expect_view(const tensor::WeightView& view, const GgufFile& file, const std::string& name, int64_t n_rows,
                 int64_t n_cols) {
  const GgufTensorInfo* info = file.find_tensor(name);
  ASSERT_NE(info, nullptr) << name;
  EXPECT_EQ(view.data, info->data) << name;
  EXPECT_EQ(view.dtype, info->dtype) << name;
  EXPECT_EQ(view.n_rows, n_rows) << name;
  EXPECT_EQ(view.n_cols, n_cols) << name;
}

// write_llama_config is read_llama_config's inverse, for every field it carries.
TEST(LlamaArch, WrittenConfigReadsBackEqual) {
  LlamaConfig llama;
  llama.arch = "llama";
  llama.n_vocab = 64;
  llama.n_ctx_train = 1024;
  llama.n_embd = 64;
  llama.n_layer = 2;
  llama.n_head = 4;
  llama.n_head_kv = 2;
  llama.head_dim = 32;  // not n_embd / n_head: key_length must be written
  llama.n_ff = 96;
  llama.rms_eps = 1e-6f;
  llama.rope_theta = 500000.0f;
  llama.rope_scaling = {RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 512};
  LlamaConfig qwen2 = llama;
  qwen2.arch = "qwen2";
  qwen2.head_dim = 16;
  qwen2.rope_neox = true;
  qwen2.has_qkv_bias = true;
  qwen2.rope_scaling = {RopeScalingType::kLinear, 2.0f};
  for (const LlamaConfig& config : {llama, qwen2}) {
    SCOPED_TRACE(config.arch);
    const std::string path = test::temp_path("roundtrip.gguf");
    GgufWriter writer;
    write_llama_config(config, writer);
    test::add_tensors(writer, test::llama_tensor_specs(config, DType::kF32), 3);
    ASSERT_TRUE(writer.write(path).ok());
    Result<GgufFile> file = GgufFile::open(path);
    ::unlink(path.c_str());
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    Result<LlamaConfig> read = read_llama_config(*file);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    EXPECT_EQ(read->arch, config.arch);
    EXPECT_EQ(read->n_vocab, config.n_vocab);
    EXPECT_EQ(read->n_ctx_train, config.n_ctx_train);
    EXPECT_EQ(read->n_embd, config.n_embd);
    EXPECT_EQ(read->n_layer, config.n_layer);
    EXPECT_EQ(read->n_head, config.n_head);
    EXPECT_EQ(read->n_head_kv, config.n_head_kv);
    EXPECT_EQ(read->head_dim, config.head_dim);
    EXPECT_EQ(read->n_ff, config.n_ff);
    EXPECT_EQ(read->rms_eps, config.rms_eps);
    EXPECT_EQ(read->rope_theta, config.rope_theta);
    EXPECT_EQ(read->rope_neox, config.rope_neox);
    EXPECT_EQ(read->has_qkv_bias, config.has_qkv_bias);
    if (config.rope_scaling.type == RopeScalingType::kLlama3) {
      // Written as llama.cpp does: the rope_freqs.weight tensor, which binding hands to the engine.
      EXPECT_EQ(read->rope_scaling.type, RopeScalingType::kNone);
      EXPECT_EQ(file->find("llama.rope.scaling.type"), nullptr);
      ASSERT_NE(file->find_tensor("rope_freqs.weight"), nullptr);
      Result<LlamaWeights> weights = bind_llama_weights(*file, *read);
      ASSERT_TRUE(weights.ok()) << weights.status().to_string();
      EXPECT_NE(weights->rope_freqs, nullptr);
    } else {
      EXPECT_EQ(read->rope_scaling.type, config.rope_scaling.type);
      EXPECT_EQ(read->rope_scaling.factor, config.rope_scaling.factor);
    }
  }
}

TEST(LlamaArch, GoodLlamaModelBinds) {
  const LlamaConfig want = test::tiny_config("llama");
  GgufFile file = make_model(want);
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->arch, "llama");
  EXPECT_EQ(config->n_vocab, 8);
  EXPECT_EQ(config->n_ctx_train, 128);
  EXPECT_EQ(config->n_embd, 32);
  EXPECT_EQ(config->n_layer, 2);
  EXPECT_EQ(config->n_head, 4);
  EXPECT_EQ(config->n_head_kv, 2);
  EXPECT_EQ(config->head_dim, 8);
  EXPECT_EQ(config->n_ff, 64);
  EXPECT_FLOAT_EQ(config->rms_eps, 1e-5f);
  EXPECT_FLOAT_EQ(config->rope_theta, 10000.0f);
  EXPECT_FALSE(config->rope_neox);
  EXPECT_FALSE(config->has_qkv_bias);
  EXPECT_FALSE(config->tied_output);
  EXPECT_EQ(config->rope_scaling.type, RopeScalingType::kNone);

  Result<LlamaWeights> weights = bind_llama_weights(file, config.value());
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  expect_view(weights->token_embd, file, "token_embd.weight", 8, 32);
  expect_view(weights->output, file, "output.weight", 8, 32);
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(weights->output_norm), file.find_tensor("output_norm.weight")->data);
  EXPECT_EQ(weights->rope_freqs, nullptr);
  ASSERT_EQ(weights->layers.size(), 2u);
  for (int layer_idx = 0; layer_idx < 2; ++layer_idx) {
    const LlamaLayerWeights& layer = weights->layers[layer_idx];
    const std::string blk = "blk." + std::to_string(layer_idx) + ".";
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(layer.attn_norm), file.find_tensor(blk + "attn_norm.weight")->data);
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(layer.ffn_norm), file.find_tensor(blk + "ffn_norm.weight")->data);
    expect_view(layer.wq, file, blk + "attn_q.weight", 32, 32);
    expect_view(layer.wk, file, blk + "attn_k.weight", 16, 32);
    expect_view(layer.wv, file, blk + "attn_v.weight", 16, 32);
    expect_view(layer.wo, file, blk + "attn_output.weight", 32, 32);
    expect_view(layer.w_gate, file, blk + "ffn_gate.weight", 64, 32);
    expect_view(layer.w_up, file, blk + "ffn_up.weight", 64, 32);
    expect_view(layer.w_down, file, blk + "ffn_down.weight", 32, 64);
    EXPECT_EQ(layer.bq, nullptr);
  }
  // Every tensor is bound, so n_bytes is their sum, counted independently here.
  uint64_t expected_bytes = 0;
  for (const GgufTensorInfo& info : file.tensors()) {
    const uint64_t n_blocks = static_cast<uint64_t>(info.n_elements()) / 32;  // Q8_0 matrices, F32 vectors
    expected_bytes += info.dtype == DType::kQ8_0 ? n_blocks * 34 : static_cast<uint64_t>(info.n_elements()) * 4;
  }
  EXPECT_EQ(weights->n_bytes, expected_bytes);
}

TEST(LlamaArch, Qwen2WithBiasesAndTiedOutputBinds) {
  LlamaConfig want = test::tiny_config("qwen2");
  want.tied_output = true;
  GgufFile file = make_model(want);
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_TRUE(config->rope_neox);
  EXPECT_TRUE(config->has_qkv_bias);
  EXPECT_TRUE(config->tied_output);
  EXPECT_FLOAT_EQ(config->rope_theta, 1e6f);
  Result<LlamaWeights> weights = bind_llama_weights(file, config.value());
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  EXPECT_EQ(weights->output.data, weights->token_embd.data);
  EXPECT_EQ(weights->output.n_rows, 8);
  for (const LlamaLayerWeights& layer : weights->layers) {
    ASSERT_NE(layer.bq, nullptr);
    ASSERT_NE(layer.bk, nullptr);
    ASSERT_NE(layer.bv, nullptr);
    EXPECT_GE(layer.bq[31], 0.5f);  // add_tensors writes F32 values in [0.5, 1.5)
    EXPECT_LT(layer.bk[15], 1.5f);
  }
  // The embedding is counted once although it also serves as the output.
  uint64_t total = 0;
  for (const GgufTensorInfo& info : file.tensors()) total += info.n_bytes;
  EXPECT_EQ(weights->n_bytes, total);
}

TEST(LlamaArch, EveryMatrixDtypeBinds) {
  LlamaConfig want = test::tiny_config("llama");
  want.n_embd = 256;
  want.head_dim = 64;
  want.n_ff = 512;
  want.n_layer = 1;
  for (DType dtype :
       {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    GgufFile file = make_model(want, {.matrix_dtype = dtype});
    Result<LlamaConfig> config = read_llama_config(file);
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    Result<LlamaWeights> weights = bind_llama_weights(file, config.value());
    ASSERT_TRUE(weights.ok()) << weights.status().to_string();
    EXPECT_EQ(weights->layers[0].w_down.dtype, dtype);
    EXPECT_EQ(weights->layers[0].w_down.n_cols, 512);
  }
  GgufFile q8_k = make_model(want, {.matrix_dtype = DType::kQ8_K});
  expect_error(load(q8_k), ErrorCode::kUnimplemented, "q8_k");
}

TEST(LlamaArch, ExplicitKeyLengthSetsHeadDim) {
  LlamaConfig want = test::tiny_config("llama");
  want.head_dim = 16;  // q_dim 64 != n_embd 32
  GgufFile file = make_model(want);
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->head_dim, 16);
  Result<LlamaWeights> weights = bind_llama_weights(file, config.value());
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  EXPECT_EQ(weights->layers[0].wq.n_rows, 64);
  EXPECT_EQ(weights->layers[0].wo.n_cols, 64);
}

TEST(LlamaArch, EachMissingTensorIsNamed) {
  for (const std::string arch : {"llama", "qwen2"}) {
    const LlamaConfig config = test::tiny_config(arch);
    for (const TensorSpec& spec : test::llama_tensor_specs(config, DType::kQ8_0)) {
      if (spec.name == "output.weight") continue;  // its absence means a tied output (tested above)
      GgufFile file = make_model(config, {.edit_tensors = [&](std::vector<TensorSpec>& specs) {
                                   std::erase_if(specs, [&](const TensorSpec& s) { return s.name == spec.name; });
                                 }});
      expect_error(load(file), ErrorCode::kDataLoss, "lacks tensor '" + spec.name + "'");
    }
  }
}

TEST(LlamaArch, EachMisShapedTensorIsNamed) {
  const LlamaConfig config = test::tiny_config("qwen2");
  for (const TensorSpec& spec : test::llama_tensor_specs(config, DType::kQ8_0)) {
    GgufFile file = make_model(config, {.edit_tensors = [&](std::vector<TensorSpec>& specs) {
                                 for (TensorSpec& s : specs) {
                                   if (s.name == spec.name) s.dims[0] += s.dtype == DType::kF32 ? 1 : 32;
                                 }
                               }});
    expect_error(load(file), ErrorCode::kDataLoss, "tensor '" + spec.name + "' has shape");
  }
  // A transposed matrix (ne[0] must be the input width).
  GgufFile transposed =
      make_model(config, {.matrix_dtype = DType::kF32, .edit_tensors = [](std::vector<TensorSpec>& s) {
                            for (TensorSpec& spec : s) {
                              if (spec.name == "blk.1.attn_k.weight") spec.dims = {16, 32};
                            }
                          }});
  expect_error(load(transposed), ErrorCode::kDataLoss,
               "'blk.1.attn_k.weight' has shape [16, 32, 1, 1], expected [32, 16");
  // An extra dimension.
  GgufFile three_d = make_model(config, {.edit_tensors = [](std::vector<TensorSpec>& s) {
                                  for (TensorSpec& spec : s) {
                                    if (spec.name == "blk.0.ffn_up.weight") spec.dims = {32, 32, 2};
                                  }
                                }});
  expect_error(load(three_d), ErrorCode::kDataLoss, "'blk.0.ffn_up.weight' has shape [32, 32, 2, 1]");
}

TEST(LlamaArch, NormsAndBiasesMustBeF32) {
  const LlamaConfig config = test::tiny_config("qwen2");
  for (const std::string name : {"output_norm.weight", "blk.0.attn_norm.weight", "blk.1.attn_v.bias"}) {
    GgufFile file = make_model(config, {.edit_tensors = [&](std::vector<TensorSpec>& specs) {
                                 for (TensorSpec& s : specs) {
                                   if (s.name == name) s.dtype = DType::kF16;
                                 }
                               }});
    expect_error(load(file), ErrorCode::kDataLoss, "tensor '" + name + "' is f16");
  }
}

TEST(LlamaArch, UnusedTensorIsUnimplemented) {
  const LlamaConfig config = test::tiny_config("llama");
  GgufFile file = make_model(config, {.edit_tensors = [](std::vector<TensorSpec>& specs) {
                               specs.push_back({"blk.0.attn_q.bias", {32}, DType::kF32});
                             }});
  expect_error(load(file), ErrorCode::kUnimplemented, "'blk.0.attn_q.bias' is not part");
  GgufFile extra_layer = make_model(config, {.edit_tensors = [](std::vector<TensorSpec>& specs) {
                                      specs.push_back({"blk.2.attn_norm.weight", {32}, DType::kF32});
                                    }});
  expect_error(load(extra_layer), ErrorCode::kUnimplemented, "'blk.2.attn_norm.weight'");
}

TEST(LlamaArch, RopeFreqsTensorIsBoundAndChecked) {
  const LlamaConfig config = test::tiny_config("llama");
  GgufFile file = make_model(config, {.edit_tensors = [](std::vector<TensorSpec>& specs) {
                               specs.push_back({"rope_freqs.weight", {4}, DType::kF32});
                             }});
  Result<LlamaConfig> read = read_llama_config(file);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  Result<LlamaWeights> weights = bind_llama_weights(file, read.value());
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  ASSERT_NE(weights->rope_freqs, nullptr);
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(weights->rope_freqs), file.find_tensor("rope_freqs.weight")->data);

  const std::string path = test::temp_path("zero_freq.gguf");
  GgufWriter writer;
  test::add_llama_keys(writer, config);
  test::add_tensors(writer, test::llama_tensor_specs(config, DType::kQ8_0), 3);
  const float factors[4] = {1.0f, 2.0f, 0.0f, 8.0f};
  writer.add_tensor("rope_freqs.weight", {4}, DType::kF32,
                    std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(factors),
                                         reinterpret_cast<const uint8_t*>(factors) + sizeof(factors)));
  ASSERT_TRUE(writer.write(path).ok());
  Result<GgufFile> zero = GgufFile::open(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(zero.ok());
  expect_error(load(zero.value()), ErrorCode::kDataLoss, "rope_freqs.weight[2]");

  // An older hearth file's llama3 keys and the tensor together: which one is meant is unclear.
  RopeScaling llama3;
  llama3.type = RopeScalingType::kLlama3;
  llama3.factor = 8.0f;
  GgufFile both =
      make_model(config, {.add_keys = [&](GgufWriter& w) { test::add_legacy_llama3_keys(w, "llama", llama3); },
                          .edit_tensors =
                              [](std::vector<TensorSpec>& specs) {
                                specs.push_back({"rope_freqs.weight", {4}, DType::kF32});
                              }});
  expect_error(load(both), ErrorCode::kDataLoss, "both");
}

TEST(LlamaArch, DefaultsForOptionalKeys) {
  LlamaConfig want = test::tiny_config("llama");
  want.n_head_kv = want.n_head;
  GgufFile file = make_model(want, {.skip_keys = {"llama.attention.head_count_kv", "llama.rope.freq_base"}});
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->n_head_kv, 4);
  EXPECT_FLOAT_EQ(config->rope_theta, 10000.0f);
  EXPECT_TRUE(bind_llama_weights(file, config.value()).ok());
}

// Files hearth wrote before it followed llama.cpp (llama3 scaling as keys,
// not as rope_freqs.weight) still load, with the scaling the keys state.
TEST(LlamaArch, RopeScalingKeys) {
  const LlamaConfig want = test::tiny_config("llama");
  RopeScaling scaling;
  scaling.type = RopeScalingType::kLlama3;
  scaling.factor = 32.0f;
  scaling.low_freq_factor = 2.0f;
  scaling.high_freq_factor = 8.0f;
  scaling.original_context = 4096;
  const auto legacy_keys = [&](std::set<std::string> skip) {
    return [&scaling, skip](GgufWriter& w) { test::add_legacy_llama3_keys(w, "llama", scaling, skip); };
  };
  Result<LlamaConfig> llama3 = read_llama_config(make_model(want, {.add_keys = legacy_keys({})}));
  ASSERT_TRUE(llama3.ok()) << llama3.status().to_string();
  EXPECT_EQ(llama3->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_FLOAT_EQ(llama3->rope_scaling.factor, 32.0f);
  EXPECT_FLOAT_EQ(llama3->rope_scaling.low_freq_factor, 2.0f);
  EXPECT_FLOAT_EQ(llama3->rope_scaling.high_freq_factor, 8.0f);
  EXPECT_EQ(llama3->rope_scaling.original_context, 4096);

  // llama3 with only the factor: Llama 3.1's published defaults.
  Result<LlamaConfig> defaults = read_llama_config(make_model(
      want, {.add_keys = legacy_keys({"llama.rope.scaling.low_freq_factor", "llama.rope.scaling.high_freq_factor",
                                      "llama.rope.scaling.original_context_length"})}));
  ASSERT_TRUE(defaults.ok()) << defaults.status().to_string();
  EXPECT_FLOAT_EQ(defaults->rope_scaling.low_freq_factor, 1.0f);
  EXPECT_FLOAT_EQ(defaults->rope_scaling.high_freq_factor, 4.0f);
  EXPECT_EQ(defaults->rope_scaling.original_context, 8192);

  LlamaConfig linear_config = test::tiny_config("llama");
  linear_config.rope_scaling.type = RopeScalingType::kLinear;
  linear_config.rope_scaling.factor = 4.0f;
  Result<LlamaConfig> linear = read_llama_config(make_model(linear_config));
  ASSERT_TRUE(linear.ok()) << linear.status().to_string();
  EXPECT_EQ(linear->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_FLOAT_EQ(linear->rope_scaling.factor, 4.0f);

  // Older files: linear scaling as "<arch>.rope.scale_linear".
  Result<LlamaConfig> legacy = read_llama_config(make_model(
      test::tiny_config("llama"), {.add_keys = [](GgufWriter& w) { w.add_float32("llama.rope.scale_linear", 2.0f); }}));
  ASSERT_TRUE(legacy.ok()) << legacy.status().to_string();
  EXPECT_EQ(legacy->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_FLOAT_EQ(legacy->rope_scaling.factor, 2.0f);

  Result<LlamaConfig> none = read_llama_config(make_model(test::tiny_config("llama"), {.add_keys = [](GgufWriter& w) {
                                                            w.add_string("llama.rope.scaling.type", "none");
                                                          }}));
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_EQ(none->rope_scaling.type, RopeScalingType::kNone);
}

struct KeyCase {
  const char* what;
  std::set<std::string> skip;
  std::function<void(GgufWriter&)> add;
  ErrorCode code;
  const char* fragment;
};

TEST(LlamaArch, BadKeysAreNamed) {
  auto u32 = [](const char* key, uint32_t value) { return [key, value](GgufWriter& w) { w.add_uint32(key, value); }; };
  auto f32 = [](const char* key, float value) { return [key, value](GgufWriter& w) { w.add_float32(key, value); }; };
  auto str = [](const char* key, const char* value) {
    return [key, value](GgufWriter& w) { w.add_string(key, value); };
  };
  const KeyCase cases[] = {
      {"no architecture", {"general.architecture"}, nullptr, ErrorCode::kDataLoss, "'general.architecture'"},
      {"arch not a string",
       {"general.architecture"},
       u32("general.architecture", 1),
       ErrorCode::kDataLoss,
       "'general.architecture'"},
      {"unknown arch",
       {"general.architecture"},
       str("general.architecture", "gpt2"),
       ErrorCode::kUnimplemented,
       "'gpt2'"},
      {"no context length", {"llama.context_length"}, nullptr, ErrorCode::kDataLoss, "'llama.context_length'"},
      {"no embedding length", {"llama.embedding_length"}, nullptr, ErrorCode::kDataLoss, "'llama.embedding_length'"},
      {"no block count", {"llama.block_count"}, nullptr, ErrorCode::kDataLoss, "'llama.block_count'"},
      {"no ff length", {"llama.feed_forward_length"}, nullptr, ErrorCode::kDataLoss, "'llama.feed_forward_length'"},
      {"no head count", {"llama.attention.head_count"}, nullptr, ErrorCode::kDataLoss, "'llama.attention.head_count'"},
      {"no rms eps",
       {"llama.attention.layer_norm_rms_epsilon"},
       nullptr,
       ErrorCode::kDataLoss,
       "'llama.attention.layer_norm_rms_epsilon'"},
      {"block count is a string",
       {"llama.block_count"},
       str("llama.block_count", "2"),
       ErrorCode::kDataLoss,
       "'llama.block_count' value is string"},
      {"zero context",
       {"llama.context_length"},
       u32("llama.context_length", 0),
       ErrorCode::kDataLoss,
       "'llama.context_length' is 0"},
      {"too many layers",
       {"llama.block_count"},
       u32("llama.block_count", 5000),
       ErrorCode::kDataLoss,
       "'llama.block_count' is 5000"},
      {"kv heads do not divide",
       {"llama.attention.head_count_kv"},
       u32("llama.attention.head_count_kv", 3),
       ErrorCode::kDataLoss,
       "does not divide"},
      {"more kv heads than heads",
       {"llama.attention.head_count_kv"},
       u32("llama.attention.head_count_kv", 8),
       ErrorCode::kDataLoss,
       "'llama.attention.head_count_kv' is 8"},
      {"odd head dim", {}, u32("llama.attention.key_length", 7), ErrorCode::kDataLoss, "not even"},
      {"embd not a multiple of heads",
       {"llama.attention.head_count", "llama.attention.head_count_kv"},
       u32("llama.attention.head_count", 3),
       ErrorCode::kDataLoss,
       "'llama.attention.key_length', and its default embedding_length / attention.head_count = 10.666667 is not "
       "a whole number"},
      {"zero rms eps",
       {"llama.attention.layer_norm_rms_epsilon"},
       f32("llama.attention.layer_norm_rms_epsilon", 0.0f),
       ErrorCode::kDataLoss,
       "'llama.attention.layer_norm_rms_epsilon' is 0"},
      {"nan rms eps",
       {"llama.attention.layer_norm_rms_epsilon"},
       f32("llama.attention.layer_norm_rms_epsilon", std::numeric_limits<float>::quiet_NaN()),
       ErrorCode::kDataLoss,
       "layer_norm_rms_epsilon"},
      {"negative freq base",
       {"llama.rope.freq_base"},
       f32("llama.rope.freq_base", -1.0f),
       ErrorCode::kDataLoss,
       "'llama.rope.freq_base'"},
      {"experts", {}, u32("llama.expert_count", 8), ErrorCode::kUnimplemented, "mixture-of-experts"},
      {"yarn", {}, str("llama.rope.scaling.type", "yarn"), ErrorCode::kUnimplemented, "'yarn'"},
      {"linear without factor",
       {},
       str("llama.rope.scaling.type", "linear"),
       ErrorCode::kDataLoss,
       "'llama.rope.scaling.factor'"},
      {"partial rotary",
       {"llama.rope.dimension_count"},
       u32("llama.rope.dimension_count", 4),
       ErrorCode::kUnimplemented,
       "partial rotary"},
      {"value length differs", {}, u32("llama.attention.value_length", 16), ErrorCode::kUnimplemented, "value_length"},
      {"vocab size differs",
       {"llama.vocab_size"},
       u32("llama.vocab_size", 9),
       ErrorCode::kDataLoss,
       "'llama.vocab_size' is 9, but hearth's llama graph needs 8"},
      {"more tokens than rows",
       {"tokenizer.ggml.tokens"},
       [](GgufWriter& w) { w.add_string_array("tokenizer.ggml.tokens", std::vector<std::string>(9, "t")); },
       ErrorCode::kDataLoss,
       "9 tokens"},
      {"tokens not an array",
       {"tokenizer.ggml.tokens"},
       str("tokenizer.ggml.tokens", "abc"),
       ErrorCode::kDataLoss,
       "'tokenizer.ggml.tokens'"},
  };
  for (const KeyCase& key_case : cases) {
    SCOPED_TRACE(key_case.what);
    GgufFile file = make_model(test::tiny_config("llama"), {.skip_keys = key_case.skip, .add_keys = key_case.add});
    expect_error(read_llama_config(file).status(), key_case.code, key_case.fragment);
  }
  // llama3 keys need high_freq_factor > low_freq_factor.
  RopeScaling bad_llama3;
  bad_llama3.type = RopeScalingType::kLlama3;
  bad_llama3.low_freq_factor = 4.0f;
  bad_llama3.high_freq_factor = 4.0f;
  expect_error(
      read_llama_config(
          make_model(test::tiny_config("llama"),
                     {.add_keys = [&](GgufWriter& w) { test::add_legacy_llama3_keys(w, "llama", bad_llama3); }}))
          .status(),
      ErrorCode::kDataLoss, "high_freq_factor");
}

TEST(LlamaArch, FewerTokensThanRowsIsFine) {
  GgufFile file =
      make_model(test::tiny_config("llama"), {.skip_keys = {"tokenizer.ggml.tokens"}, .add_keys = [](GgufWriter& w) {
                                                w.add_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
                                              }});
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->n_vocab, 8);
}

TEST(LlamaArch, BindChecksTheCallersConfig) {
  GgufFile file = make_model(test::tiny_config("llama"));
  LlamaConfig config = read_llama_config(file).value();
  LlamaConfig bad = config;
  bad.n_head_kv = 3;
  EXPECT_EQ(bind_llama_weights(file, bad).status().code(), ErrorCode::kInvalidArgument);
  bad = config;
  bad.head_dim = 0;
  EXPECT_EQ(bind_llama_weights(file, bad).status().code(), ErrorCode::kInvalidArgument);
  bad = config;
  bad.tied_output = true;
  expect_error(bind_llama_weights(file, bad).status(), ErrorCode::kInvalidArgument, "tied_output");
  bad = config;
  bad.n_ff = 96;
  expect_error(bind_llama_weights(file, bad).status(), ErrorCode::kDataLoss, "'blk.0.ffn_gate.weight' has shape");
}

TEST(LlamaArch, CatalogShapesAreValid) {
  for (const ModelShape& shape : shape_catalog()) {
    Status status = validate_llama_config(shape.config);
    EXPECT_TRUE(status.ok()) << shape.name << ": " << status.to_string();
  }
}

// qwen3moe: the expert keys, their default and their checks; the 3-D expert tensors.
TEST(LlamaArch, Qwen3MoeExpertsBindAsStackedMatrices) {
  const LlamaConfig want = test::tiny_config("qwen3moe");  // 4 experts of 32, 2 per token
  GgufFile file = make_model(want);
  Result<LlamaConfig> config = read_llama_config(file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->n_expert, 4);
  EXPECT_EQ(config->n_expert_used, 2);
  EXPECT_EQ(config->n_ff_exp, 32);
  Result<LlamaWeights> weights = bind_llama_weights(file, *config);
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  const LlamaLayerWeights& layer = weights->layers[1];
  expect_view(layer.ffn_gate_inp, file, "blk.1.ffn_gate_inp.weight", 4, 32);
  expect_view(layer.w_gate_exps, file, "blk.1.ffn_gate_exps.weight", 32, 32);
  expect_view(layer.w_down_exps, file, "blk.1.ffn_down_exps.weight", 32, 32);
  // Expert 3 starts three expert matrices into the tensor.
  const tensor::WeightView third = expert_matrix(layer.w_up_exps, 3);
  EXPECT_EQ(static_cast<const uint8_t*>(third.data) - static_cast<const uint8_t*>(layer.w_up_exps.data),
            3 * 32 * tensor::row_bytes(layer.w_up_exps.dtype, 32));
  EXPECT_EQ(layer.w_gate.data, nullptr);
  // Every layer's three expert tensors: 2 layers x 3 x 4 experts x 32 x 32 q8_0 values.
  EXPECT_EQ(weights->n_expert_bytes, static_cast<uint64_t>(2 * 3 * 4 * 32 * tensor::row_bytes(DType::kQ8_0, 32)));

  // expert_feed_forward_length defaults to feed_forward_length / expert_used_count (llama.cpp's rule).
  GgufFile no_exp_ff = make_model(want, {.skip_keys = {"qwen3moe.expert_feed_forward_length"}});
  Result<LlamaConfig> defaulted = read_llama_config(no_exp_ff);
  ASSERT_TRUE(defaulted.ok()) << defaulted.status().to_string();
  EXPECT_EQ(defaulted->n_ff_exp, 64 / 2);

  expect_error(read_llama_config(make_model(want, {.skip_keys = {"qwen3moe.expert_count"}})).status(),
               ErrorCode::kDataLoss, "qwen3moe.expert_count");
  LlamaConfig too_many_used = want;
  too_many_used.n_expert_used = 5;
  EXPECT_FALSE(validate_llama_config(too_many_used).ok());
  expect_error(read_llama_config(make_model(want, {.skip_keys = {"qwen3moe.expert_used_count"},
                                                   .add_keys =
                                                       [](GgufWriter& writer) {
                                                         writer.add_uint32("qwen3moe.expert_used_count", 5);
                                                       }}))
                   .status(),
               ErrorCode::kDataLoss, "'qwen3moe.expert_used_count' is 5, more than expert_count 4");
  // A stacked tensor with the wrong expert count is named.
  expect_error(load(make_model(want, {.edit_tensors =
                                          [](std::vector<TensorSpec>& specs) {
                                            for (TensorSpec& spec : specs) {
                                              if (spec.name == "blk.0.ffn_up_exps.weight") spec.dims[2] = 3;
                                            }
                                          }})),
               ErrorCode::kDataLoss, "'blk.0.ffn_up_exps.weight' has shape [32, 32, 3, 1], expected [32, 32, 4, 1]");
  // Dense families still refuse expert fields.
  LlamaConfig dense = test::tiny_config("qwen3");
  dense.n_expert = 4;
  EXPECT_FALSE(validate_llama_config(dense).ok());
}

// gemma2: the soft caps, their defaults, and the 27B attention scale.
TEST(LlamaArch, Gemma2SoftCapsAndAttentionScale) {
  LlamaConfig want = test::tiny_config("gemma2");
  want.attn_softcap = 20.0f;
  want.final_softcap = 10.0f;
  Result<LlamaConfig> config = read_llama_config(make_model(want));
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_TRUE(config->soft_capping);
  EXPECT_FLOAT_EQ(config->attn_softcap, 20.0f);
  EXPECT_FLOAT_EQ(config->final_softcap, 10.0f);
  EXPECT_TRUE(config->layer_is_windowed(0));
  EXPECT_FALSE(config->layer_is_windowed(1));
  Result<LlamaConfig> defaults = read_llama_config(make_model(
      want, {.skip_keys = {"gemma2.attn_logit_softcapping", "gemma2.final_logit_softcapping"}}));
  ASSERT_TRUE(defaults.ok()) << defaults.status().to_string();
  EXPECT_FLOAT_EQ(defaults->attn_softcap, 50.0f);
  EXPECT_FLOAT_EQ(defaults->final_softcap, 30.0f);
  expect_error(read_llama_config(make_model(want, {.skip_keys = {"gemma2.attn_logit_softcapping"},
                                                   .add_keys =
                                                       [](GgufWriter& writer) {
                                                         writer.add_float32("gemma2.attn_logit_softcapping", -1.0f);
                                                       }}))
                   .status(),
               ErrorCode::kDataLoss, "gemma2.attn_logit_softcapping");

  // query_pre_attn_scalar: head_dim, but n_embd / n_head for the 46-layer 27B (as llama.cpp decides).
  LlamaConfig gemma2_27b = want;
  gemma2_27b.n_embd = 4608;
  gemma2_27b.n_head = 32;
  gemma2_27b.head_dim = 128;
  EXPECT_DOUBLE_EQ(attention_scale(gemma2_27b), 1.0 / std::sqrt(128.0));
  gemma2_27b.n_layer = 46;
  EXPECT_DOUBLE_EQ(attention_scale(gemma2_27b), 1.0 / 12.0);
  LlamaConfig qwen3 = test::tiny_config("qwen3");
  qwen3.n_layer = 46;
  EXPECT_DOUBLE_EQ(attention_scale(qwen3), 1.0 / std::sqrt(static_cast<double>(qwen3.head_dim)));
}

}  // namespace
}  // namespace hearth::model

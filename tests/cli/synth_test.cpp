// Synthesized models must load, bind, tokenize and run in every file type.
#include "cli/synth.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "infer/llama_forward.h"
#include "infer/llama_model.h"
#include "model/arch/arch_registry.h"
#include "model/arch/family_support.h"
#include "model/arch/rope_factors.h"
#include "model/gguf.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace hearth::cli {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("hearth_synth_test_" + name)).string();
}

TEST(SynthTest, TinyModelInEveryTypeLoadsTokenizesAndRuns) {
  ThreadPool pool(2);
  for (model::FileType file_type : model::all_file_types()) {
    const std::string type_name(model::file_type_name(file_type));
    SCOPED_TRACE(type_name);
    SynthOptions options;
    options.shape = model::find_shape("tiny");
    ASSERT_NE(options.shape, nullptr);
    options.file_type = file_type;
    options.out_path = temp_path(type_name + ".gguf");
    uint64_t last_done = 0, last_total = 0;
    ASSERT_TRUE(synthesize_model(options, pool, [&](uint64_t done, uint64_t total) {
                  last_done = done;
                  last_total = total;
                }).ok());
    EXPECT_EQ(last_done, last_total);
    EXPECT_FALSE(std::filesystem::exists(options.out_path + ".tmp"));

    auto model = infer::LlamaModel::load(options.out_path);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EXPECT_EQ((*model)->config().n_vocab, options.shape->config.n_vocab);
    EXPECT_EQ((*model)->config().n_layer, options.shape->config.n_layer);

    auto tokenizer = text::Tokenizer::from_gguf((*model)->file());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
    EXPECT_EQ((*tokenizer)->n_vocab(), options.shape->config.n_vocab);
    const std::string prompt = "Hello, world! Grüße 你好 12345";
    const std::vector<int32_t> ids = (*tokenizer)->encode(prompt, false, false);
    EXPECT_EQ((*tokenizer)->decode(ids, true), prompt);
    EXPECT_LT(ids.size(), prompt.size()) << "the synthetic vocabulary should merge common pairs";

    auto chat_template = text::ChatTemplate::from_gguf((*model)->file());
    ASSERT_TRUE(chat_template.ok()) << chat_template.status().to_string();

    auto context = infer::InferContext::create(**model, 64, pool);
    ASSERT_TRUE(context.ok());
    auto logits = (*context)->eval(ids);
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    ASSERT_EQ(static_cast<int64_t>(logits->size()), options.shape->config.n_vocab);
    for (float logit : *logits) ASSERT_TRUE(std::isfinite(logit));
    std::filesystem::remove(options.out_path);
  }
}

// llama.cpp's mixes on rows that are not whole 256-value blocks (n_embd 384):
// every file type writes the per-tensor types model::pick_tensor_type chose
// (fallbacks included), and the file loads and runs.
TEST(SynthTest, EveryMixWithFallbacksLoadsAndRuns) {
  ThreadPool pool(2);
  model::LlamaConfig config = model::family_config(*model::find_arch("llama"));
  config.n_vocab = 1024;
  config.n_ctx_train = 512;
  config.n_embd = 384;
  config.n_layer = 2;
  config.n_head = 8;
  config.n_head_kv = 2;  // GQA 4: llama.cpp's attn_v rules for q2_k and iq4_* apply
  config.head_dim = 48;
  config.n_ff = 768;     // ffn_down's rows of 768 keep K blocks
  const model::ModelShape shape{"wide-384", "hearth test shape", "llama3", config};
  for (model::FileType file_type : model::all_file_types()) {
    const std::string type_name(model::file_type_name(file_type));
    SCOPED_TRACE(type_name);
    SynthOptions options;
    options.shape = &shape;
    options.file_type = file_type;
    options.out_path = temp_path("mix_" + type_name + ".gguf");
    ASSERT_TRUE(synthesize_model(options, pool, nullptr).ok());
    auto model = infer::LlamaModel::load(options.out_path);
    std::filesystem::remove(options.out_path);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    for (const model::ModelTensor& tensor : model::model_tensors(*model::find_arch("llama"), config)) {
      const model::GgufTensorInfo* info = (*model)->file().find_tensor(tensor.name);
      ASSERT_NE(info, nullptr) << tensor.name;
      EXPECT_EQ(info->dtype, model::tensor_type_in(file_type, tensor, config)) << tensor.name;
      if (tensor.spec->form == model::TensorForm::kMatrix) {
        EXPECT_EQ(tensor.shape.n_cols % tensor::dtype_info(info->dtype).block_elems, 0) << tensor.name;
      }
    }
    const std::vector<int32_t> ids = {1, 17, 300, 5, 999};
    auto context = infer::InferContext::create(**model, 16, pool);
    ASSERT_TRUE(context.ok());
    auto logits = (*context)->eval(ids);
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    for (float logit : *logits) ASSERT_TRUE(std::isfinite(logit));
  }
  // Spot checks of the fallbacks llama.cpp's tensor_type_fallback makes on 384-value rows.
  const auto type_in = [&](model::FileType file_type, const std::string& name) {
    for (const model::ModelTensor& tensor : model::model_tensors(*model::find_arch("llama"), config)) {
      if (tensor.name == name) return model::tensor_type_in(file_type, tensor, config);
    }
    return tensor::DType::kF32;
  };
  EXPECT_EQ(type_in(model::FileType::kQ3_K_M, "blk.0.attn_q.weight"), tensor::DType::kQ4_0);
  EXPECT_EQ(type_in(model::FileType::kQ3_K_M, "blk.0.attn_v.weight"), tensor::DType::kQ5_1);  // Q5_K -> Q5_1
  EXPECT_EQ(type_in(model::FileType::kQ4_K_S, "blk.0.attn_q.weight"), tensor::DType::kQ5_0);  // Q4_K -> Q5_0
  EXPECT_EQ(type_in(model::FileType::kQ3_K_M, "blk.0.ffn_down.weight"), tensor::DType::kQ4_K);
  EXPECT_EQ(type_in(model::FileType::kQ5_K_M, "blk.1.attn_v.weight"), tensor::DType::kQ8_0);  // Q6_K -> Q8_0
  EXPECT_EQ(type_in(model::FileType::kQ5_K_M, "blk.0.attn_v.weight"), tensor::DType::kQ5_1);  // Q5_K -> Q5_1
  EXPECT_EQ(type_in(model::FileType::kIQ4_XS, "blk.0.ffn_gate.weight"), tensor::DType::kIQ4_NL);
  EXPECT_EQ(type_in(model::FileType::kQ6_K, "output.weight"), tensor::DType::kQ8_0);
}

TEST(SynthTest, SameSeedSameBytes) {
  ThreadPool pool(2);
  SynthOptions options;
  options.shape = model::find_shape("tiny");
  options.file_type = model::FileType::kQ4_K_M;
  options.out_path = temp_path("seed_a.gguf");
  ASSERT_TRUE(synthesize_model(options, pool, nullptr).ok());
  options.out_path = temp_path("seed_b.gguf");
  ASSERT_TRUE(synthesize_model(options, pool, nullptr).ok());
  auto a = model::GgufFile::open(temp_path("seed_a.gguf"));
  auto b = model::GgufFile::open(temp_path("seed_b.gguf"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  for (size_t idx = 0; idx < a->tensors().size(); ++idx) {
    const auto& ta = a->tensors()[idx];
    const auto& tb = b->tensors()[idx];
    ASSERT_EQ(ta.n_bytes, tb.n_bytes);
    ASSERT_EQ(0, std::memcmp(ta.data, tb.data, ta.n_bytes)) << ta.name;
  }
  std::filesystem::remove(temp_path("seed_a.gguf"));
  std::filesystem::remove(temp_path("seed_b.gguf"));
}

// Every registered family: synth writes its tensor list with standard keys
// only, and the file binds (the registry's own tests cover the rest).
TEST(SynthTest, EveryFamilySynthesizesAFileThatBinds) {
  ThreadPool pool(2);
  for (const model::ArchSpec* spec : model::all_archs()) {
    SCOPED_TRACE(std::string(spec->name));
    model::LlamaConfig config = model::family_config(*spec);
    config.n_vocab = 1024;
    config.n_ctx_train = 512;
    config.n_embd = 64;
    config.n_layer = 2;
    config.n_head = 4;
    config.n_head_kv = 2;
    config.head_dim = 16;
    config.n_ff = 128;
    // llama3 scaling where the family carries it as rope_freqs.weight, linear scaling (keys) elsewhere.
    const bool has_rope_freqs = model::find_tensor_spec(*spec, model::WeightSlot::kRopeFreqs) != nullptr;
    config.rope_scaling = has_rope_freqs ? model::RopeScaling{model::RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 64}
                                         : model::RopeScaling{model::RopeScalingType::kLinear, 2.0f};
    if (config.global_layer_period > 0) config.sliding_window = 8;
    if (config.soft_capping) {
      config.attn_softcap = 50.0f;
      config.final_softcap = 30.0f;
    }
    if (model::find_tensor_spec(*spec, model::WeightSlot::kFfnGateExps) != nullptr) {
      config.n_expert = 4;
      config.n_expert_used = 2;
      config.n_ff_exp = 64;
    }
    if (config.encoder) {  // bert: no RoPE; a cross-encoder with its classification head
      config.rope_scaling = {};
      config.pooling = 4;
      config.n_token_types = 2;
      config.n_cls_out = 1;
      config.n_head_kv = 4;
    }
    const model::ModelShape shape{spec->name, "hearth test shape", config.encoder ? "wordpiece" : "chatml", config};
    SynthOptions options;
    options.shape = &shape;
    options.file_type = model::FileType::kQ8_0;
    options.out_path = temp_path(std::string(spec->name) + "_family.gguf");
    ASSERT_TRUE(synthesize_model(options, pool, nullptr).ok());
    auto file = model::GgufFile::open(options.out_path);
    std::filesystem::remove(options.out_path);
    ASSERT_TRUE(file.ok()) << file.status().to_string();

    const model::FamilySupport support = model::check_family_support(*file);
    EXPECT_EQ(support.spec, spec);
    EXPECT_TRUE(support.runnable.ok()) << support.runnable.to_string();
    Result<uint64_t> file_type = file->get_uint("general.file_type");
    ASSERT_TRUE(file_type.ok()) << file_type.status().to_string();
    EXPECT_EQ(*file_type, 7u) << "llama.cpp's MOSTLY_Q8_0";
    const std::vector<model::ModelTensor> tensors = model::model_tensors(*spec, config);
    ASSERT_EQ(file->tensors().size(), tensors.size());
    for (const model::ModelTensor& tensor : tensors) EXPECT_NE(file->find_tensor(tensor.name), nullptr) << tensor.name;
    if (config.encoder) continue;  // absolute positions: no RoPE keys
    if (!has_rope_freqs) {
      EXPECT_NE(file->find(std::string(spec->name) + ".rope.scaling.type"), nullptr);
      continue;
    }
    // llama3 scaling: the factors llama.cpp's converter writes, no nonstandard keys.
    for (const std::string& key : file->keys()) EXPECT_EQ(key.find(".rope.scaling."), std::string::npos) << key;
    const model::GgufTensorInfo* factors = file->find_tensor("rope_freqs.weight");
    ASSERT_NE(factors, nullptr);
    const std::vector<double> divisors = model::rope_freq_divisors(config);
    ASSERT_EQ(factors->ne[0], static_cast<int64_t>(divisors.size()));
    for (size_t pair_idx = 0; pair_idx < divisors.size(); ++pair_idx) {
      EXPECT_EQ(reinterpret_cast<const float*>(factors->data)[pair_idx], static_cast<float>(divisors[pair_idx]));
    }
  }
}

TEST(SynthTest, MissingShapeOrPathIsAnError) {
  ThreadPool pool(1);
  SynthOptions options;
  EXPECT_EQ(synthesize_model(options, pool, nullptr).code(), ErrorCode::kInvalidArgument);
  options.shape = model::find_shape("tiny");
  EXPECT_EQ(synthesize_model(options, pool, nullptr).code(), ErrorCode::kInvalidArgument);
  options.out_path = "/nonexistent-dir/x.gguf";
  EXPECT_FALSE(synthesize_model(options, pool, nullptr).ok());
}

}  // namespace
}  // namespace hearth::cli

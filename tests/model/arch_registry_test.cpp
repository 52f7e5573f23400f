// The family registry (model/arch): every registered description is
// well-formed, and for every family the tensor list a writer follows is the
// list binding reads back; a missing required tensor or a wrong shape is
// refused naming the tensor; optional tensors may be absent.
#include "model/arch/arch_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <numbers>
#include <set>

#include "llama_test_model.h"
#include "model/arch/family_support.h"
#include "model/arch/rope_factors.h"
#include "model/gguf_writer.h"

namespace hearth::model {
namespace {

using tensor::DType;
using test::TensorSpec;

// A small valid config of `spec`'s family with llama3 RoPE scaling, so
// every optional tensor a family lists for it is written.
LlamaConfig small_config(const ArchSpec& spec) {
  LlamaConfig config = test::tiny_config(std::string(spec.name));
  // llama3 scaling where the family stores it (rope_freqs.weight); the others refuse it.
  if (find_tensor_spec(spec, WeightSlot::kRopeFreqs) == nullptr) return config;
  config.rope_scaling.type = RopeScalingType::kLlama3;
  config.rope_scaling.factor = 8.0f;
  config.rope_scaling.original_context = 64;
  return config;
}

// Writes keys and `specs` for `config` and opens the file (unlinked at once; the mapping keeps it).
GgufFile write_model(const LlamaConfig& config, const std::vector<TensorSpec>& specs) {
  const std::string path = test::temp_path("arch_registry.gguf");
  GgufWriter writer;
  test::add_llama_keys(writer, config);
  test::add_tensors(writer, specs, 5);
  Status written = writer.write(path);
  EXPECT_TRUE(written.ok()) << written.to_string();
  Result<GgufFile> file = GgufFile::open(path);
  ::unlink(path.c_str());
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  return std::move(file).value();
}

TEST(ArchRegistry, FindsEachFamilyByName) {
  ASSERT_GE(all_archs().size(), 2u);
  std::set<std::string_view> names;
  for (const ArchSpec* spec : all_archs()) {
    EXPECT_EQ(find_arch(spec->name), spec);
    EXPECT_TRUE(names.insert(spec->name).second) << "two families named " << spec->name;
  }
  EXPECT_NE(find_arch("llama"), nullptr);
  EXPECT_NE(find_arch("qwen2"), nullptr);
  EXPECT_EQ(find_arch("gpt2"), nullptr);
  EXPECT_EQ(find_arch(""), nullptr);
  EXPECT_NE(find_arch("qwen3"), nullptr);
  EXPECT_NE(find_arch("gemma3"), nullptr);
  EXPECT_NE(find_arch("phi3"), nullptr);
  EXPECT_EQ(arch_names(), "llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, bert");
  EXPECT_EQ(capability_names(capability_bit(Capability::kGenerate)), "generate");
  EXPECT_EQ(capability_names(0), "none");
  EXPECT_EQ(capability_names(capability_bit(Capability::kEmbed) | capability_bit(Capability::kOcr)), "embed, ocr");
  EXPECT_TRUE(has_capability(capability_bit(Capability::kSpeak), Capability::kSpeak));
  EXPECT_FALSE(has_capability(capability_bit(Capability::kSpeak), Capability::kTranscribe));
}

// The rules every description must follow, so a new family's table mistakes fail here.
TEST(ArchRegistry, EveryDescriptionIsWellFormed) {
  for (const ArchSpec* spec : all_archs()) {
    SCOPED_TRACE(std::string(spec->name));
    EXPECT_FALSE(spec->description.empty());
    EXPECT_NE(spec->capabilities, 0u);
    std::set<std::string_view> suffixes;
    for (const ConfigKey& key : spec->keys) {
      SCOPED_TRACE(std::string(key.suffix));
      EXPECT_TRUE(suffixes.insert(key.suffix).second) << "key listed twice";
      EXPECT_LE(key.min, key.max);
      if (key.use == KeyUse::kMustMatch) {
        EXPECT_NE(key.value_for, nullptr) << "a kMustMatch key needs the value the graph fixes";
        EXPECT_FALSE(key.note.empty()) << "say why the value is fixed";
      } else {
        EXPECT_EQ(key.int_field != nullptr, key.type == KeyType::kUint);
        EXPECT_EQ(key.float_field != nullptr, key.type == KeyType::kFloat);
        if (key.value_for != nullptr) {
          EXPECT_FALSE(key.note.empty()) << "say how the default is derived";
        }
      }
    }
    std::set<std::string_view> names;
    std::set<WeightSlot> slots;
    for (const ArchTensor& tensor : spec->tensors) {
      SCOPED_TRACE(std::string(tensor.name));
      EXPECT_TRUE(names.insert(tensor.name).second) << "tensor listed twice";
      EXPECT_TRUE(slots.insert(tensor.slot).second) << "two tensors fill one slot";
      EXPECT_NE(tensor.shape, nullptr);
      EXPECT_FALSE(tensor.name.starts_with("blk.")) << "per-block names carry no prefix";
      // Every matrix has a quantization role but those that stay F32 in every file type: the MoE
      // router, BERT's position and token-type embeddings (llama-quantize skips them) and a
      // cross-encoder's small classification head.
      const bool always_f32 = tensor.slot == WeightSlot::kFfnGateInp || tensor.slot == WeightSlot::kPosEmbd ||
                              tensor.slot == WeightSlot::kTokenTypes || tensor.slot == WeightSlot::kCls ||
                              tensor.slot == WeightSlot::kClsOut;
      EXPECT_EQ(quant_role(tensor.slot).has_value(), tensor.form == TensorForm::kMatrix && !always_f32);
      if (tensor.written_when != nullptr) {
        EXPECT_FALSE(tensor.note.empty()) << "say what absence means";
      }
    }
    EXPECT_NE(find_tensor_spec(*spec, WeightSlot::kTokenEmbd), nullptr) << "the vocabulary is token_embd's rows";
    const LlamaConfig family = family_config(*spec);
    EXPECT_EQ(family.arch, spec->name);
    EXPECT_EQ(family.rope_neox, spec->rope_mode == RopeMode::kNeox);
  }
}

// The list a writer follows is the list binding reads: every tensor bound, each where the graph reads it.
TEST(ArchRegistry, TensorListRoundTripsForEveryFamily) {
  for (const ArchSpec* spec : all_archs()) {
    SCOPED_TRACE(std::string(spec->name));
    const LlamaConfig config = small_config(*spec);
    ASSERT_TRUE(validate_llama_config(config).ok()) << validate_llama_config(config).to_string();
    const std::vector<ModelTensor> tensors = model_tensors(*spec, config);
    const std::vector<TensorSpec> specs = test::llama_tensor_specs(config, DType::kQ8_0);
    ASSERT_EQ(specs.size(), tensors.size());
    GgufFile file = write_model(config, specs);

    // The file holds exactly the listed tensors, with the listed shapes.
    ASSERT_EQ(file.tensors().size(), tensors.size());
    for (const ModelTensor& tensor : tensors) {
      const GgufTensorInfo* info = file.find_tensor(tensor.name);
      ASSERT_NE(info, nullptr) << tensor.name;
      EXPECT_EQ(info->ne[0], tensor.shape.n_cols) << tensor.name;
      EXPECT_EQ(info->ne[1], tensor.shape.n_rows) << tensor.name;
      EXPECT_EQ(info->ne[2], tensor.shape.n_mats) << tensor.name;
    }
    const bool has_rope_freqs = find_tensor_spec(*spec, WeightSlot::kRopeFreqs) != nullptr;
    EXPECT_EQ(file.find_tensor("rope_freqs.weight") != nullptr, has_rope_freqs)
        << "llama3 scaling is written as the tensor, by the families that list it";
    EXPECT_EQ(file.find("llama.rope.scaling.type"), nullptr);
    EXPECT_EQ(file.find(std::string(spec->name) + ".rope.scaling.type"), nullptr);

    const FamilySupport support = check_family_support(file);
    EXPECT_EQ(support.spec, spec);
    EXPECT_EQ(support.architecture, spec->name);
    ASSERT_TRUE(support.runnable.ok()) << support.runnable.to_string();

    Result<LlamaConfig> read = read_llama_config(file);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    EXPECT_EQ(read->arch, config.arch);
    EXPECT_EQ(read->n_layer, config.n_layer);
    EXPECT_EQ(read->head_dim, config.head_dim);
    EXPECT_EQ(read->rope_scaling.type, RopeScalingType::kNone) << "the factors come from the tensor";
    Result<LlamaWeights> weights = bind_llama_weights(file, *read);
    ASSERT_TRUE(weights.ok()) << weights.status().to_string();
    uint64_t total = 0;
    for (const GgufTensorInfo& info : file.tensors()) total += info.n_bytes;
    EXPECT_EQ(weights->n_bytes, total) << "every tensor bound, each counted once";
    if (has_rope_freqs) {
      EXPECT_EQ(weights->rope_freqs, reinterpret_cast<const float*>(file.find_tensor("rope_freqs.weight")->data));
    }
    const LlamaLayerWeights& last = weights->layers.back();
    const std::string blk = "blk." + std::to_string(config.n_layer - 1) + ".";
    const bool fused_qkv = find_tensor_spec(*spec, WeightSlot::kAttnQkv) != nullptr;
    EXPECT_EQ(fused_qkv ? last.w_qkv.data : last.wq.data,
              file.find_tensor(blk + (fused_qkv ? "attn_qkv.weight" : "attn_q.weight"))->data);
    const bool experts = find_tensor_spec(*spec, WeightSlot::kFfnDownExps) != nullptr;
    EXPECT_EQ(experts ? last.w_down_exps.data : last.w_down.data,
              file.find_tensor(blk + (experts ? "ffn_down_exps.weight" : "ffn_down.weight"))->data);
    EXPECT_EQ(last.ffn_gate_inp.data != nullptr, experts);
    EXPECT_EQ(weights->n_expert_bytes > 0, experts);
    EXPECT_EQ(last.bq != nullptr, config.has_qkv_bias);
    EXPECT_EQ(last.attn_q_norm != nullptr, find_tensor_spec(*spec, WeightSlot::kAttnQNorm) != nullptr);
    EXPECT_EQ(last.ffn_post_norm != nullptr, find_tensor_spec(*spec, WeightSlot::kFfnPostNorm) != nullptr);
  }
}

TEST(ArchRegistry, MissingOrMisShapedTensorsAreRefusedByName) {
  for (const ArchSpec* spec : all_archs()) {
    SCOPED_TRACE(std::string(spec->name));
    const LlamaConfig config = small_config(*spec);
    const std::vector<TensorSpec> specs = test::llama_tensor_specs(config, DType::kQ8_0);
    const std::vector<ModelTensor> tensors = model_tensors(*spec, config);
    for (size_t tensor_idx = 0; tensor_idx < tensors.size(); ++tensor_idx) {
      const ModelTensor& tensor = tensors[tensor_idx];
      SCOPED_TRACE(tensor.name);
      std::vector<TensorSpec> dropped = specs;
      dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(tensor_idx));
      const Status without = check_family_support(write_model(config, dropped)).runnable;
      if (tensor.spec->written_when == nullptr) {
        EXPECT_EQ(without.code(), ErrorCode::kDataLoss) << without.to_string();
        EXPECT_NE(without.message().find("lacks tensor '" + tensor.name + "'"), std::string::npos) << without.message();
      } else {
        // Optional: absence means a tied output or unscaled RoPE, never an error.
        EXPECT_TRUE(without.ok()) << without.to_string();
      }

      std::vector<TensorSpec> reshaped = specs;
      reshaped[tensor_idx].dims[0] += reshaped[tensor_idx].dtype == DType::kF32 ? 2 : 32;
      const Status misshaped = check_family_support(write_model(config, reshaped)).runnable;
      EXPECT_EQ(misshaped.code(), ErrorCode::kDataLoss) << misshaped.to_string();
      EXPECT_NE(misshaped.message().find("tensor '" + tensor.name + "' has shape"), std::string::npos)
          << misshaped.message();
    }
  }
}

TEST(ArchRegistry, UnknownFamilyIsReportedWithTheKnownOnes) {
  GgufWriter writer;
  writer.add_string("general.architecture", "mixtral");
  const std::string path = test::temp_path("mixtral.gguf");
  ASSERT_TRUE(writer.write(path).ok());
  Result<GgufFile> file = GgufFile::open(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(file.ok());
  const FamilySupport support = check_family_support(*file);
  EXPECT_EQ(support.spec, nullptr);
  EXPECT_EQ(support.architecture, "mixtral");
  EXPECT_EQ(support.runnable.code(), ErrorCode::kUnimplemented);
  EXPECT_NE(support.runnable.message().find(
                "'mixtral' is not supported (hearth runs llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, bert)"),
            std::string::npos)
      << support.runnable.message();
}

// The factors writers store for llama3 scaling reproduce HF transformers'
// scaled frequencies (restated here independently of model/arch/rope_factors.cpp).
TEST(ArchRegistry, Llama3FactorsMatchTheHfFormula) {
  LlamaConfig config = test::tiny_config("llama");
  config.head_dim = 64;
  config.n_head = 4;
  config.n_embd = 256;
  config.rope_theta = 500000.0f;
  config.rope_scaling = {RopeScalingType::kLlama3, 32.0f, 1.0f, 4.0f, 8192};
  const std::vector<double> divisors = rope_freq_divisors(config);
  ASSERT_EQ(divisors.size(), 32u);
  int n_keep = 0, n_blend = 0, n_divide = 0;
  for (size_t pair_idx = 0; pair_idx < divisors.size(); ++pair_idx) {
    const double inv_freq = std::pow(500000.0, -2.0 * static_cast<double>(pair_idx) / 64.0);
    const double wavelen = 2.0 * std::numbers::pi / inv_freq;
    double hf;  // transformers' _compute_llama3_parameters
    if (wavelen < 8192.0 / 4.0) {
      hf = inv_freq;
      ++n_keep;
    } else if (wavelen > 8192.0 / 1.0) {
      hf = inv_freq / 32.0;
      ++n_divide;
    } else {
      const double smooth = (8192.0 / wavelen - 1.0) / (4.0 - 1.0);
      hf = (1.0 - smooth) * inv_freq / 32.0 + smooth * inv_freq;
      ++n_blend;
    }
    // As stored: F32.
    const double stored = static_cast<double>(static_cast<float>(divisors[pair_idx]));
    EXPECT_NEAR(inv_freq / stored / hf, 1.0, 1e-7) << pair_idx;
  }
  EXPECT_GT(n_keep, 0);
  EXPECT_GT(n_blend, 0);
  EXPECT_GT(n_divide, 0);
}

}  // namespace
}  // namespace hearth::model

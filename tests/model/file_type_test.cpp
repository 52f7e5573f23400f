// The per-tensor types of each file type against what llama.cpp's quantizer
// (llama_tensor_get_type in src/llama-quant.cpp, no importance matrix) chooses
// for the same tensors, worked out by hand from its rules for published shapes.
#include "model/file_type.h"

#include <gtest/gtest.h>

#include <string>

#include "model/arch/arch_registry.h"
#include "model/shape_catalog.h"

namespace hearth::model {
namespace {

using tensor::DType;

// The type `hearth synth --type` gives tensor `name` of a catalog shape.
DType type_of(const std::string& shape_name, FileType file_type, const std::string& name) {
  const ModelShape* shape = find_shape(shape_name);
  EXPECT_NE(shape, nullptr) << shape_name;
  if (shape == nullptr) return DType::kF32;
  for (const ModelTensor& tensor : model_tensors(*find_arch(shape->config.arch), shape->config)) {
    if (tensor.name == name) return tensor_type_in(file_type, tensor, shape->config);
  }
  ADD_FAILURE() << shape_name << " has no tensor " << name;
  return DType::kF32;
}

std::string type_name(DType type) { return std::string(tensor::dtype_info(type).name); }

struct Expectation {
  const char* tensor;
  DType type;
};

void expect_types(const std::string& shape, FileType file_type, std::initializer_list<Expectation> expected) {
  for (const Expectation& want : expected) {
    EXPECT_EQ(type_name(type_of(shape, file_type, want.tensor)), type_name(want.type))
        << shape << " " << file_type_name(file_type) << " " << want.tensor;
  }
}

// Llama 3.1 8B: 32 layers, GQA 32/8 = 4, every row a multiple of 256, untied.
// use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2 (6, 9, ..., 27).
TEST(FileTypeMix, Llama31_8bMatchesLlamaCpp) {
  const std::string s = "llama-3.1-8b";
  expect_types(s, FileType::kQ4_K_M,
               {{"token_embd.weight", DType::kQ4_K},
                {"output.weight", DType::kQ6_K},
                {"blk.0.attn_q.weight", DType::kQ4_K},
                {"blk.0.attn_v.weight", DType::kQ6_K},
                {"blk.4.attn_v.weight", DType::kQ4_K},
                {"blk.6.attn_v.weight", DType::kQ6_K},
                {"blk.28.attn_v.weight", DType::kQ6_K},
                {"blk.5.ffn_down.weight", DType::kQ4_K},
                {"blk.9.ffn_down.weight", DType::kQ6_K},
                {"blk.9.ffn_gate.weight", DType::kQ4_K},
                {"blk.9.attn_output.weight", DType::kQ4_K}});
  expect_types(s, FileType::kQ3_K_M,
               {{"output.weight", DType::kQ6_K},
                {"blk.1.attn_v.weight", DType::kQ5_K},  // the first two attn_v
                {"blk.2.attn_v.weight", DType::kQ4_K},
                {"blk.1.ffn_down.weight", DType::kQ5_K},  // layers < 32/16
                {"blk.2.ffn_down.weight", DType::kQ4_K},
                {"blk.2.attn_output.weight", DType::kQ4_K},
                {"blk.2.attn_q.weight", DType::kQ3_K},
                {"blk.2.ffn_up.weight", DType::kQ3_K}});
  expect_types(s, FileType::kQ3_K_L,
               {{"blk.20.attn_v.weight", DType::kQ5_K},
                {"blk.20.ffn_down.weight", DType::kQ5_K},
                {"blk.20.attn_output.weight", DType::kQ5_K},
                {"blk.20.attn_k.weight", DType::kQ3_K}});
  expect_types(s, FileType::kQ3_K_S,
               {{"blk.0.attn_v.weight", DType::kQ3_K}, {"blk.0.ffn_down.weight", DType::kQ3_K},
                {"output.weight", DType::kQ6_K}});
  expect_types(s, FileType::kQ2_K,
               {{"blk.7.attn_v.weight", DType::kQ4_K},  // GQA >= 4
                {"blk.7.ffn_down.weight", DType::kQ3_K},
                {"blk.7.attn_output.weight", DType::kQ3_K},
                {"blk.7.attn_q.weight", DType::kQ2_K},
                {"token_embd.weight", DType::kQ2_K},
                {"output.weight", DType::kQ6_K}});
  expect_types(s, FileType::kQ4_K_S,
               {{"blk.3.attn_v.weight", DType::kQ5_K},  // the first four attn_v
                {"blk.4.attn_v.weight", DType::kQ4_K},
                {"blk.3.ffn_down.weight", DType::kQ5_K},  // layers < 32/8
                {"blk.4.ffn_down.weight", DType::kQ4_K}});
  expect_types(s, FileType::kQ5_K_M,
               {{"blk.6.attn_v.weight", DType::kQ6_K}, {"blk.7.attn_v.weight", DType::kQ5_K},
                {"blk.31.ffn_down.weight", DType::kQ6_K}});
  expect_types(s, FileType::kQ5_K_S, {{"blk.0.attn_v.weight", DType::kQ5_K}, {"output.weight", DType::kQ6_K}});
  expect_types(s, FileType::kIQ4_XS,
               {{"blk.10.attn_v.weight", DType::kQ5_K},  // GQA >= 4
                {"blk.3.ffn_down.weight", DType::kQ5_K},
                {"blk.4.ffn_down.weight", DType::kIQ4_XS},
                {"blk.4.attn_q.weight", DType::kIQ4_XS},
                {"output.weight", DType::kQ6_K}});
  expect_types(s, FileType::kIQ4_NL, {{"blk.10.attn_v.weight", DType::kQ5_K}, {"blk.10.attn_q.weight", DType::kIQ4_NL}});
  expect_types(s, FileType::kQ6_K, {{"blk.0.attn_v.weight", DType::kQ6_K}, {"output.weight", DType::kQ6_K}});
  expect_types(s, FileType::kQ8_0, {{"blk.0.attn_v.weight", DType::kQ8_0}, {"output.weight", DType::kQ8_0}});
  for (FileType legacy : {FileType::kQ4_0, FileType::kQ4_1, FileType::kQ5_0, FileType::kQ5_1}) {
    const DType base = type_of(s, legacy, "blk.0.attn_q.weight");
    EXPECT_EQ(type_of(s, legacy, "blk.0.attn_v.weight"), base);
    EXPECT_EQ(type_of(s, legacy, "blk.0.ffn_down.weight"), base);
    EXPECT_EQ(type_of(s, legacy, "output.weight"), DType::kQ6_K);
  }
}

// SmolLM-135M: rows of 576 (not a multiple of 256), GQA 9/3 = 3, 30 layers, tied.
TEST(FileTypeMix, SmolLmFallsBackAsLlamaCppDoes) {
  const std::string s = "smollm-135m";
  expect_types(s, FileType::kQ4_K_M,
               {{"token_embd.weight", DType::kQ8_0},    // tied: the output's rule, 576 % 256 != 0
                {"blk.0.attn_q.weight", DType::kQ5_0},  // Q4_K -> Q5_0
                {"blk.0.attn_v.weight", DType::kQ8_0},  // Q6_K -> Q8_0
                {"blk.0.ffn_down.weight", DType::kQ6_K},  // rows of 1536 take K blocks
                {"blk.4.ffn_down.weight", DType::kQ4_K},
                {"blk.0.ffn_gate.weight", DType::kQ5_0}});
  expect_types(s, FileType::kQ2_K,
               {{"blk.0.attn_q.weight", DType::kQ4_0},  // Q2_K -> Q4_0
                {"blk.0.attn_v.weight", DType::kQ4_0},  // GQA 3: Q3_K -> Q4_0
                {"blk.0.ffn_down.weight", DType::kQ3_K}});
  expect_types(s, FileType::kQ5_K_S, {{"blk.0.attn_q.weight", DType::kQ5_1}});  // Q5_K -> Q5_1
  expect_types(s, FileType::kIQ4_XS, {{"blk.0.attn_q.weight", DType::kIQ4_NL}});
  expect_types(s, FileType::kQ4_0, {{"token_embd.weight", DType::kQ8_0}});  // Q6_K does not fit: Q8_0
  expect_types(s, FileType::kQ8_0, {{"token_embd.weight", DType::kQ8_0}});
}

// Qwen3-30B-A3B: 48 layers, 128 experts (not llama.cpp's 8-expert special case), GQA 8.
TEST(FileTypeMix, Qwen3MoeExpertsFollowTheFfnRules) {
  const std::string s = "qwen3-30b-a3b";
  expect_types(s, FileType::kQ4_K_M,
               {{"blk.5.ffn_down_exps.weight", DType::kQ6_K},  // layer < 48/8
                {"blk.7.ffn_down_exps.weight", DType::kQ4_K},
                {"blk.8.ffn_down_exps.weight", DType::kQ6_K},  // (8 - 6) % 3 == 2
                {"blk.7.ffn_gate_exps.weight", DType::kQ4_K},
                {"blk.7.attn_k.weight", DType::kQ4_K},
                {"blk.7.ffn_gate_inp.weight", DType::kF32},  // the router is never quantized
                {"output.weight", DType::kQ6_K}});
}

TEST(FileTypeMix, NamesAndFileTypeNumbers) {
  EXPECT_EQ(parse_file_type("Q3_K_M"), FileType::kQ3_K_M);
  EXPECT_EQ(parse_file_type("q4_k_s"), FileType::kQ4_K_S);
  EXPECT_EQ(parse_file_type("q3_k_x"), std::nullopt);
  // llama.cpp's LLAMA_FTYPE numbers (include/llama.h).
  EXPECT_EQ(llama_ftype(FileType::kQ2_K), 10u);
  EXPECT_EQ(llama_ftype(FileType::kQ3_K_S), 11u);
  EXPECT_EQ(llama_ftype(FileType::kQ3_K_M), 12u);
  EXPECT_EQ(llama_ftype(FileType::kQ3_K_L), 13u);
  EXPECT_EQ(llama_ftype(FileType::kQ4_K_S), 14u);
  EXPECT_EQ(llama_ftype(FileType::kQ4_K_M), 15u);
  EXPECT_EQ(llama_ftype(FileType::kQ5_K_S), 16u);
  EXPECT_EQ(llama_ftype(FileType::kQ5_K_M), 17u);
  EXPECT_EQ(llama_ftype(FileType::kQ6_K), 18u);
  for (FileType type : all_file_types()) EXPECT_EQ(parse_file_type(file_type_name(type)), type);
}

}  // namespace
}  // namespace hearth::model

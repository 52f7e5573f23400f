// Random-weight models of the registered families for the engine tests, their
// tensors as the family's list (model/arch) says, written with GgufWriter in
// any weight type. The values are drawn so activations stay
// O(1) through the layers and attention is far from uniform, so a wrong
// rotation, head mapping or mask changes the logits visibly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "infer/llama_model.h"
#include "model/llama_arch.h"
#include "tensor/dtype.h"
#include "text/tokenizer.h"

namespace hearth::infer::testing {

struct TinyModelSpec {
  // A registered family: "llama" (normal RoPE), "qwen2" (neox RoPE, Q/K/V
  // biases), "qwen3", "qwen3moe", "gemma2", "gemma3", "phi3". Any other name
  // is written with llama's keys and tensors.
  std::string arch = "llama";
  int64_t n_vocab = 96;
  int64_t n_embd = 64;
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t n_ff = 96;
  int64_t head_dim = 0;  // 0: n_embd / n_head; otherwise written as attention.key_length
  int64_t n_ctx_train = 4096;
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  model::RopeScaling rope_scaling;
  bool tied_output = false;
  int64_t sliding_window = 0;                        // gemma2/3: attention.sliding_window (required there)
  int64_t pooling = 0;                               // <arch>.pooling_type: an embedding model (qwen3, bert)
  int64_t n_token_types = 0;                         // bert: rows of token_types.weight (required there)
  float attn_softcap = 50.0f;                        // gemma2 only
  float final_softcap = 30.0f;
  int64_t n_expert = 0;                              // qwen3moe only (required there)
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;
  tensor::DType matrix_dtype = tensor::DType::kF32;  // every 2-D weight, token_embd included
  uint64_t seed = 1;

  int64_t resolved_head_dim() const { return head_dim > 0 ? head_dim : n_embd / n_head; }
};

// A llama spec with GQA (4 query heads over 2 kv heads) and llama3 RoPE
// scaling whose thresholds fall inside the head's frequencies, so all three
// branches (keep, divide, blend) are exercised.
TinyModelSpec llama_gqa_llama3_spec(tensor::DType matrix_dtype);
// A spec of one of the families added with the registry: "qwen3" and "llama"
// (Mistral Nemo's layout) with head_dim 32 != n_embd / n_head; "gemma3" with
// 7 layers (6 windowed by 5 positions, layer 5 global), tied; "gemma2" with
// 4 layers (0 and 2 windowed by 5 positions), tied, soft caps 4 and 3 that
// bend the scores and logits visibly; "qwen3moe" with 8 experts of 64, 3 per
// token; "phi3" (fused matrices).
TinyModelSpec family_spec(const std::string& arch, tensor::DType matrix_dtype);
// A bert spec (an encoder with mean pooling): 4 heads of 16, 2 token types,
// 32 positions, LayerNorm epsilon 1e-12.
TinyModelSpec bert_spec(tensor::DType matrix_dtype);
// A qwen2 spec: biases, neox RoPE, tied output.
TinyModelSpec qwen2_tied_spec(tensor::DType matrix_dtype);

Status write_tiny_model(const TinyModelSpec& spec, const std::string& path);

// Writes the model to a temp file unique to `stem`, maps it and unlinks the
// file (the mapping keeps the data alive).
Result<std::unique_ptr<LlamaModel>> load_tiny_model(const TinyModelSpec& spec, const std::string& stem);

// A SentencePiece-style tokenizer of n_vocab tokens: <unk>, <s>, the three
// bytes of "€" (so a character spans tokens), a few words with the
// SentencePiece space and multi-byte text, then two-letter pieces. No token
// is an end-of-generation text, so only eos_id (-1: none) ends generation.
std::unique_ptr<text::Tokenizer> tiny_tokenizer(int64_t n_vocab, int32_t eos_id = -1);

// A path in the temp directory unique to this process and `stem`, so test
// processes running in parallel (ctest -j) never share a file.
std::string temp_model_path(const std::string& stem);

}  // namespace hearth::infer::testing

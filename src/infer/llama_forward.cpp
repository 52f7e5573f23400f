#include "infer/llama_forward.h"

#include <algorithm>
#include <cassert>
#include <new>
#include <string>

namespace hearth::infer {
namespace {

size_t elems(int64_t rows, int64_t width) { return static_cast<size_t>(rows * width); }

}  // namespace

Result<std::unique_ptr<InferContext>> InferContext::create(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool,
                                                           int64_t n_batch_max, tensor::DType kv_dtype) {
  if (model.config().encoder) {
    return failed_precondition_error("the " + model.config().arch +
                                     " model is an encoder: it serves embeddings (or rerank scores), not text "
                                     "generation");
  }
  if (n_ctx < 1 || n_ctx > kMaxContext) {
    return invalid_argument_error("context length " + std::to_string(n_ctx) + " is outside [1, " +
                                  std::to_string(kMaxContext) + "]");
  }
  if (n_batch_max < 1 || n_batch_max > kMaxBatch) {
    return invalid_argument_error("batch size " + std::to_string(n_batch_max) + " is outside [1, " +
                                  std::to_string(kMaxBatch) + "]");
  }
  if (kv_dtype != tensor::DType::kF16 && kv_dtype != tensor::DType::kF32) {
    return unimplemented_error("KV cache type " + std::string(tensor::dtype_info(kv_dtype).name) +
                               " is not supported (f16, f32)");
  }
  try {
    return std::make_unique<InferContext>(model, n_ctx, pool, n_batch_max, kv_dtype);
  } catch (const std::bad_alloc&) {
    return resource_exhausted_error("cannot allocate a context of " + std::to_string(n_ctx) + " positions");
  }
}

namespace {

int32_t n_blocks_for(int64_t n_positions) {
  return static_cast<int32_t>((n_positions + InferContext::kKvBlockTokens - 1) / InferContext::kKvBlockTokens);
}

KvShape kv_shape(const model::LlamaConfig& config) { return {config.n_layer, config.n_head_kv, config.head_dim}; }

}  // namespace

InferContext::InferContext(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool, int64_t n_batch_max,
                           tensor::DType kv_dtype)
    : model_(model),
      config_(model.config()),
      n_ctx_(n_ctx),
      n_batch_max_(std::min(n_batch_max, n_ctx)),
      cache_(kv_shape(model.config()), n_blocks_for(n_ctx), kKvBlockTokens, kv_dtype),
      forward_(model, cache_, pool, n_batch_max_, n_ctx) {
  assert(n_ctx >= 1 && n_batch_max >= 1);
  // The sequence owns the whole pool: block i holds positions [16i, 16i + 16).
  blocks_.reserve(static_cast<size_t>(cache_.n_blocks()));
  for (int32_t block_idx = 0; block_idx < cache_.n_blocks(); ++block_idx) blocks_.push_back(cache_.allocate());
  tokens_.reserve(static_cast<size_t>(n_ctx));
}

int64_t InferContext::scratch_bytes() const {
  return forward_.scratch_bytes() + static_cast<int64_t>(all_logits_.capacity() * sizeof(float));
}

void InferContext::clear() { tokens_.clear(); }

Status InferContext::truncate(int64_t n) {
  if (n < 0 || n > n_past()) {
    return out_of_range_error("cannot truncate the sequence to " + std::to_string(n) + " positions; " +
                              std::to_string(n_past()) + " are valid");
  }
  tokens_.resize(static_cast<size_t>(n));
  return ok_status();
}

Result<std::span<const float>> InferContext::eval(std::span<const int32_t> tokens, bool all_logits) {
  const int64_t n_tokens = static_cast<int64_t>(tokens.size());
  if (n_tokens == 0) return invalid_argument_error("eval: no tokens");
  for (size_t idx = 0; idx < tokens.size(); ++idx) {
    if (tokens[idx] < 0 || tokens[idx] >= config_.n_vocab) {
      return out_of_range_error("token id " + std::to_string(tokens[idx]) + " at index " + std::to_string(idx) +
                                " is outside the vocabulary [0, " + std::to_string(config_.n_vocab) + ")");
    }
  }
  if (n_tokens > n_ctx() - n_past()) {
    return out_of_range_error("context overflow: " + std::to_string(n_past()) + " + " + std::to_string(n_tokens) +
                              " tokens exceed the context of " + std::to_string(n_ctx()));
  }
  const int64_t n_vocab = config_.n_vocab;
  if (all_logits && all_logits_.size() < elems(n_tokens, n_vocab)) all_logits_.resize(elems(n_tokens, n_vocab));
  std::span<const float> logits;
  for (int64_t begin = 0; begin < n_tokens; begin += n_batch_max_) {
    const int64_t chunk = std::min(n_batch_max_, n_tokens - begin);
    const bool last_chunk = begin + chunk == n_tokens;
    BatchSequence seq;
    seq.tokens = tokens.subspan(static_cast<size_t>(begin), static_cast<size_t>(chunk));
    seq.first_pos = n_past();
    seq.blocks = blocks_;
    // Only the final chunk's last token needs logits, unless all are asked for.
    seq.logits = all_logits ? LogitRows::kAll : last_chunk ? LogitRows::kLast : LogitRows::kNone;
    logits = forward_.forward(std::span<const BatchSequence>(&seq, 1));
    tokens_.insert(tokens_.end(), seq.tokens.begin(), seq.tokens.end());
    if (all_logits) std::copy(logits.begin(), logits.end(), all_logits_.begin() + begin * n_vocab);
  }
  if (all_logits) return std::span<const float>(all_logits_.data(), elems(n_tokens, n_vocab));
  return logits;
}

}  // namespace hearth::infer

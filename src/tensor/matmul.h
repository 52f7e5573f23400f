// Matrix products of a weight matrix (any DType) with float activations.
//
// Weights are row-major as GGUF stores them: row r of a [n_rows x n_cols]
// matrix starts at data + r * row_bytes(dtype, n_cols), and ne[0] of the
// GGUF tensor is n_cols; or repacked, 8 rows interleaved (WeightLayout::kRows8,
// tensor/packed_weights.h), which the prefill kernels read fastest. For quantized weights the activations are quantized
// once per call to 8 bits (Q8_0 for the 32-value blocks, Q8_K for the 256-value ones) and the
// kernels use integer dot products, as the fast engines do.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "tensor/dtype.h"

namespace hearth::tensor {

// How a weight matrix's blocks are laid out in memory.
enum class WeightLayout : uint8_t {
  kRows,   // GGUF's: row after row
  kRows8,  // 8 rows' blocks interleaved (tensor/packed_weights.h); Q4_0 and Q8_0 only
};

struct WeightView {
  DType dtype;
  const void* data;
  int64_t n_rows;
  int64_t n_cols;
  WeightLayout layout = WeightLayout::kRows;
};

// y[token * n_rows + row] = sum_col W[row][col] * x[token * n_cols + col]
// for token in [0, n_tokens). Uses every thread of `pool`. x and y must not alias.
// Each token's row is computed bit for bit the same whatever n_tokens is and
// wherever the token sits among them (the serving engine batches unrelated
// requests and promises each the output it would get alone).
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// Scalar reference of the same product: dequantizes W and accumulates in double.
void matmul_ref(const WeightView& w, const float* x, int64_t n_tokens, float* y);

}  // namespace hearth::tensor

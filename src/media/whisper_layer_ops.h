// The row-wise steps of Whisper's transformer blocks that the tensor kernels
// do not have: LayerNorm with a bias, exact (erf) GELU, bias adds, and a
// matmul with a bias. Rows are split across the pool; each row's result does
// not depend on the others or on the split.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "tensor/matmul.h"

namespace hearth::media {

// out[r] = (x[r] - mean) / sqrt(var + eps) * w + b for each of n_rows rows of n
// values (mean and biased variance accumulated in double). out may alias x.
void layer_norm_rows(const float* x, const float* w, const float* b, float eps, float* out, int64_t n_rows, int64_t n,
                     ThreadPool& pool);

// x = 0.5 x (1 + erf(x / sqrt 2)), in place over n values.
void gelu_erf_inplace(float* x, int64_t n, ThreadPool& pool);

// y[t] = W x[t] (+ bias when not null), t < n_tokens (tensor::matmul, then the bias).
void linear(const tensor::WeightView& w, const float* bias, const float* x, int64_t n_tokens, float* y,
            ThreadPool& pool);

}  // namespace hearth::media

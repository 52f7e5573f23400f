// matmul. First version: dequantize rows and take float dot products.
#include "tensor/matmul.h"

#include <vector>

#include "tensor/ops.h"
#include "tensor/quant.h"

namespace hearth::tensor {

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const int64_t stride_bytes = row_bytes(w.dtype, w.n_cols);
  std::vector<std::vector<float>> rows(static_cast<size_t>(pool.n_threads()), std::vector<float>(w.n_cols));
  pool.parallel_for(w.n_rows, 16, [&](int64_t begin, int64_t end, int thread_idx) {
    float* row = rows[static_cast<size_t>(thread_idx)].data();
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      dequantize_row(w.dtype, static_cast<const uint8_t*>(w.data) + row_idx * stride_bytes, row, w.n_cols);
      for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
        y[token_idx * w.n_rows + row_idx] = dot_f32(row, x + token_idx * w.n_cols, w.n_cols);
      }
    }
  });
}

}  // namespace hearth::tensor

// Scalar reference matmul: dequantize each weight row, accumulate in double.
#include <vector>

#include "tensor/matmul.h"
#include "tensor/packed_weights.h"
#include "tensor/quant.h"

namespace hearth::tensor {

void matmul_ref(const WeightView& w, const float* x, int64_t n_tokens, float* y) {
  const int64_t stride_bytes = row_bytes(w.dtype, w.n_cols);
  std::vector<float> row(static_cast<size_t>(w.n_cols));
  std::vector<uint8_t> unpacked(w.layout == WeightLayout::kRows8 ? static_cast<size_t>(stride_bytes) : 0);
  for (int64_t row_idx = 0; row_idx < w.n_rows; ++row_idx) {
    const uint8_t* row_data = static_cast<const uint8_t*>(w.data) + row_idx * stride_bytes;
    if (w.layout == WeightLayout::kRows8) {
      unpack_row(w, row_idx, unpacked.data());
      row_data = unpacked.data();
    }
    dequantize_row_ref(w.dtype, row_data, row.data(), w.n_cols);
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const float* x_token = x + token_idx * w.n_cols;
      double sum = 0.0;
      for (int64_t col_idx = 0; col_idx < w.n_cols; ++col_idx) sum += static_cast<double>(row[col_idx]) * x_token[col_idx];
      y[token_idx * w.n_rows + row_idx] = static_cast<float>(sum);
    }
  }
}

}  // namespace hearth::tensor

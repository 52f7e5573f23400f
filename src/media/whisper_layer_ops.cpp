// Whisper's row-wise steps (see whisper_layer_ops.h).
#include "media/whisper_layer_ops.h"

#include <cmath>

namespace hearth::media {

void layer_norm_rows(const float* x, const float* w, const float* b, float eps, float* out, int64_t n_rows, int64_t n,
                     ThreadPool& pool) {
  pool.parallel_for(n_rows, 16, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; ++row) {
      const float* in = x + row * n;
      float* dst = out + row * n;
      double sum = 0.0;
      for (int64_t col = 0; col < n; ++col) sum += in[col];
      const double mean = sum / static_cast<double>(n);
      double var = 0.0;
      for (int64_t col = 0; col < n; ++col) {
        const double dev = in[col] - mean;
        var += dev * dev;
      }
      const double inv = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
      for (int64_t col = 0; col < n; ++col) {
        dst[col] = static_cast<float>((in[col] - mean) * inv) * w[col] + b[col];
      }
    }
  });
}

void gelu_erf_inplace(float* x, int64_t n, ThreadPool& pool) {
  pool.parallel_for(n, 4096, [&](int64_t begin, int64_t end, int) {
    for (int64_t idx = begin; idx < end; ++idx) {
      const float v = x[idx];
      x[idx] = 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f));
    }
  });
}

void linear(const tensor::WeightView& w, const float* bias, const float* x, int64_t n_tokens, float* y,
            ThreadPool& pool) {
  tensor::matmul(w, x, n_tokens, y, pool);
  if (bias == nullptr) return;
  const int64_t n_out = w.n_rows;
  pool.parallel_for(n_tokens, 64, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      float* row = y + t * n_out;
      for (int64_t col = 0; col < n_out; ++col) row[col] += bias[col];
    }
  });
}

}  // namespace hearth::media

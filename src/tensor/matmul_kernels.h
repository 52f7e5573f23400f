// The dispatched inner kernels of matmul (internal to tensor/; see matmul.cpp
// for how a product is split into tiles and threads).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"
#include "tensor/matmul.h"

namespace hearth::tensor {

// A block of rows of a weight matrix times a block of activation rows.
struct MatmulTile {
  const uint8_t* w;     // first weight row of the tile (kRows8: its first row group)
  int64_t w_row_bytes;  // row_bytes(dtype, n_cols) (kRows8: packed_group_bytes)
  WeightLayout w_layout = WeightLayout::kRows;
  int64_t n_rows;
  const uint8_t* act;  // first activation row of the tile (see activation_layout)
  int64_t act_row_bytes;
  int64_t n_tokens;
  int64_t n_cols;
  float* y;  // y[token * y_stride + row], relative to the tile
  int64_t y_stride;
};

// What matmul feeds a weight type's kernel (activation_quant.h): the floats as
// given for float weights, ActBlockQ8_0 rows for Q8_0 (and Q5_0, IQ4_NL),
// ActBlockQ8_1 rows for Q4_1 and Q5_1, ActPairQ8_0 rows for Q4_0, BlockQ8_K
// rows for the K types (and IQ4_XS); ActBlockQ8_0Sum rows for the interleaved
// (kRows8) Q4_0 and Q8_0 kernels.
enum class ActivationLayout { kF32, kQ8_0, kQ8_1, kQ8_0Pairs, kQ8_K, kQ8_0Sum };
ActivationLayout activation_layout(DType weight_dtype, WeightLayout w_layout = WeightLayout::kRows);
int64_t activation_row_bytes(DType weight_dtype, int64_t n_cols, WeightLayout w_layout = WeightLayout::kRows);

// Computes every dot product of the tile; reads each weight block once per group
// of up to four tokens.
void matmul_tile(DType weight_dtype, const MatmulTile& tile);

}  // namespace hearth::tensor

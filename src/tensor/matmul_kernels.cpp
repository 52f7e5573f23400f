// Per-target dispatch of the matmul tile kernels (see matmul_kernels.h).
#include "tensor/matmul_kernels.h"

#include <algorithm>
#include <cassert>

#include "tensor/activation_quant.h"
#include "tensor/quant_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tensor/matmul_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "tensor/matmul_block32-inl.h"
#include "tensor/matmul_float-inl.h"
#include "tensor/matmul_k_quants-inl.h"
#include "tensor/matmul_low_bit_k-inl.h"
#include "tensor/matmul_packed-inl.h"
#include "tensor/matmul_q8_0-inl.h"
#include "tensor/matmul_simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace {

template <int kTokens>
void run_token_group(DType weight_dtype, const MatmulTile& tile, int64_t token0) {
  if (tile.w_layout == WeightLayout::kRows8) {
    if (weight_dtype == DType::kQ4_K) return packed_rows_q4_k<kTokens>(tile, token0);
    if (weight_dtype == DType::kQ4_0) return packed_rows<kTokens, true>(tile, token0);
    return packed_rows<kTokens, false>(tile, token0);  // Q8_0, the only other packed type
  }
  switch (weight_dtype) {
    case DType::kF32:
      return rows_float<kTokens, F32Weights>(tile, token0);
    case DType::kF16:
      return rows_float<kTokens, F16Weights>(tile, token0);
    case DType::kBF16:
      return rows_float<kTokens, BF16Weights>(tile, token0);
    case DType::kQ4_0:
      return rows_q4_0<kTokens>(tile, token0);
    case DType::kQ4_1:
      return rows_block32<kTokens, Q4_1Kernel>(tile, token0);
    case DType::kQ5_0:
      return rows_block32<kTokens, Q5_0Kernel>(tile, token0);
    case DType::kQ5_1:
      return rows_block32<kTokens, Q5_1Kernel>(tile, token0);
    case DType::kQ8_0:
      return rows_q8_0<kTokens>(tile, token0);
    case DType::kQ4_K:
      return rows_q4_q5_k<kTokens, false, BlockQ4_K>(tile, token0);
    case DType::kQ5_K:
      return rows_q4_q5_k<kTokens, true, BlockQ5_K>(tile, token0);
    case DType::kQ6_K:
      return rows_q6_k<kTokens>(tile, token0);
    case DType::kIQ4_NL:
      return rows_block32<kTokens, IQ4_NLKernel>(tile, token0);
    case DType::kIQ4_XS:
      return rows_iq4_xs<kTokens>(tile, token0);
    case DType::kQ3_K:
      return rows_q3_k<kTokens>(tile, token0);
    case DType::kQ2_K:
      return rows_q2_k<kTokens>(tile, token0);
    case DType::kQ8_K:
      break;  // not a weight type; matmul rejects it before dispatch
  }
}

void matmul_tile_impl(DType weight_dtype, const MatmulTile& tile) {
  for (int64_t token0 = 0; token0 < tile.n_tokens; token0 += kTokenGroup) {
    switch (std::min<int64_t>(kTokenGroup, tile.n_tokens - token0)) {
      case 1:
        run_token_group<1>(weight_dtype, tile, token0);
        break;
      case 2:
        run_token_group<2>(weight_dtype, tile, token0);
        break;
      case 3:
        run_token_group<3>(weight_dtype, tile, token0);
        break;
      default:
        run_token_group<4>(weight_dtype, tile, token0);
        break;
    }
  }
}

}  // namespace
}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hearth::tensor {

HWY_EXPORT(matmul_tile_impl);

ActivationLayout activation_layout(DType weight_dtype, WeightLayout w_layout) {
  if (w_layout == WeightLayout::kRows8 && weight_dtype != DType::kQ4_K) return ActivationLayout::kQ8_0Sum;
  switch (weight_dtype) {
    case DType::kQ4_0:
      return ActivationLayout::kQ8_0Pairs;
    case DType::kQ5_0:
    case DType::kQ8_0:
    case DType::kIQ4_NL:
      return ActivationLayout::kQ8_0;
    case DType::kQ4_1:
    case DType::kQ5_1:
      return ActivationLayout::kQ8_1;
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_XS:
      return ActivationLayout::kQ8_K;
    default:
      return ActivationLayout::kF32;
  }
}

int64_t activation_row_bytes(DType weight_dtype, int64_t n_cols, WeightLayout w_layout) {
  switch (activation_layout(weight_dtype, w_layout)) {
    case ActivationLayout::kQ8_0Sum:
      return n_cols / kQ8_0BlockElems * static_cast<int64_t>(sizeof(ActBlockQ8_0Sum));
    case ActivationLayout::kQ8_0:
      return n_cols / kQ8_0BlockElems * static_cast<int64_t>(sizeof(ActBlockQ8_0));
    case ActivationLayout::kQ8_1:
      return n_cols / kQ8_0BlockElems * static_cast<int64_t>(sizeof(ActBlockQ8_1));
    case ActivationLayout::kQ8_0Pairs:
      return act_pairs_q8_0(n_cols) * static_cast<int64_t>(sizeof(ActPairQ8_0));
    case ActivationLayout::kQ8_K:
      return n_cols / kQKBlockElems * static_cast<int64_t>(sizeof(BlockQ8_K));
    case ActivationLayout::kF32:
      break;
  }
  return n_cols * static_cast<int64_t>(sizeof(float));
}

void matmul_tile(DType weight_dtype, const MatmulTile& tile) {
  assert(weight_dtype != DType::kQ8_K);
  HWY_DYNAMIC_DISPATCH(matmul_tile_impl)(weight_dtype, tile);
}

}  // namespace hearth::tensor
#endif  // HWY_ONCE

// matmul: quantizes the activations once, splits the product into tiles of
// rows x tokens and hands the tiles to the pool's threads.
//
// Tiling: a tile's activation rows (at most kActTileBytes) stay in L2 while its
// weight rows stream past, and inside a tile every weight block is decoded once
// per group of four tokens (matmul_kernels.h), so prefill is compute-bound.
// Decode (one token) is a pure stream over the weights: tiles are row ranges
// small enough for the threads to balance.
#include "tensor/matmul.h"

#include <algorithm>
#include <cassert>
#include <memory>

#include "tensor/activation_quant.h"
#include "tensor/matmul_kernels.h"
#include "tensor/packed_weights.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kActTileBytes = 128 * 1024;
constexpr int64_t kWeightTileBytes = 64 * 1024;
constexpr int64_t kTokenGroup = 4;
// Row tiles per thread for decode: enough that a slow thread does not hold up the rest.
constexpr int64_t kDecodeTilesPerThread = 8;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  if (w.n_rows <= 0 || n_tokens <= 0) return;
  assert(w.dtype != DType::kQ8_K);
  assert(w.n_cols % dtype_info(w.dtype).block_elems == 0);
  const int64_t n_threads = pool.n_threads();
  const bool packed = w.layout == WeightLayout::kRows8;
  assert(!packed || has_packed_layout(w.dtype));
  // Rows are handed out in whole groups of the packed layout.
  const int64_t row_quantum = packed ? kPackRows : 1;
  const int64_t w_row_bytes = row_bytes(w.dtype, w.n_cols);
  const ActivationLayout layout = activation_layout(w.dtype, w.layout);
  const int64_t act_row_bytes = activation_row_bytes(w.dtype, w.n_cols, w.layout);

  std::unique_ptr<uint8_t[]> act_buffer;
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (layout != ActivationLayout::kF32) {
    act_buffer = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(n_tokens * act_row_bytes));
    uint8_t* act_out = act_buffer.get();
    pool.parallel_for(n_tokens, 1, [&](int64_t begin, int64_t end, int /*thread_idx*/) {
      for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
        uint8_t* dst = act_out + token_idx * act_row_bytes;
        const float* src = x + token_idx * w.n_cols;
        switch (layout) {
          case ActivationLayout::kQ8_0:
            quantize_activations_q8_0(src, reinterpret_cast<ActBlockQ8_0*>(dst), w.n_cols);
            break;
          case ActivationLayout::kQ8_1:
            quantize_activations_q8_1(src, reinterpret_cast<ActBlockQ8_1*>(dst), w.n_cols);
            break;
          case ActivationLayout::kQ8_0Pairs:
            quantize_activations_q8_0_pairs(src, reinterpret_cast<ActPairQ8_0*>(dst), w.n_cols);
            break;
          case ActivationLayout::kQ8_K:
            quantize_activations_q8_k(src, reinterpret_cast<BlockQ8_K*>(dst), w.n_cols);
            break;
          case ActivationLayout::kQ8_0Sum:
            quantize_activations_q8_0_sum(src, reinterpret_cast<ActBlockQ8_0Sum*>(dst), w.n_cols);
            break;
          case ActivationLayout::kF32:
            break;
        }
      }
    });
    act = act_out;
  }

  int64_t tokens_per_tile = n_tokens;
  int64_t rows_per_tile;
  if (n_tokens <= kTokenGroup) {
    rows_per_tile = std::max<int64_t>(1, w.n_rows / (n_threads * kDecodeTilesPerThread));
  } else {
    tokens_per_tile = std::clamp<int64_t>(kActTileBytes / act_row_bytes / kTokenGroup * kTokenGroup, kTokenGroup,
                                          ceil_div(n_tokens, kTokenGroup) * kTokenGroup);
    rows_per_tile = std::max<int64_t>(1, kWeightTileBytes / w_row_bytes);
    // Keep at least four tiles per thread for balance.
    const int64_t n_token_tiles = ceil_div(n_tokens, tokens_per_tile);
    const int64_t min_row_tiles = ceil_div(4 * n_threads, n_token_tiles);
    rows_per_tile = std::max<int64_t>(1, std::min(rows_per_tile, ceil_div(w.n_rows, min_row_tiles)));
  }
  rows_per_tile = ceil_div(rows_per_tile, row_quantum) * row_quantum;
  const int64_t n_row_tiles = ceil_div(w.n_rows, rows_per_tile);
  const int64_t n_token_tiles = ceil_div(n_tokens, tokens_per_tile);

  // Tiles are numbered token tile major, so threads share a token tile's activations.
  pool.parallel_for(n_row_tiles * n_token_tiles, 1, [&](int64_t begin, int64_t end, int /*thread_idx*/) {
    for (int64_t tile_idx = begin; tile_idx < end; ++tile_idx) {
      const int64_t row0 = tile_idx % n_row_tiles * rows_per_tile;
      const int64_t token0 = tile_idx / n_row_tiles * tokens_per_tile;
      MatmulTile tile;
      if (packed) {
        tile.w_row_bytes = packed_group_bytes(w.dtype, w.n_cols);
        tile.w = static_cast<const uint8_t*>(w.data) + row0 / kPackRows * tile.w_row_bytes;
        tile.w_layout = WeightLayout::kRows8;
      } else {
        tile.w = static_cast<const uint8_t*>(w.data) + row0 * w_row_bytes;
        tile.w_row_bytes = w_row_bytes;
      }
      tile.n_rows = std::min(rows_per_tile, w.n_rows - row0);
      tile.act = act + token0 * act_row_bytes;
      tile.act_row_bytes = act_row_bytes;
      tile.n_tokens = std::min(tokens_per_tile, n_tokens - token0);
      tile.n_cols = w.n_cols;
      tile.y = y + token0 * w.n_rows + row0;
      tile.y_stride = w.n_rows;
      matmul_tile(w.dtype, tile);
    }
  });
}

}  // namespace hearth::tensor

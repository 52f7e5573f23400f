// Repacking of Q4_0 / Q8_0 matrices into the 8-row interleaved layout (see
// packed_weights.h) and its inverse.
#include "tensor/packed_weights.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

#include "hwy/targets.h"
#include "tensor/simd_targets.h"

namespace hearth::tensor {
namespace {

constexpr size_t kPackedAlignBytes = 64;

int64_t n_groups(int64_t n_rows) { return (n_rows + kPackRows - 1) / kPackRows; }

void pack_q4_0_block(const uint8_t* const* rows, int64_t block_idx, BlockQ4_0x8& out) {
  for (int row_idx = 0; row_idx < kPackRows; ++row_idx) {
    if (rows[row_idx] == nullptr) {  // past the last row: scale 0, values 8 (zero)
      out.d[row_idx] = 0;
      for (int word_idx = 0; word_idx < 4; ++word_idx) std::memset(out.qs + 32 * word_idx + 4 * row_idx, 0x88, 4);
      continue;
    }
    const BlockQ4_0& block = reinterpret_cast<const BlockQ4_0*>(rows[row_idx])[block_idx];
    out.d[row_idx] = block.d;
    for (int word_idx = 0; word_idx < 4; ++word_idx) {
      std::memcpy(out.qs + 32 * word_idx + 4 * row_idx, block.qs + 4 * word_idx, 4);
    }
  }
}

void pack_q8_0_block(const uint8_t* const* rows, int64_t block_idx, BlockQ8_0x8& out) {
  for (int row_idx = 0; row_idx < kPackRows; ++row_idx) {
    if (rows[row_idx] == nullptr) {
      out.d[row_idx] = 0;
      for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) std::memset(out.qs + 32 * chunk_idx + 4 * row_idx, 0x80, 4);
      continue;
    }
    const BlockQ8_0& block = reinterpret_cast<const BlockQ8_0*>(rows[row_idx])[block_idx];
    out.d[row_idx] = block.d;
    for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
      for (int byte_idx = 0; byte_idx < 4; ++byte_idx) {
        out.qs[32 * chunk_idx + 4 * row_idx + byte_idx] =
            static_cast<uint8_t>(block.qs[4 * chunk_idx + byte_idx]) ^ uint8_t{0x80};
      }
    }
  }
}

void pack_q4_k_block(const uint8_t* const* rows, int64_t block_idx, BlockQ4_Kx8& out) {
  for (int row_idx = 0; row_idx < kPackRows; ++row_idx) {
    if (rows[row_idx] == nullptr) {  // past the last row: all zero (scale 0, min 0)
      out.d[row_idx] = 0;
      out.dmin[row_idx] = 0;
      for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
        out.scales[8 * sub_idx + row_idx] = 0;
        out.mins[16 * (sub_idx / 2) + 2 * row_idx + sub_idx % 2] = 0;
      }
      for (int word_idx = 0; word_idx < 32; ++word_idx) std::memset(out.qs + 32 * word_idx + 4 * row_idx, 0, 4);
      continue;
    }
    const BlockQ4_K& block = reinterpret_cast<const BlockQ4_K*>(rows[row_idx])[block_idx];
    out.d[row_idx] = block.d;
    out.dmin[row_idx] = block.dmin;
    for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
      uint8_t scale, min;
      unpack_q4_k_scale_min(block.scales, sub_idx, &scale, &min);
      out.scales[8 * sub_idx + row_idx] = scale;
      out.mins[16 * (sub_idx / 2) + 2 * row_idx + sub_idx % 2] = min;
    }
    for (int group_idx = 0; group_idx < 4; ++group_idx) {
      for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
        std::memcpy(out.qs + 256 * group_idx + 32 * chunk_idx + 4 * row_idx, block.qs + 32 * group_idx + 4 * chunk_idx, 4);
      }
    }
  }
}

// The inverse of unpack_q4_k_scale_min over all eight sub-blocks (a bijection
// of the 96 bits).
void repack_q4_k_scales(const uint8_t* scale, const uint8_t* min, uint8_t* scales) {
  for (int sub_idx = 0; sub_idx < 4; ++sub_idx) {
    scales[sub_idx] = static_cast<uint8_t>((scale[sub_idx] & 63) | (scale[sub_idx + 4] >> 4) << 6);
    scales[sub_idx + 4] = static_cast<uint8_t>((min[sub_idx] & 63) | (min[sub_idx + 4] >> 4) << 6);
    scales[sub_idx + 8] = static_cast<uint8_t>((scale[sub_idx + 4] & 0xF) | (min[sub_idx + 4] & 0xF) << 4);
  }
}

int64_t block_elems_of(DType dtype) { return dtype_info(dtype).block_elems; }

}  // namespace

bool has_packed_layout(DType dtype) {
  return dtype == DType::kQ4_0 || dtype == DType::kQ8_0 || dtype == DType::kQ4_K;
}

bool packing_pays(DType dtype) {
  if (!has_packed_layout(dtype)) return false;
  const int64_t target = current_simd_target();
  if (dtype == DType::kQ4_K) return target == HWY_AVX3_DL;
  return target == HWY_AVX2 || target == HWY_AVX3 || target == HWY_AVX3_DL;
}

int64_t packed_group_bytes(DType dtype, int64_t n_cols) {
  if (dtype == DType::kQ4_K) return n_cols / kQKBlockElems * static_cast<int64_t>(sizeof(BlockQ4_Kx8));
  return kPackRows * row_bytes(dtype, n_cols);
}

int64_t packed_bytes(DType dtype, int64_t n_rows, int64_t n_cols) {
  return n_groups(n_rows) * packed_group_bytes(dtype, n_cols);
}

void unpack_row(const WeightView& packed, int64_t row_idx, uint8_t* dst) {
  assert(packed.layout == WeightLayout::kRows8 && has_packed_layout(packed.dtype));
  const int64_t n_blocks = packed.n_cols / block_elems_of(packed.dtype);
  const auto* group = static_cast<const uint8_t*>(packed.data) +
                      row_idx / kPackRows * packed_group_bytes(packed.dtype, packed.n_cols);
  const int lane = static_cast<int>(row_idx % kPackRows);
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    if (packed.dtype == DType::kQ4_K) {
      const BlockQ4_Kx8& in = reinterpret_cast<const BlockQ4_Kx8*>(group)[block_idx];
      BlockQ4_K& out = reinterpret_cast<BlockQ4_K*>(dst)[block_idx];
      out.d = in.d[lane];
      out.dmin = in.dmin[lane];
      uint8_t scale[8], min[8];
      for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
        scale[sub_idx] = in.scales[8 * sub_idx + lane];
        min[sub_idx] = in.mins[16 * (sub_idx / 2) + 2 * lane + sub_idx % 2];
      }
      repack_q4_k_scales(scale, min, out.scales);
      for (int group_idx = 0; group_idx < 4; ++group_idx) {
        for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
          std::memcpy(out.qs + 32 * group_idx + 4 * chunk_idx, in.qs + 256 * group_idx + 32 * chunk_idx + 4 * lane, 4);
        }
      }
    } else if (packed.dtype == DType::kQ4_0) {
      const BlockQ4_0x8& in = reinterpret_cast<const BlockQ4_0x8*>(group)[block_idx];
      BlockQ4_0& out = reinterpret_cast<BlockQ4_0*>(dst)[block_idx];
      out.d = in.d[lane];
      for (int word_idx = 0; word_idx < 4; ++word_idx) std::memcpy(out.qs + 4 * word_idx, in.qs + 32 * word_idx + 4 * lane, 4);
    } else {
      const BlockQ8_0x8& in = reinterpret_cast<const BlockQ8_0x8*>(group)[block_idx];
      BlockQ8_0& out = reinterpret_cast<BlockQ8_0*>(dst)[block_idx];
      out.d = in.d[lane];
      for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
        for (int byte_idx = 0; byte_idx < 4; ++byte_idx) {
          out.qs[4 * chunk_idx + byte_idx] = static_cast<int8_t>(in.qs[32 * chunk_idx + 4 * lane + byte_idx] ^ 0x80);
        }
      }
    }
  }
}

void PackedWeights::FreeAligned::operator()(uint8_t* p) const { std::free(p); }

PackedWeights PackedWeights::pack(const WeightView& w) {
  assert(has_packed_layout(w.dtype) && w.layout == WeightLayout::kRows && w.n_cols % block_elems_of(w.dtype) == 0);
  PackedWeights packed;
  packed.n_bytes_ = packed_bytes(w.dtype, w.n_rows, w.n_cols);
  const size_t alloc_bytes =
      (static_cast<size_t>(packed.n_bytes_) + kPackedAlignBytes - 1) / kPackedAlignBytes * kPackedAlignBytes;
  auto* data = static_cast<uint8_t*>(std::aligned_alloc(kPackedAlignBytes, alloc_bytes > 0 ? alloc_bytes : kPackedAlignBytes));
  if (data == nullptr) throw std::bad_alloc();
  packed.data_.reset(data);
  const int64_t n_blocks = w.n_cols / block_elems_of(w.dtype);
  const int64_t src_row_bytes = row_bytes(w.dtype, w.n_cols);
  const int64_t group_bytes = packed_group_bytes(w.dtype, w.n_cols);
  const auto* src = static_cast<const uint8_t*>(w.data);
  for (int64_t group_idx = 0; group_idx < n_groups(w.n_rows); ++group_idx) {
    const uint8_t* rows[kPackRows];
    for (int lane = 0; lane < kPackRows; ++lane) {
      const int64_t row_idx = group_idx * kPackRows + lane;
      rows[lane] = row_idx < w.n_rows ? src + row_idx * src_row_bytes : nullptr;
    }
    uint8_t* group = data + group_idx * group_bytes;
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      if (w.dtype == DType::kQ4_K) {
        pack_q4_k_block(rows, block_idx, reinterpret_cast<BlockQ4_Kx8*>(group)[block_idx]);
      } else if (w.dtype == DType::kQ4_0) {
        pack_q4_0_block(rows, block_idx, reinterpret_cast<BlockQ4_0x8*>(group)[block_idx]);
      } else {
        pack_q8_0_block(rows, block_idx,
                        reinterpret_cast<BlockQ8_0x8*>(group)[block_idx]);
      }
    }
  }
  packed.view_ = {w.dtype, data, w.n_rows, w.n_cols, WeightLayout::kRows8};
  return packed;
}

}  // namespace hearth::tensor

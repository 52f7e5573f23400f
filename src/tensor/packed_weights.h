// Weight matrices repacked at load into an interleaved layout: the blocks of 8
// consecutive rows are stored side by side, so one broadcast activation value
// meets 8 rows in one vector instruction and each group of rows is summed in
// eight vector lanes with no horizontal reduction (the fast engines' "repack").
//
// Layout WeightLayout::kRows8 of a [n_rows x n_cols] matrix: ceil(n_rows / 8)
// groups of 8 rows, group g holding rows 8g..8g+7 (missing rows of the last
// group are zero blocks with scale 0); each group is n_cols / 32 interleaved
// blocks, block b of a group holding block b of each of its 8 rows:
//
//   BlockQ4_0x8: d[k] = row k's f16 scale; qs[32 j + 4 k + i] = row k's qs[4 j + i]
//                (j < 4, i < 4): lane k (bytes 4k..4k+3) of the 32-byte word j
//                holds row k's values 4j..4j+3 in its low nibbles and values
//                16+4j..16+4j+3 in its high nibbles.
//   BlockQ8_0x8: d[k] as above; qs[32 c + 4 k + i] = row k's qs[4 c + i] ^ 0x80
//                (c < 8): the values as unsigned bytes q + 128, so a u8 x s8
//                dot product takes them and corrects by 128 * sum(x).
//   BlockQ4_Kx8: d[k], dmin[k] = row k's f16 scales; scales[8 j + k] = row k's
//                6-bit scale of sub-block j (unpacked); mins[16 p + 2 k + h] =
//                row k's min of sub-block 2p + h; qs[256 g + 32 c + 4 k + i] =
//                row k's qs[32 g + 4 c + i] (g < 4, c < 8): low nibbles are
//                sub-block 2g's values 4c..4c+3, high nibbles sub-block 2g+1's.
//
// Q4_0 and Q8_0 packed matrices are exactly as large as the GGUF ones plus the
// zero rows of the last group; Q4_K ones are 148/144 of it (the unpacked
// scales). Repacking replaces the mapping of a tensor (the caller drops the
// mapped pages, see infer/llama_model.cpp); it does not keep two copies.
//
// Thread-safety: PackedWeights is immutable after pack(); any thread may read it.
#pragma once

#include <cstdint>
#include <memory>

#include "tensor/matmul.h"
#include "tensor/quant_blocks.h"

namespace hearth::tensor {

inline constexpr int kPackRows = 8;

struct BlockQ4_0x8 {
  uint16_t d[kPackRows];
  uint8_t qs[kPackRows * kQ4_0BlockElems / 2];
};
static_assert(sizeof(BlockQ4_0x8) == kPackRows * sizeof(BlockQ4_0));

struct BlockQ8_0x8 {
  uint16_t d[kPackRows];
  uint8_t qs[kPackRows * kQ8_0BlockElems];
};
static_assert(sizeof(BlockQ8_0x8) == kPackRows * sizeof(BlockQ8_0));

struct BlockQ4_Kx8 {
  uint16_t d[kPackRows];
  uint16_t dmin[kPackRows];
  uint8_t scales[8 * kPackRows];
  uint8_t mins[8 * kPackRows];
  uint8_t qs[kPackRows * kQKBlockElems / 2];
};
static_assert(sizeof(BlockQ4_Kx8) == 1184);

// Whether `dtype` has a kRows8 layout at all (Q4_0, Q8_0, Q4_K).
bool has_packed_layout(DType dtype);

// Whether matmul is faster on kRows8 than on GGUF rows for `dtype` on the SIMD
// target the kernels dispatch to now: true for Q4_0 and Q8_0 on AVX2 and
// AVX-512 (interleaved maddubs / VNNI kernels), for Q4_K on AVX-512 VNNI only;
// false elsewhere: those targets' row kernels stay the fast path (every target
// reads kRows8 correctly, the others slowly).
bool packing_pays(DType dtype);

// Bytes of one group of 8 rows, and of the whole packed matrix.
int64_t packed_group_bytes(DType dtype, int64_t n_cols);
int64_t packed_bytes(DType dtype, int64_t n_rows, int64_t n_cols);

// Writes row `row_idx`'s GGUF bytes (row_bytes(dtype, n_cols) of them) from a
// kRows8 matrix: the inverse of packing (the reference path and tests use it).
void unpack_row(const WeightView& packed, int64_t row_idx, uint8_t* dst);

class PackedWeights {
 public:
  // Repacks a GGUF-layout matrix. Precondition: has_packed_layout(w.dtype),
  // w.layout == kRows, n_cols a multiple of the type's block.
  static PackedWeights pack(const WeightView& w);

  PackedWeights(PackedWeights&&) noexcept = default;
  PackedWeights& operator=(PackedWeights&&) noexcept = default;

  // A kRows8 view of the packed data; valid while this object lives.
  const WeightView& view() const { return view_; }
  int64_t n_bytes() const { return n_bytes_; }

 private:
  PackedWeights() = default;
  struct FreeAligned {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, FreeAligned> data_;
  int64_t n_bytes_ = 0;
  WeightView view_{};
};

}  // namespace hearth::tensor

// Byte layouts of the quantized block types, exactly as ggml/GGUF store them.
//
// All multi-byte fields are little-endian (hearth runs on little-endian hosts
// only); `f16` fields hold IEEE half bits. Structs are packed by construction
// (every field is naturally aligned or a byte array) and their sizes are
// asserted against the GGUF block sizes.
// ref: ggml/src/ggml-common.h (block_q4_0, block_q4_1, block_q5_0, block_q5_1, block_iq4_nl, block_iq4_xs, block_q2_K,
// block_q3_K, block_q8_0, block_q4_K,
//      block_q5_K, block_q6_K, block_q8_K)
#pragma once

#include <cstdint>
#include <cstring>

namespace hearth::tensor {

inline constexpr int kQ4_0BlockElems = 32;
// Values per block of Q4_1, Q5_0, Q5_1 and IQ4_NL (the same as Q4_0's).
inline constexpr int kQ32BlockElems = 32;
inline constexpr int kQ8_0BlockElems = 32;
// Super-block length of the K types.
inline constexpr int kQKBlockElems = 256;
// Bytes of the packed 6-bit scales and mins of Q4_K / Q5_K.
inline constexpr int kKScaleBytes = 12;

// value[i] = ((qs[i % 16] >> (4 * (i / 16))) & 0xF) - 8) * d
struct BlockQ4_0 {
  uint16_t d;                       // f16 scale
  uint8_t qs[kQ4_0BlockElems / 2];  // low nibbles: values 0..15, high nibbles: 16..31
};
static_assert(sizeof(BlockQ4_0) == 18);

// Q4_0 plus a fifth bit per value: bit i of the little-endian word qh is the
// high bit of value i. value[i] = ((nibble_i | bit_i << 4) - 16) * d, with
// nibble_i as in Q4_0.
struct BlockQ5_0 {
  uint16_t d;  // f16 scale
  uint8_t qh[4];
  uint8_t qs[kQ32BlockElems / 2];
};
static_assert(sizeof(BlockQ5_0) == 22);

// Unsigned quants with an offset: value[i] = nibble_i * d + m (nibble_i as in Q4_0).
struct BlockQ4_1 {
  uint16_t d;  // f16 scale
  uint16_t m;  // f16 offset (the block's minimum)
  uint8_t qs[kQ32BlockElems / 2];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Q4_1 plus Q5_0's fifth bits: value[i] = (nibble_i | bit_i << 4) * d + m.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQ32BlockElems / 2];
};
static_assert(sizeof(BlockQ5_1) == 24);

// The 16 levels of the non-linear 4-bit types (IQ4_NL, IQ4_XS), denser near 0.
// ref: ggml/src/ggml-common.h (kvalues_iq4nl)
inline constexpr int8_t kIQ4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Q4_0's nibbles index kIQ4Levels: value[i] = d * kIQ4Levels[nibble_i].
struct BlockIQ4_NL {
  uint16_t d;  // f16 scale
  uint8_t qs[kQ32BlockElems / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 18);

// value[i] = qs[i] * d
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQ8_0BlockElems];
};
static_assert(sizeof(BlockQ8_0) == 34);

// Eight sub-blocks of 32; sub-block j has a 6-bit scale sc_j and min m_j packed
// in `scales` (see unpack_q4_k_scale_min), value = d * sc_j * q - dmin * m_j.
// qs byte l of 32-byte group g holds sub-block 2g in its low nibble and 2g+1
// in its high nibble.
struct BlockQ4_K {
  uint16_t d;     // f16 super-block scale of the scales
  uint16_t dmin;  // f16 super-block scale of the mins
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQKBlockElems / 2];
};
static_assert(sizeof(BlockQ4_K) == 144);

// Q4_K plus a fifth bit: bit (2g) of qh[l] is the high bit of element l of
// sub-block 2g, bit (2g+1) that of sub-block 2g+1.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQKBlockElems / 8];
  uint8_t qs[kQKBlockElems / 2];
};
static_assert(sizeof(BlockQ5_K) == 176);

// Sixteen sub-blocks of 16 with int8 scales; 6-bit quants q in [0, 63],
// value = d * scales[sub] * (q - 32). Within each half of 128 elements
// (ql += 64, qh += 32 per half), element l + 32 * k (l < 32, k < 4) takes its
// low 4 bits from ql[l + 32 * (k & 1)] (low nibble for k < 2, high otherwise)
// and its high 2 bits from bits 2k, 2k+1 of qh[l].
struct BlockQ6_K {
  uint8_t ql[kQKBlockElems / 2];
  uint8_t qh[kQKBlockElems / 4];
  int8_t scales[kQKBlockElems / 16];
  uint16_t d;  // f16
};
static_assert(sizeof(BlockQ6_K) == 210);

// Eight sub-blocks of 32 in IQ4_NL's nibble order (sub-block j in qs[16j..16j+15]),
// each with a 6-bit scale: value = d * (ls_j - 32) * kIQ4Levels[nibble], where
// ls_j takes its low 4 bits from nibble j of scales_l (low nibble for even j)
// and its high 2 bits from bits 2j, 2j+1 of scales_h.
struct BlockIQ4_XS {
  uint16_t d;  // f16
  uint16_t scales_h;
  uint8_t scales_l[kQKBlockElems / 64];
  uint8_t qs[kQKBlockElems / 2];
};
static_assert(sizeof(BlockIQ4_XS) == 136);

// The signed scale ls_j - 32 (in [-32, 31]) of sub-block j (0..7) of an IQ4_XS block.
inline int iq4_xs_scale(const BlockIQ4_XS& block, int sub_idx) {
  const int low = (block.scales_l[sub_idx / 2] >> (4 * (sub_idx % 2))) & 0xF;
  const int high = (block.scales_h >> (2 * sub_idx)) & 3;
  return (low | high << 4) - 32;
}

// Sixteen sub-blocks of 16 with signed 6-bit scales and 3-bit quants in [-4, 3]:
// value = d * (s_j - 32) * q. As in Q6_K, a block is two halves of 128 and value
// l + 32 k of half h (l < 32, k < 4) takes its low 2 bits from bits 2k, 2k+1 of
// qs[32h + l]; q = low - 4 unless bit 4h + k of hmask[l] is set (then q = low).
// s_j (see q3_k_scale) takes its low 4 bits from scales[j] (j < 8, low nibble) or
// scales[j - 8] (high nibble), its high 2 bits from bits 2(j/4).. of scales[8 + j%4].
struct BlockQ3_K {
  uint8_t hmask[kQKBlockElems / 8];
  uint8_t qs[kQKBlockElems / 4];
  uint8_t scales[12];
  uint16_t d;  // f16
};
static_assert(sizeof(BlockQ3_K) == 110);

// The signed scale s_j - 32 (in [-32, 31]) of sub-block j (0..15) of a Q3_K block.
inline int q3_k_scale(const uint8_t* scales, int sub_idx) {
  const int low = sub_idx < 8 ? scales[sub_idx] & 0xF : scales[sub_idx - 8] >> 4;
  const int high = (scales[8 + sub_idx % 4] >> (2 * (sub_idx / 4))) & 3;
  return (low | high << 4) - 32;
}

// All sixteen q3_k_scale values, with 32-bit word operations (four per word).
inline void unpack_q3_k_scales(const uint8_t* scales, int8_t* out) {
  uint32_t word[3];
  std::memcpy(word, scales, sizeof word);
  const uint32_t low_mask = 0x0F0F0F0Fu;
  const uint32_t high_mask = 0x03030303u;
  uint32_t unpacked[4] = {
      (word[0] & low_mask) | ((word[2] >> 0) & high_mask) << 4,
      (word[1] & low_mask) | ((word[2] >> 2) & high_mask) << 4,
      ((word[0] >> 4) & low_mask) | ((word[2] >> 4) & high_mask) << 4,
      ((word[1] >> 4) & low_mask) | ((word[2] >> 6) & high_mask) << 4,
  };
  // Each byte is s_j in [0, 63]; the offset is removed per byte.
  uint8_t bytes[16];
  std::memcpy(bytes, unpacked, sizeof bytes);
  for (int sub_idx = 0; sub_idx < 16; ++sub_idx) out[sub_idx] = static_cast<int8_t>(bytes[sub_idx] - 32);
}

// Sixteen sub-blocks of 16 with 4-bit scales and mins (scales[j]: scale in the
// low nibble, min in the high) and 2-bit quants q placed as Q3_K's low bits:
// value = d * scale_j * q - dmin * min_j.
struct BlockQ2_K {
  uint8_t scales[kQKBlockElems / 16];
  uint8_t qs[kQKBlockElems / 4];
  uint16_t d;     // f16 super-block scale of the scales
  uint16_t dmin;  // f16 super-block scale of the mins
};
static_assert(sizeof(BlockQ2_K) == 84);

// Activation type of the K-quant dot products: value[i] = qs[i] * d, with
// bsums[g] = sum of qs[16 g .. 16 g + 15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQKBlockElems];
  int16_t bsums[kQKBlockElems / 16];
};
static_assert(sizeof(BlockQ8_K) == 292);

// Sub-block `sub_idx` (0..7) scale and min of a Q4_K / Q5_K `scales` array:
// sub-blocks 0..3 use the low 6 bits of bytes sub and sub+4; sub-blocks 4..7
// combine the nibbles of byte sub+4 with the top 2 bits of bytes sub-4 and sub.
inline void unpack_q4_k_scale_min(const uint8_t* scales, int sub_idx, uint8_t* scale, uint8_t* min) {
  if (sub_idx < 4) {
    *scale = scales[sub_idx] & 63;
    *min = scales[sub_idx + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((scales[sub_idx + 4] & 0xF) | ((scales[sub_idx - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((scales[sub_idx + 4] >> 4) | ((scales[sub_idx] >> 6) << 4));
  }
}

}  // namespace hearth::tensor

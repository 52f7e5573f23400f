// Scalar definitions of every block layout: the reference the SIMD kernels and
// the fixture files are checked against. Written for clarity, not speed.
//
// Arithmetic order is part of the contract: dequantize_row must reproduce these
// values bit for bit, so each value is formed exactly as commented (no fused
// multiply-add; the library is compiled with -ffp-contract=off).
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant.h"
#include "tensor/quant_blocks.h"

namespace hearth::tensor {
namespace {

// Round half to even, as the SIMD quantizers do. Out-of-range and NaN inputs
// (possible only from hostile data) give a clamped or zero result, never UB.
int round_nearest(float value) {
  if (!(std::fabs(value) < 1e9f)) return std::isnan(value) ? 0 : (value > 0 ? 1000000000 : -1000000000);
  return static_cast<int>(std::nearbyint(value));
}

int clamp_int(int value, int low, int high) { return std::min(std::max(value, low), high); }

void dequantize_q4_0(const BlockQ4_0* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ4_0& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    float* out = dst + block_idx * kQ4_0BlockElems;
    for (int byte_idx = 0; byte_idx < kQ4_0BlockElems / 2; ++byte_idx) {
      out[byte_idx] = static_cast<float>((block.qs[byte_idx] & 0xF) - 8) * d;
      out[byte_idx + 16] = static_cast<float>((block.qs[byte_idx] >> 4) - 8) * d;
    }
  }
}

// The unsigned quant of value `elem_idx` (0..31) of a 32-value block with Q4_0's
// nibble order, plus the fifth bit from `high_bits` (bit elem_idx) when given.
int nibble_quant(const uint8_t* qs, uint32_t high_bits, int elem_idx) {
  const int nibble = elem_idx < 16 ? (qs[elem_idx] & 0xF) : (qs[elem_idx - 16] >> 4);
  return nibble | static_cast<int>((high_bits >> elem_idx) & 1) << 4;
}

uint32_t load_high_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return bits;
}

void dequantize_q5_0(const BlockQ5_0* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ5_0& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    const uint32_t high_bits = load_high_bits(block.qh);
    float* out = dst + block_idx * kQ32BlockElems;
    for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
      out[elem_idx] = static_cast<float>(nibble_quant(block.qs, high_bits, elem_idx) - 16) * d;
    }
  }
}

// Q4_1 (no qh) and Q5_1: value = float(q) * d + m.
template <class Block>
void dequantize_with_min(const Block* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const Block& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    const float m = f16_to_f32(block.m);
    uint32_t high_bits = 0;
    if constexpr (requires { block.qh; }) high_bits = load_high_bits(block.qh);
    float* out = dst + block_idx * kQ32BlockElems;
    for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
      out[elem_idx] = static_cast<float>(nibble_quant(block.qs, high_bits, elem_idx)) * d + m;
    }
  }
}

// IQ4_NL and IQ4_XS: 32 nibbles in Q4_0's order index kIQ4Levels; value = d * level.
void dequantize_iq4_levels(const uint8_t* qs, float d, float* out) {
  for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
    out[elem_idx] = d * static_cast<float>(kIQ4Levels[nibble_quant(qs, 0, elem_idx)]);
  }
}

void dequantize_q8_0(const BlockQ8_0* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ8_0& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    float* out = dst + block_idx * kQ8_0BlockElems;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) {
      out[elem_idx] = static_cast<float>(block.qs[elem_idx]) * d;
    }
  }
}

// Shared by Q4_K and Q5_K: value = (d * scale) * q - (dmin * min).
// `high_bits` is null for Q4_K, qh for Q5_K.
void dequantize_k4_k5(const uint16_t d_bits, uint16_t dmin_bits, const uint8_t* scales, const uint8_t* qs,
                      const uint8_t* high_bits, float* out) {
  const float d = f16_to_f32(d_bits);
  const float dmin = f16_to_f32(dmin_bits);
  for (int group_idx = 0; group_idx < 4; ++group_idx) {
    for (int half_idx = 0; half_idx < 2; ++half_idx) {
      const int sub_idx = 2 * group_idx + half_idx;
      uint8_t scale, min;
      unpack_q4_k_scale_min(scales, sub_idx, &scale, &min);
      const float d_sub = d * static_cast<float>(scale);
      const float min_sub = dmin * static_cast<float>(min);
      for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
        const uint8_t byte = qs[32 * group_idx + elem_idx];
        int q = half_idx == 0 ? (byte & 0xF) : (byte >> 4);
        if (high_bits != nullptr && (high_bits[elem_idx] >> sub_idx) & 1) q += 16;
        out[32 * sub_idx + elem_idx] = d_sub * static_cast<float>(q) - min_sub;
      }
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ6_K& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    float* out = dst + block_idx * kQKBlockElems;
    for (int half_idx = 0; half_idx < 2; ++half_idx) {
      const uint8_t* ql = block.ql + 64 * half_idx;
      const uint8_t* qh = block.qh + 32 * half_idx;
      for (int quarter_idx = 0; quarter_idx < 4; ++quarter_idx) {
        for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
          const uint8_t low_byte = ql[elem_idx + 32 * (quarter_idx & 1)];
          const int low = quarter_idx < 2 ? (low_byte & 0xF) : (low_byte >> 4);
          const int high = (qh[elem_idx] >> (2 * quarter_idx)) & 3;
          const int q = (low | (high << 4)) - 32;
          const int pos = 128 * half_idx + 32 * quarter_idx + elem_idx;
          const float d_sub = d * static_cast<float>(block.scales[pos / 16]);
          out[pos] = d_sub * static_cast<float>(q);
        }
      }
    }
  }
}

// Position of value `elem_idx` (0..255) in Q2_K / Q3_K: its byte of qs (and
// hmask), and the group k whose bits 2k, 2k+1 of that byte it owns.
struct LowBitPosition {
  int qs_byte;
  int hmask_byte;
  int half;
  int group;
};

LowBitPosition low_bit_position(int elem_idx) {
  const int half = elem_idx / 128;
  const int lane = elem_idx % 32;
  return {32 * half + lane, lane, half, (elem_idx % 128) / 32};
}

void dequantize_q3_k(const BlockQ3_K* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ3_K& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    float* out = dst + block_idx * kQKBlockElems;
    for (int elem_idx = 0; elem_idx < kQKBlockElems; ++elem_idx) {
      const LowBitPosition pos = low_bit_position(elem_idx);
      const int low = (block.qs[pos.qs_byte] >> (2 * pos.group)) & 3;
      const bool high = (block.hmask[pos.hmask_byte] >> (4 * pos.half + pos.group)) & 1;
      const float d_sub = d * static_cast<float>(q3_k_scale(block.scales, elem_idx / 16));
      out[elem_idx] = d_sub * static_cast<float>(high ? low : low - 4);
    }
  }
}

void dequantize_q2_k(const BlockQ2_K* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ2_K& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    const float dmin = f16_to_f32(block.dmin);
    float* out = dst + block_idx * kQKBlockElems;
    for (int elem_idx = 0; elem_idx < kQKBlockElems; ++elem_idx) {
      const LowBitPosition pos = low_bit_position(elem_idx);
      const int q = (block.qs[pos.qs_byte] >> (2 * pos.group)) & 3;
      const uint8_t scale_min = block.scales[elem_idx / 16];
      const float d_sub = d * static_cast<float>(scale_min & 0xF);
      const float min_sub = dmin * static_cast<float>(scale_min >> 4);
      out[elem_idx] = d_sub * static_cast<float>(q) - min_sub;
    }
  }
}

void dequantize_iq4_xs(const BlockIQ4_XS* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockIQ4_XS& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
      dequantize_iq4_levels(block.qs + 16 * sub_idx, d * static_cast<float>(iq4_xs_scale(block, sub_idx)),
                            dst + block_idx * kQKBlockElems + 32 * sub_idx);
    }
  }
}

void dequantize_q8_k(const BlockQ8_K* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    float* out = dst + block_idx * kQKBlockElems;
    for (int elem_idx = 0; elem_idx < kQKBlockElems; ++elem_idx) {
      out[elem_idx] = static_cast<float>(blocks[block_idx].qs[elem_idx]) * blocks[block_idx].d;
    }
  }
}

void quantize_q4_0(const float* src, BlockQ4_0* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQ4_0BlockElems;
    // The value of largest magnitude maps to -8, using the whole [-8, 7] range.
    float max_signed = 0.0f;
    for (int elem_idx = 0; elem_idx < kQ4_0BlockElems; ++elem_idx) {
      if (std::fabs(in[elem_idx]) > std::fabs(max_signed)) max_signed = in[elem_idx];
    }
    BlockQ4_0& block = blocks[block_idx];
    block.d = f32_to_f16(max_signed / -8.0f);
    const float d = f16_to_f32(block.d);
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    for (int byte_idx = 0; byte_idx < kQ4_0BlockElems / 2; ++byte_idx) {
      const int low = clamp_int(round_nearest(in[byte_idx] * inv_d) + 8, 0, 15);
      const int high = clamp_int(round_nearest(in[byte_idx + 16] * inv_d) + 8, 0, 15);
      block.qs[byte_idx] = static_cast<uint8_t>(low | (high << 4));
    }
  }
}

// Packs 32 unsigned quants (< 32) into Q4_0's nibble order, and their fifth
// bits into *high_bits when it is not null.
void pack_nibble_quants(const int* quants, uint8_t* qs, uint8_t* high_bits) {
  uint32_t bits = 0;
  for (int byte_idx = 0; byte_idx < kQ32BlockElems / 2; ++byte_idx) {
    qs[byte_idx] = static_cast<uint8_t>((quants[byte_idx] & 0xF) | (quants[byte_idx + 16] & 0xF) << 4);
  }
  for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
    bits |= static_cast<uint32_t>(quants[elem_idx] >> 4 & 1) << elem_idx;
  }
  if (high_bits != nullptr) std::memcpy(high_bits, &bits, sizeof bits);
}

void quantize_q5_0(const float* src, BlockQ5_0* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQ32BlockElems;
    // As Q4_0: the value of largest magnitude maps to -16.
    float max_signed = 0.0f;
    for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
      if (std::fabs(in[elem_idx]) > std::fabs(max_signed)) max_signed = in[elem_idx];
    }
    BlockQ5_0& block = blocks[block_idx];
    block.d = f32_to_f16(max_signed / -16.0f);
    const float d = f16_to_f32(block.d);
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    int quants[kQ32BlockElems];
    for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
      quants[elem_idx] = clamp_int(round_nearest(in[elem_idx] * inv_d) + 16, 0, 31);
    }
    pack_nibble_quants(quants, block.qs, block.qh);
  }
}

// Q4_1 (16 levels, no qh) and Q5_1 (32 levels): the block's [min, max] spread
// over the levels; quants are fitted to the stored (f16-rounded) d and m.
template <class Block, int kLevels>
void quantize_with_min(const float* src, Block* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQ32BlockElems;
    float low = in[0], high = in[0];
    for (int elem_idx = 1; elem_idx < kQ32BlockElems; ++elem_idx) {
      low = std::min(low, in[elem_idx]);
      high = std::max(high, in[elem_idx]);
    }
    Block& block = blocks[block_idx];
    block.d = f32_to_f16((high - low) / static_cast<float>(kLevels - 1));
    block.m = f32_to_f16(low);
    const float d = f16_to_f32(block.d);
    const float m = f16_to_f32(block.m);
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    int quants[kQ32BlockElems];
    for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
      quants[elem_idx] = clamp_int(round_nearest((in[elem_idx] - m) * inv_d), 0, kLevels - 1);
    }
    uint8_t* high_bits = nullptr;
    if constexpr (requires { block.qh; }) high_bits = block.qh;
    pack_nibble_quants(quants, block.qs, high_bits);
  }
}

// The index of the level nearest `value` (ties to the lower level).
int nearest_iq4_level(float value) {
  int best = 0;
  for (int level_idx = 1; level_idx < 16; ++level_idx) {
    if (std::fabs(value - kIQ4Levels[level_idx]) < std::fabs(value - kIQ4Levels[best])) best = level_idx;
  }
  return best;
}

// 32 values as the nearest levels times d (0 when d is 0 or not finite).
void fit_iq4_levels(const float* in, float d, uint8_t* qs) {
  const float inv_d = d != 0.0f && std::isfinite(d) ? 1.0f / d : 0.0f;
  int quants[kQ32BlockElems];
  for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
    quants[elem_idx] = nearest_iq4_level(inv_d == 0.0f ? 0.0f : in[elem_idx] * inv_d);
  }
  pack_nibble_quants(quants, qs, nullptr);
}

// The scale that maps the value of largest magnitude to the level -127.
float iq4_block_scale(const float* in) {
  float max_signed = 0.0f;
  for (int elem_idx = 0; elem_idx < kQ32BlockElems; ++elem_idx) {
    if (std::fabs(in[elem_idx]) > std::fabs(max_signed)) max_signed = in[elem_idx];
  }
  return max_signed / static_cast<float>(kIQ4Levels[0]);
}

void quantize_iq4_nl(const float* src, BlockIQ4_NL* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQ32BlockElems;
    BlockIQ4_NL& block = blocks[block_idx];
    block.d = f32_to_f16(iq4_block_scale(in));
    fit_iq4_levels(in, f16_to_f32(block.d), block.qs);
  }
}

void quantize_row_q8_0_ref(const float* src, void* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  BlockQ8_0* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    const float* in = src + block_idx * kQ8_0BlockElems;
    float amax = 0.0f;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) amax = std::max(amax, std::fabs(in[elem_idx]));
    const float d = amax / 127.0f;
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[block_idx].d = f32_to_f16(d);
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) {
      blocks[block_idx].qs[elem_idx] = static_cast<int8_t>(clamp_int(round_nearest(in[elem_idx] * inv_d), -127, 127));
    }
  }
}

void quantize_row_q8_k_ref(const float* src, void* dst, int64_t n) {
  assert(n % kQKBlockElems == 0);
  BlockQ8_K* blocks = static_cast<BlockQ8_K*>(dst);
  for (int64_t block_idx = 0; block_idx < n / kQKBlockElems; ++block_idx) {
    const float* in = src + block_idx * kQKBlockElems;
    BlockQ8_K& block = blocks[block_idx];
    float amax = 0.0f;
    for (int elem_idx = 0; elem_idx < kQKBlockElems; ++elem_idx) amax = std::max(amax, std::fabs(in[elem_idx]));
    block.d = amax / 127.0f;
    const float inv_d = block.d != 0.0f ? 1.0f / block.d : 0.0f;
    for (int group_idx = 0; group_idx < kQKBlockElems / 16; ++group_idx) {
      int sum = 0;
      for (int elem_idx = 16 * group_idx; elem_idx < 16 * group_idx + 16; ++elem_idx) {
        const int q = clamp_int(round_nearest(in[elem_idx] * inv_d), -127, 127);
        block.qs[elem_idx] = static_cast<int8_t>(q);
        sum += q;
      }
      block.bsums[group_idx] = static_cast<int16_t>(sum);
    }
  }
}

void quantize_iq4_xs(const float* src, BlockIQ4_XS* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQKBlockElems;
    BlockIQ4_XS& block = blocks[block_idx];
    float sub_scale[8];
    float max_abs_scale = 0.0f;
    for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
      sub_scale[sub_idx] = iq4_block_scale(in + 32 * sub_idx);
      max_abs_scale = std::max(max_abs_scale, std::fabs(sub_scale[sub_idx]));
    }
    // Signed sub-block scales in [-31, 31] steps of d.
    block.d = f32_to_f16(max_abs_scale / 31.0f);
    const float d = f16_to_f32(block.d);
    block.scales_h = 0;
    std::memset(block.scales_l, 0, sizeof block.scales_l);
    for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
      const int scale = d != 0.0f ? clamp_int(round_nearest(sub_scale[sub_idx] / d), -32, 31) : 0;
      const int stored = scale + 32;
      block.scales_l[sub_idx / 2] =
          static_cast<uint8_t>(block.scales_l[sub_idx / 2] | (stored & 0xF) << (4 * (sub_idx % 2)));
      block.scales_h = static_cast<uint16_t>(block.scales_h | (stored >> 4) << (2 * sub_idx));
      fit_iq4_levels(in + 32 * sub_idx, d * static_cast<float>(scale), block.qs + 16 * sub_idx);
    }
  }
}

// Writes Q2_K / Q3_K quants (unsigned, < 4) into qs in their bit positions.
void pack_low_bit_quants(const int* quants, uint8_t* qs) {
  std::memset(qs, 0, kQKBlockElems / 4);
  for (int elem_idx = 0; elem_idx < kQKBlockElems; ++elem_idx) {
    const LowBitPosition pos = low_bit_position(elem_idx);
    qs[pos.qs_byte] = static_cast<uint8_t>(qs[pos.qs_byte] | quants[elem_idx] << (2 * pos.group));
  }
}

void quantize_q3_k(const float* src, BlockQ3_K* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQKBlockElems;
    BlockQ3_K& block = blocks[block_idx];
    // Per 16-value sub-block the value of largest magnitude maps to -4.
    float sub_scale[16];
    float max_abs_scale = 0.0f;
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      float max_signed = 0.0f;
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        if (std::fabs(in[elem_idx]) > std::fabs(max_signed)) max_signed = in[elem_idx];
      }
      sub_scale[sub_idx] = max_signed / -4.0f;
      max_abs_scale = std::max(max_abs_scale, std::fabs(sub_scale[sub_idx]));
    }
    block.d = f32_to_f16(max_abs_scale / 31.0f);
    const float d = f16_to_f32(block.d);
    std::memset(block.scales, 0, sizeof block.scales);
    std::memset(block.hmask, 0, sizeof block.hmask);
    int low_bits[kQKBlockElems];
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      const int scale = d != 0.0f ? clamp_int(round_nearest(sub_scale[sub_idx] / d), -32, 31) : 0;
      const int stored = scale + 32;
      if (sub_idx < 8) {
        block.scales[sub_idx] = static_cast<uint8_t>(block.scales[sub_idx] | (stored & 0xF));
      } else {
        block.scales[sub_idx - 8] = static_cast<uint8_t>(block.scales[sub_idx - 8] | (stored & 0xF) << 4);
      }
      block.scales[8 + sub_idx % 4] =
          static_cast<uint8_t>(block.scales[8 + sub_idx % 4] | (stored >> 4) << (2 * (sub_idx / 4)));
      const float d_sub = d * static_cast<float>(scale);
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        const int q = d_sub != 0.0f ? clamp_int(round_nearest(in[elem_idx] / d_sub), -4, 3) : 0;
        // q + 4 >= 4 is stored as q with the hmask bit set, q + 4 < 4 as q + 4 without it.
        const LowBitPosition pos = low_bit_position(elem_idx);
        if (q >= 0)
          block.hmask[pos.hmask_byte] =
              static_cast<uint8_t>(block.hmask[pos.hmask_byte] | 1 << (4 * pos.half + pos.group));
        low_bits[elem_idx] = q >= 0 ? q : q + 4;
      }
    }
    pack_low_bit_quants(low_bits, block.qs);
  }
}

void quantize_q2_k(const float* src, BlockQ2_K* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQKBlockElems;
    BlockQ2_K& block = blocks[block_idx];
    // As fit_k4_k5 with 16-value sub-blocks, 4-bit scales and mins and 4 levels.
    float sub_scale[16];
    float sub_min[16];  // >= 0: the amount subtracted
    float max_scale = 0.0f;
    float max_min = 0.0f;
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      float low = 0.0f;
      float high = 0.0f;
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        low = std::min(low, in[elem_idx]);
        high = std::max(high, in[elem_idx]);
      }
      sub_scale[sub_idx] = (high - low) / 3.0f;
      sub_min[sub_idx] = -low;
      max_scale = std::max(max_scale, sub_scale[sub_idx]);
      max_min = std::max(max_min, sub_min[sub_idx]);
    }
    block.d = f32_to_f16(max_scale / 15.0f);
    block.dmin = f32_to_f16(max_min / 15.0f);
    const float d = f16_to_f32(block.d);
    const float dmin = f16_to_f32(block.dmin);
    int quants[kQKBlockElems];
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      // Rounding the scale up and the min up keeps the sub-block's range covered.
      const int scale = d != 0.0f ? clamp_int(static_cast<int>(std::ceil(sub_scale[sub_idx] / d)), 0, 15) : 0;
      const int min = dmin != 0.0f ? clamp_int(round_nearest(sub_min[sub_idx] / dmin), 0, 15) : 0;
      block.scales[sub_idx] = static_cast<uint8_t>(scale | min << 4);
      const float d_sub = d * static_cast<float>(scale);
      const float min_sub = dmin * static_cast<float>(min);
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        const int q = d_sub != 0.0f ? round_nearest((in[elem_idx] + min_sub) / d_sub) : 0;
        quants[elem_idx] = clamp_int(q, 0, 3);
      }
    }
    pack_low_bit_quants(quants, block.qs);
  }
}

// Min/max fit of the eight 32-value sub-blocks shared by Q4_K (n_levels 16)
// and Q5_K (n_levels 32): value ~= d_sub * q - min_sub with q in [0, n_levels).
// Writes d, dmin, the packed scales and the quant of every element.
void fit_k4_k5(const float* in, int n_levels, uint16_t* d_bits, uint16_t* dmin_bits, uint8_t* scales, uint8_t* quants) {
  float sub_scale[8];
  float sub_min[8];  // >= 0: the amount subtracted
  float max_scale = 0.0f;
  float max_min = 0.0f;
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    const float* sub = in + 32 * sub_idx;
    float low = 0.0f;  // the fit always covers 0, so min_sub >= 0
    float high = 0.0f;
    for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
      low = std::min(low, sub[elem_idx]);
      high = std::max(high, sub[elem_idx]);
    }
    sub_scale[sub_idx] = (high - low) / static_cast<float>(n_levels - 1);
    sub_min[sub_idx] = -low;
    max_scale = std::max(max_scale, sub_scale[sub_idx]);
    max_min = std::max(max_min, sub_min[sub_idx]);
  }
  *d_bits = f32_to_f16(max_scale / 63.0f);
  *dmin_bits = f32_to_f16(max_min / 63.0f);
  const float d = f16_to_f32(*d_bits);
  const float dmin = f16_to_f32(*dmin_bits);
  std::memset(scales, 0, kKScaleBytes);
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    const int scale = d != 0.0f ? clamp_int(round_nearest(sub_scale[sub_idx] / d), 0, 63) : 0;
    const int min = dmin != 0.0f ? clamp_int(round_nearest(sub_min[sub_idx] / dmin), 0, 63) : 0;
    if (sub_idx < 4) {
      scales[sub_idx] = static_cast<uint8_t>(scales[sub_idx] | scale);
      scales[sub_idx + 4] = static_cast<uint8_t>(scales[sub_idx + 4] | min);
    } else {
      scales[sub_idx + 4] = static_cast<uint8_t>((scale & 0xF) | ((min & 0xF) << 4));
      scales[sub_idx - 4] = static_cast<uint8_t>(scales[sub_idx - 4] | ((scale >> 4) << 6));
      scales[sub_idx] = static_cast<uint8_t>(scales[sub_idx] | ((min >> 4) << 6));
    }
    const float d_sub = d * static_cast<float>(scale);
    const float min_sub = dmin * static_cast<float>(min);
    for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
      const int pos = 32 * sub_idx + elem_idx;
      const int q = d_sub != 0.0f ? round_nearest((in[pos] + min_sub) / d_sub) : 0;
      quants[pos] = static_cast<uint8_t>(clamp_int(q, 0, n_levels - 1));
    }
  }
}

void quantize_q4_k(const float* src, BlockQ4_K* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    BlockQ4_K& block = blocks[block_idx];
    uint8_t quants[kQKBlockElems];
    fit_k4_k5(src + block_idx * kQKBlockElems, 16, &block.d, &block.dmin, block.scales, quants);
    for (int group_idx = 0; group_idx < 4; ++group_idx) {
      for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
        block.qs[32 * group_idx + elem_idx] =
            static_cast<uint8_t>(quants[64 * group_idx + elem_idx] | (quants[64 * group_idx + 32 + elem_idx] << 4));
      }
    }
  }
}

void quantize_q5_k(const float* src, BlockQ5_K* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    BlockQ5_K& block = blocks[block_idx];
    uint8_t quants[kQKBlockElems];
    fit_k4_k5(src + block_idx * kQKBlockElems, 32, &block.d, &block.dmin, block.scales, quants);
    std::memset(block.qh, 0, sizeof block.qh);
    for (int group_idx = 0; group_idx < 4; ++group_idx) {
      for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
        const int low_q = quants[64 * group_idx + elem_idx];
        const int high_q = quants[64 * group_idx + 32 + elem_idx];
        block.qs[32 * group_idx + elem_idx] = static_cast<uint8_t>((low_q & 0xF) | ((high_q & 0xF) << 4));
        block.qh[elem_idx] = static_cast<uint8_t>(block.qh[elem_idx] | ((low_q >> 4) << (2 * group_idx)) |
                                                  ((high_q >> 4) << (2 * group_idx + 1)));
      }
    }
  }
}

void quantize_q6_k(const float* src, BlockQ6_K* blocks, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const float* in = src + block_idx * kQKBlockElems;
    BlockQ6_K& block = blocks[block_idx];
    // Per 16-value sub-block: the value of largest magnitude maps to -32.
    float sub_scale[16];
    float max_abs_scale = 0.0f;
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      float max_signed = 0.0f;
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        if (std::fabs(in[elem_idx]) > std::fabs(max_signed)) max_signed = in[elem_idx];
      }
      sub_scale[sub_idx] = max_signed / -32.0f;
      max_abs_scale = std::max(max_abs_scale, std::fabs(sub_scale[sub_idx]));
    }
    block.d = f32_to_f16(max_abs_scale / 127.0f);
    const float d = f16_to_f32(block.d);
    uint8_t quants[kQKBlockElems];
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      const int scale = d != 0.0f ? clamp_int(round_nearest(sub_scale[sub_idx] / d), -128, 127) : 0;
      block.scales[sub_idx] = static_cast<int8_t>(scale);
      const float d_sub = d * static_cast<float>(scale);
      for (int elem_idx = 16 * sub_idx; elem_idx < 16 * sub_idx + 16; ++elem_idx) {
        const int q = d_sub != 0.0f ? round_nearest(in[elem_idx] / d_sub) : 0;
        quants[elem_idx] = static_cast<uint8_t>(clamp_int(q, -32, 31) + 32);
      }
    }
    for (int half_idx = 0; half_idx < 2; ++half_idx) {
      const uint8_t* q = quants + 128 * half_idx;
      for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
        const int q0 = q[elem_idx], q1 = q[elem_idx + 32], q2 = q[elem_idx + 64], q3 = q[elem_idx + 96];
        block.ql[64 * half_idx + elem_idx] = static_cast<uint8_t>((q0 & 0xF) | ((q2 & 0xF) << 4));
        block.ql[64 * half_idx + elem_idx + 32] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        block.qh[32 * half_idx + elem_idx] =
            static_cast<uint8_t>((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
      }
    }
  }
}

}  // namespace

void dequantize_row_ref(DType dtype, const void* src, float* dst, int64_t n) {
  const DTypeInfo& info = dtype_info(dtype);
  assert(n % info.block_elems == 0);
  const int64_t n_blocks = n / info.block_elems;
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16: {
      const uint16_t* halves = static_cast<const uint16_t*>(src);
      for (int64_t elem_idx = 0; elem_idx < n; ++elem_idx) dst[elem_idx] = f16_to_f32(halves[elem_idx]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* halves = static_cast<const uint16_t*>(src);
      for (int64_t elem_idx = 0; elem_idx < n; ++elem_idx) dst[elem_idx] = bf16_to_f32(halves[elem_idx]);
      return;
    }
    case DType::kQ4_0:
      dequantize_q4_0(static_cast<const BlockQ4_0*>(src), dst, n_blocks);
      return;
    case DType::kQ4_1:
      dequantize_with_min(static_cast<const BlockQ4_1*>(src), dst, n_blocks);
      return;
    case DType::kQ5_0:
      dequantize_q5_0(static_cast<const BlockQ5_0*>(src), dst, n_blocks);
      return;
    case DType::kQ5_1:
      dequantize_with_min(static_cast<const BlockQ5_1*>(src), dst, n_blocks);
      return;
    case DType::kQ8_0:
      dequantize_q8_0(static_cast<const BlockQ8_0*>(src), dst, n_blocks);
      return;
    case DType::kQ4_K: {
      const BlockQ4_K* blocks = static_cast<const BlockQ4_K*>(src);
      for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        const BlockQ4_K& block = blocks[block_idx];
        dequantize_k4_k5(block.d, block.dmin, block.scales, block.qs, nullptr, dst + block_idx * kQKBlockElems);
      }
      return;
    }
    case DType::kQ5_K: {
      const BlockQ5_K* blocks = static_cast<const BlockQ5_K*>(src);
      for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        const BlockQ5_K& block = blocks[block_idx];
        dequantize_k4_k5(block.d, block.dmin, block.scales, block.qs, block.qh, dst + block_idx * kQKBlockElems);
      }
      return;
    }
    case DType::kIQ4_NL: {
      const BlockIQ4_NL* blocks = static_cast<const BlockIQ4_NL*>(src);
      for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        dequantize_iq4_levels(blocks[block_idx].qs, f16_to_f32(blocks[block_idx].d), dst + block_idx * kQ32BlockElems);
      }
      return;
    }
    case DType::kIQ4_XS:
      dequantize_iq4_xs(static_cast<const BlockIQ4_XS*>(src), dst, n_blocks);
      return;
    case DType::kQ3_K:
      dequantize_q3_k(static_cast<const BlockQ3_K*>(src), dst, n_blocks);
      return;
    case DType::kQ2_K:
      dequantize_q2_k(static_cast<const BlockQ2_K*>(src), dst, n_blocks);
      return;
    case DType::kQ6_K:
      dequantize_q6_k(static_cast<const BlockQ6_K*>(src), dst, n_blocks);
      return;
    case DType::kQ8_K:
      dequantize_q8_k(static_cast<const BlockQ8_K*>(src), dst, n_blocks);
      return;
  }
}

void quantize_row_ref(DType dtype, const float* src, void* dst, int64_t n) {
  const DTypeInfo& info = dtype_info(dtype);
  assert(n % info.block_elems == 0);
  const int64_t n_blocks = n / info.block_elems;
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16: {
      uint16_t* halves = static_cast<uint16_t*>(dst);
      for (int64_t elem_idx = 0; elem_idx < n; ++elem_idx) halves[elem_idx] = f32_to_f16(src[elem_idx]);
      return;
    }
    case DType::kBF16: {
      uint16_t* halves = static_cast<uint16_t*>(dst);
      for (int64_t elem_idx = 0; elem_idx < n; ++elem_idx) halves[elem_idx] = f32_to_bf16(src[elem_idx]);
      return;
    }
    case DType::kQ4_0:
      quantize_q4_0(src, static_cast<BlockQ4_0*>(dst), n_blocks);
      return;
    case DType::kQ4_1:
      quantize_with_min<BlockQ4_1, 16>(src, static_cast<BlockQ4_1*>(dst), n_blocks);
      return;
    case DType::kQ5_0:
      quantize_q5_0(src, static_cast<BlockQ5_0*>(dst), n_blocks);
      return;
    case DType::kQ5_1:
      quantize_with_min<BlockQ5_1, 32>(src, static_cast<BlockQ5_1*>(dst), n_blocks);
      return;
    case DType::kQ8_0:
      quantize_row_q8_0_ref(src, dst, n);
      return;
    case DType::kQ4_K:
      quantize_q4_k(src, static_cast<BlockQ4_K*>(dst), n_blocks);
      return;
    case DType::kQ5_K:
      quantize_q5_k(src, static_cast<BlockQ5_K*>(dst), n_blocks);
      return;
    case DType::kIQ4_NL:
      quantize_iq4_nl(src, static_cast<BlockIQ4_NL*>(dst), n_blocks);
      return;
    case DType::kIQ4_XS:
      quantize_iq4_xs(src, static_cast<BlockIQ4_XS*>(dst), n_blocks);
      return;
    case DType::kQ3_K:
      quantize_q3_k(src, static_cast<BlockQ3_K*>(dst), n_blocks);
      return;
    case DType::kQ2_K:
      quantize_q2_k(src, static_cast<BlockQ2_K*>(dst), n_blocks);
      return;
    case DType::kQ6_K:
      quantize_q6_k(src, static_cast<BlockQ6_K*>(dst), n_blocks);
      return;
    case DType::kQ8_K:
      quantize_row_q8_k_ref(src, dst, n);
      return;
  }
}

}  // namespace hearth::tensor

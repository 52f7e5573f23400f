#!/usr/bin/env python3
"""Independent numpy reference for ggml's tensor element layouts.

Dequantizes F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, Q3_K and Q2_K exactly as ggml's
reference C code does (every product in these layouts is exact in float32, so
the result does not depend on operation order or FMA contraction), quantizes
F32 into Q8_0 the way ggml's quantize_row_q8_0_ref does (used by
gguf_writer.py), and, run as a script, writes the dequantization fixtures
tests/fixtures/quant/<type>.blocks (raw little-endian block bytes) and
<type>.f32 (their dequantized values, little-endian float32).

ref: ggml/src/ggml-common.h (block_q4_0, block_q4_1, block_q5_0, block_q5_1, block_q8_0, block_q4_K, block_q5_K,
     block_q6_K, block_iq4_nl, block_iq4_xs, block_q3_K, block_q2_K, kvalues_iq4nl) and ggml/src/ggml-quants.c (dequantize_row_*,
     quantize_row_q8_0_ref, get_scale_min_k4).

Layouts (bytes per block / values per block):
  q4_0  18/32:  f16 d; u8 qs[16]    y[j] = (lo(qs[j]) - 8) d, y[j+16] = (hi(qs[j]) - 8) d
  q5_0  22/32:  f16 d; u8 qh[4]; u8 qs[16]   as q4_0 with bit i of the u32 qh as value i's 16s, minus 16
  q4_1  20/32:  f16 d; f16 m; u8 qs[16]           y = q d + m, q the nibbles as in q4_0
  q5_1  24/32:  f16 d; f16 m; u8 qh[4]; u8 qs[16]  y = q d + m, q as in q5_0 without the -16
  q8_0  34/32:  f16 d; i8 qs[32]    y[j] = qs[j] d
  iq4_nl 18/32: f16 d; u8 qs[16]    y = d * IQ4_LEVELS[q], q the nibbles as in q4_0
  iq4_xs 136/256: f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]  8 x iq4_nl with 6-bit scales ls - 32
  q3_k 110/256: u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d    16 x 16, 6-bit scales - 32, q in [-4, 3]
  q2_k  84/256: u8 scales[16]; u8 qs[64]; f16 d; f16 dmin       16 x 16, 4-bit scale/min, q in [0, 3]
  q4_k 144/256: f16 d; f16 dmin; u8 scales[12]; u8 qs[128]
  q5_k 176/256: f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
  q6_k 210/256: u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import numpy as np

QK_K = 256


@dataclass(frozen=True)
class BlockLayout:
    name: str
    ggml_type: int     # ggml_type id stored in GGUF tensor infos
    block_elems: int
    block_bytes: int


LAYOUTS = {
    "f32": BlockLayout("f32", 0, 1, 4),
    "f16": BlockLayout("f16", 1, 1, 2),
    "q4_0": BlockLayout("q4_0", 2, 32, 18),
    "q4_1": BlockLayout("q4_1", 3, 32, 20),
    "q5_0": BlockLayout("q5_0", 6, 32, 22),
    "q5_1": BlockLayout("q5_1", 7, 32, 24),
    "q8_0": BlockLayout("q8_0", 8, 32, 34),
    "q4_k": BlockLayout("q4_k", 12, QK_K, 144),
    "q5_k": BlockLayout("q5_k", 13, QK_K, 176),
    "q6_k": BlockLayout("q6_k", 14, QK_K, 210),
    "iq4_nl": BlockLayout("iq4_nl", 20, 32, 18),
    "iq4_xs": BlockLayout("iq4_xs", 23, QK_K, 136),
    "q3_k": BlockLayout("q3_k", 11, QK_K, 110),
    "q2_k": BlockLayout("q2_k", 10, QK_K, 84),
    "bf16": BlockLayout("bf16", 30, 1, 2),
}


def _blocks(raw: bytes | np.ndarray, layout: BlockLayout) -> np.ndarray:
    """Views raw bytes as an [n_blocks, block_bytes] uint8 array (checked)."""
    buf = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, (bytes, bytearray, memoryview)) \
        else np.asarray(raw, dtype=np.uint8).reshape(-1)
    if buf.size % layout.block_bytes != 0:
        raise ValueError(f"{layout.name}: {buf.size} bytes is not a whole number of "
                         f"{layout.block_bytes}-byte blocks")
    return buf.reshape(-1, layout.block_bytes)


def _f16(col: np.ndarray) -> np.ndarray:
    """[n, 2] uint8 little-endian halves -> float32 [n, 1]."""
    return np.ascontiguousarray(col).view("<f2").astype(np.float32).reshape(-1, 1)


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even truncation of float32 to bfloat16 bits (NaN kept quiet)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    is_nan = np.isnan(x)
    out = rounded.astype(np.uint16)
    out[is_nan] = ((bits[is_nan] >> 16) | 0x40).astype(np.uint16)
    return out


def dequant_q4_0(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q4_0"])
    d = _f16(b[:, 0:2])
    qs = b[:, 2:18]
    lo = (qs & 0x0F).astype(np.int32) - 8
    hi = (qs >> 4).astype(np.int32) - 8
    q = np.concatenate([lo, hi], axis=1).astype(np.float32)
    return (q * d).astype(np.float32).reshape(-1)


def _nibbles(qs: np.ndarray) -> np.ndarray:
    """[n, 16] packed bytes -> [n, 32] int32: low nibbles are values 0..15, high 16..31."""
    qs = qs.astype(np.int32)
    return np.concatenate([qs & 0x0F, qs >> 4], axis=1)


def _fifth_bits(qh: np.ndarray) -> np.ndarray:
    """[n, 4] bytes of a little-endian u32 -> [n, 32] int32 in {0, 16}: bit i is value i's."""
    word = np.ascontiguousarray(qh).view("<u4").astype(np.int64).reshape(-1, 1)
    return (((word >> np.arange(32)) & 1) << 4).astype(np.int32)


def dequant_q5_0(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q5_0"])
    d = _f16(b[:, 0:2])
    q = (_nibbles(b[:, 6:22]) | _fifth_bits(b[:, 2:6])) - 16
    return (q.astype(np.float32) * d).astype(np.float32).reshape(-1)


def dequant_q4_1(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q4_1"])
    d, m = _f16(b[:, 0:2]), _f16(b[:, 2:4])
    q = _nibbles(b[:, 4:20]).astype(np.float32)
    return ((q * d).astype(np.float32) + m).astype(np.float32).reshape(-1)


def dequant_q5_1(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q5_1"])
    d, m = _f16(b[:, 0:2]), _f16(b[:, 2:4])
    q = (_nibbles(b[:, 8:24]) | _fifth_bits(b[:, 4:8])).astype(np.float32)
    return ((q * d).astype(np.float32) + m).astype(np.float32).reshape(-1)


# ggml's kvalues_iq4nl: the 16 non-linear levels of IQ4_NL and IQ4_XS.
IQ4_LEVELS = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113],
                      dtype=np.int32)


def dequant_iq4_nl(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["iq4_nl"])
    d = _f16(b[:, 0:2])
    return (d * IQ4_LEVELS[_nibbles(b[:, 2:18])].astype(np.float32)).astype(np.float32).reshape(-1)


def dequant_iq4_xs(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["iq4_xs"])
    d = _f16(b[:, 0:2])
    scales_h = np.ascontiguousarray(b[:, 2:4]).view("<u2").astype(np.int32)
    scales_l = b[:, 4:8].astype(np.int32)
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for sub in range(8):
        ls = ((scales_l[:, sub // 2:sub // 2 + 1] >> (4 * (sub % 2))) & 0xF) | (((scales_h >> (2 * sub)) & 3) << 4)
        dl = (d * (ls - 32).astype(np.float32)).astype(np.float32)
        q = IQ4_LEVELS[_nibbles(b[:, 8 + 16 * sub:24 + 16 * sub])].astype(np.float32)
        out[:, 32 * sub:32 * sub + 32] = dl * q
    return out.reshape(-1)


def _low_bit_groups(qs: np.ndarray):
    """Q2_K/Q3_K: yields (half, group, part, sub-block, 16 two-bit quants) for values
    128 half + 32 group + 16 part .. + 15, taken from bits 2 group of qs[32 half + l]."""
    for half in range(2):
        for group in range(4):
            q = (qs[:, 32 * half:32 * half + 32].astype(np.int32) >> (2 * group)) & 3
            for part in range(2):
                yield half, group, part, 8 * half + 2 * group + part, q[:, 16 * part:16 * part + 16]


def dequant_q3_k(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q3_k"])
    hmask = b[:, 0:32].astype(np.int32)
    sc = b[:, 96:108].astype(np.int32)
    d = _f16(b[:, 108:110])
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for half, group, part, sub, low in _low_bit_groups(b[:, 32:96]):
        scale_low = sc[:, sub] & 0xF if sub < 8 else sc[:, sub - 8] >> 4
        scale_high = (sc[:, 8 + sub % 4] >> (2 * (sub // 4))) & 3
        scale = ((scale_low | (scale_high << 4)) - 32).astype(np.float32).reshape(-1, 1)
        high = (hmask[:, 16 * part:16 * part + 16] >> (4 * half + group)) & 1
        q = low - np.where(high == 1, 0, 4)
        dl = (d * scale).astype(np.float32)
        out[:, 16 * sub:16 * sub + 16] = dl * q.astype(np.float32)
    return out.reshape(-1)


def dequant_q2_k(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q2_k"])
    scales = b[:, 0:16].astype(np.int32)
    d, dmin = _f16(b[:, 80:82]), _f16(b[:, 82:84])
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for _, _, _, sub, q in _low_bit_groups(b[:, 16:80]):
        dl = (d * (scales[:, sub:sub + 1] & 0xF).astype(np.float32)).astype(np.float32)
        ml = (dmin * (scales[:, sub:sub + 1] >> 4).astype(np.float32)).astype(np.float32)
        out[:, 16 * sub:16 * sub + 16] = (dl * q.astype(np.float32)).astype(np.float32) - ml
    return out.reshape(-1)


def dequant_q8_0(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q8_0"])
    d = _f16(b[:, 0:2])
    q = np.ascontiguousarray(b[:, 2:34]).view(np.int8).astype(np.float32)
    return (q * d).astype(np.float32).reshape(-1)


def _scale_min_k4(scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 8 six-bit (scale, min) pairs packed in a K-quant's 12 scale bytes.

    j < 4: sc = s[j] & 63, m = s[j+4] & 63
    j >= 4: sc = (s[j+4] & 15) | (s[j-4] >> 6) << 4, m = (s[j+4] >> 4) | (s[j] >> 6) << 4
    """
    s = scales.astype(np.int32)
    sc = np.zeros((s.shape[0], 8), dtype=np.int32)
    m = np.zeros((s.shape[0], 8), dtype=np.int32)
    for j in range(4):
        sc[:, j] = s[:, j] & 63
        m[:, j] = s[:, j + 4] & 63
    for j in range(4, 8):
        sc[:, j] = (s[:, j + 4] & 0x0F) | ((s[:, j - 4] >> 6) << 4)
        m[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, m


def dequant_q4_k(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q4_k"])
    d = _f16(b[:, 0:2])
    dmin = _f16(b[:, 2:4])
    sc, m = _scale_min_k4(b[:, 4:16])
    qs = b[:, 16:144].astype(np.int32)
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for chunk in range(4):
        q = qs[:, 32 * chunk:32 * chunk + 32]
        for half, vals in ((0, q & 0x0F), (1, q >> 4)):
            sub = 2 * chunk + half
            d_sub = (d * sc[:, sub:sub + 1].astype(np.float32)).astype(np.float32)
            m_sub = (dmin * m[:, sub:sub + 1].astype(np.float32)).astype(np.float32)
            out[:, 64 * chunk + 32 * half:64 * chunk + 32 * half + 32] = \
                d_sub * vals.astype(np.float32) - m_sub
    return out.reshape(-1)


def dequant_q5_k(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q5_k"])
    d = _f16(b[:, 0:2])
    dmin = _f16(b[:, 2:4])
    sc, m = _scale_min_k4(b[:, 4:16])
    qh = b[:, 16:48].astype(np.int32)
    qs = b[:, 48:176].astype(np.int32)
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for chunk in range(4):
        ql = qs[:, 32 * chunk:32 * chunk + 32]
        bit_lo = 1 << (2 * chunk)
        bit_hi = 2 << (2 * chunk)
        lo = (ql & 0x0F) + np.where(qh & bit_lo, 16, 0)
        hi = (ql >> 4) + np.where(qh & bit_hi, 16, 0)
        for half, vals in ((0, lo), (1, hi)):
            sub = 2 * chunk + half
            d_sub = (d * sc[:, sub:sub + 1].astype(np.float32)).astype(np.float32)
            m_sub = (dmin * m[:, sub:sub + 1].astype(np.float32)).astype(np.float32)
            out[:, 64 * chunk + 32 * half:64 * chunk + 32 * half + 32] = \
                d_sub * vals.astype(np.float32) - m_sub
    return out.reshape(-1)


def dequant_q6_k(raw) -> np.ndarray:
    b = _blocks(raw, LAYOUTS["q6_k"])
    ql_all = b[:, 0:128].astype(np.int32)
    qh_all = b[:, 128:192].astype(np.int32)
    scales = np.ascontiguousarray(b[:, 192:208]).view(np.int8).astype(np.float32)
    d = _f16(b[:, 208:210])
    out = np.empty((b.shape[0], QK_K), dtype=np.float32)
    for half in range(2):
        ql = ql_all[:, 64 * half:64 * half + 64]
        qh = qh_all[:, 32 * half:32 * half + 32]
        sc = scales[:, 8 * half:8 * half + 8]
        base = 128 * half
        q1 = ((ql[:, 0:32] & 0x0F) | (((qh >> 0) & 3) << 4)) - 32
        q2 = ((ql[:, 32:64] & 0x0F) | (((qh >> 2) & 3) << 4)) - 32
        q3 = ((ql[:, 0:32] >> 4) | (((qh >> 4) & 3) << 4)) - 32
        q4 = ((ql[:, 32:64] >> 4) | (((qh >> 6) & 3) << 4)) - 32
        for quarter, q in enumerate((q1, q2, q3, q4)):
            for sixteen in range(2):
                # value l of this quarter uses scale index l/16 + 2*quarter
                scale = (d * sc[:, sixteen + 2 * quarter:sixteen + 2 * quarter + 1]).astype(np.float32)
                lanes = slice(16 * sixteen, 16 * sixteen + 16)
                out[:, base + 32 * quarter + 16 * sixteen:base + 32 * quarter + 16 * sixteen + 16] = \
                    scale * q[:, lanes].astype(np.float32)
    return out.reshape(-1)


def dequant_f16(raw) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<f2").astype(np.float32)


def dequant_bf16(raw) -> np.ndarray:
    return bf16_to_f32(np.frombuffer(bytes(raw), dtype="<u2"))


def dequant_f32(raw) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<f4").astype(np.float32)


DEQUANTIZERS = {
    "f32": dequant_f32,
    "f16": dequant_f16,
    "bf16": dequant_bf16,
    "q4_0": dequant_q4_0,
    "q4_1": dequant_q4_1,
    "q5_0": dequant_q5_0,
    "q5_1": dequant_q5_1,
    "q8_0": dequant_q8_0,
    "q4_k": dequant_q4_k,
    "q5_k": dequant_q5_k,
    "q6_k": dequant_q6_k,
    "iq4_nl": dequant_iq4_nl,
    "iq4_xs": dequant_iq4_xs,
    "q3_k": dequant_q3_k,
    "q2_k": dequant_q2_k,
}


def dequantize(type_name: str, raw) -> np.ndarray:
    return DEQUANTIZERS[type_name](raw)


def _round_half_away(v: np.ndarray) -> np.ndarray:
    """C roundf on float32 values: halves go away from zero (numpy's rint goes to even).

    v + 0.5 is exact in float64 for |v| < 2^52, so floor gives the true result.
    """
    v64 = v.astype(np.float64)
    return (np.sign(v64) * np.floor(np.abs(v64) + 0.5)).astype(np.float32)


def quantize_q8_0(x: np.ndarray) -> bytes:
    """quantize_row_q8_0_ref: per 32 values d = absmax/127, q = roundf(x * (1/d)).

    As in ggml, q uses the float32 d (not its f16 rounding) and id = 1/d in float32.
    """
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    if x.size % 32 != 0:
        raise ValueError(f"q8_0 needs a multiple of 32 values, got {x.size}")
    blocks = x.reshape(-1, 32)
    amax = np.max(np.abs(blocks), axis=1).astype(np.float32)
    d = (amax / np.float32(127.0)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1.0) / np.where(d != 0, d, np.float32(1.0)),
                       np.float32(0.0)).astype(np.float32)
    q = _round_half_away((blocks * inv[:, None]).astype(np.float32)).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:34] = q.view(np.uint8)
    return out.tobytes()


# ---------------------------------------------------------------- fixtures

def _random_f16_scales(rng: np.random.Generator, n: int, lo: float, hi: float,
                       signed: bool) -> np.ndarray:
    mag = np.exp(rng.uniform(np.log(lo), np.log(hi), size=n))
    if signed:
        mag *= rng.choice([-1.0, 1.0], size=n)
    return mag.astype("<f2")


def random_blocks(type_name: str, n_blocks: int, rng: np.random.Generator) -> bytes:
    """Random blocks with finite f16 scales of sane magnitude; other bytes uniform."""
    layout = LAYOUTS[type_name]
    if type_name == "f16":
        vals = rng.standard_normal(n_blocks * 32).astype(np.float32) * 4
        special = np.array([0.0, -0.0, 65504.0, -65504.0, 6.1035156e-05, 5.9604645e-08,
                            -5.9604645e-08, 1.0, -1.0, 0.5, 3.0e-6, 1000.0], dtype=np.float32)
        vals[:special.size] = special
        return vals.astype("<f2").tobytes()
    if type_name == "bf16":
        bits = rng.integers(0, 1 << 16, size=n_blocks * 32, dtype=np.uint32).astype(np.uint16)
        exponent = (bits >> 7) & 0xFF
        bits[exponent == 0xFF] &= 0xBFFF  # no inf/NaN: clear the top exponent bit
        special = np.array([0x0000, 0x8000, 0x3F80, 0xBF80, 0x0001, 0x7F7F, 0xFF7F, 0x4049],
                           dtype=np.uint16)
        bits[:special.size] = special
        return bits.astype("<u2").tobytes()
    raw = rng.integers(0, 256, size=(n_blocks, layout.block_bytes), dtype=np.uint16).astype(np.uint8)
    if type_name in ("q4_0", "q8_0", "q5_0", "iq4_nl"):
        raw[:, 0:2] = _random_f16_scales(rng, n_blocks, 1e-4, 0.5, True).view(np.uint8).reshape(-1, 2)
    elif type_name in ("q4_1", "q5_1"):
        raw[:, 0:2] = _random_f16_scales(rng, n_blocks, 1e-4, 0.5, False).view(np.uint8).reshape(-1, 2)
        raw[:, 2:4] = _random_f16_scales(rng, n_blocks, 1e-4, 4.0, True).view(np.uint8).reshape(-1, 2)
    elif type_name in ("q4_k", "q5_k"):
        raw[:, 0:2] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, False).view(np.uint8).reshape(-1, 2)
        raw[:, 2:4] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, False).view(np.uint8).reshape(-1, 2)
    elif type_name == "iq4_xs":
        raw[:, 0:2] = _random_f16_scales(rng, n_blocks, 1e-4, 0.01, True).view(np.uint8).reshape(-1, 2)
    elif type_name == "q3_k":
        raw[:, 108:110] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, True).view(np.uint8).reshape(-1, 2)
    elif type_name == "q2_k":
        raw[:, 80:82] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, False).view(np.uint8).reshape(-1, 2)
        raw[:, 82:84] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, False).view(np.uint8).reshape(-1, 2)
    elif type_name == "q6_k":
        raw[:, 208:210] = _random_f16_scales(rng, n_blocks, 1e-4, 0.05, True).view(np.uint8).reshape(-1, 2)
    else:
        raise ValueError(type_name)
    return raw.tobytes()


# New types go at the end: each type's random stream is seeded by its index.
FIXTURE_TYPES = ["q4_0", "q8_0", "q4_k", "q5_k", "q6_k", "f16", "bf16", "q5_0", "q5_1", "q4_1", "iq4_nl", "iq4_xs", "q3_k", "q2_k"]


def write_fixtures(out_dir: str, seed: int, n_blocks: int, verbose: bool = False) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for index, type_name in enumerate(FIXTURE_TYPES):
        rng = np.random.default_rng([seed, index])
        raw = random_blocks(type_name, n_blocks, rng)
        values = dequantize(type_name, raw)
        if not np.all(np.isfinite(values)):
            raise AssertionError(f"{type_name}: non-finite reference values")
        with open(os.path.join(out_dir, f"{type_name}.blocks"), "wb") as f:
            f.write(raw)
        with open(os.path.join(out_dir, f"{type_name}.f32"), "wb") as f:
            f.write(values.astype("<f4").tobytes())
        if verbose:
            print(f"{type_name}: {len(raw)} bytes -> {values.size} values")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "tests", "fixtures", "quant"))
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--blocks", type=int, default=8)
    args = parser.parse_args(argv)
    write_fixtures(os.path.normpath(args.out), args.seed, args.blocks, verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

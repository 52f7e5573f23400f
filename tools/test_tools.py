#!/usr/bin/env python3
"""Local checks of the fixture tools (numpy only): python3 tools/test_tools.py

- quant_reference's vectorized dequantizers against plain scalar loops that
  transcribe ggml's C reference line by line; q8_0 quantization rules.
- gguf_writer -> gguf_reader round trip of every value type and tensor type,
  and the exact bytes of a tiny file.
- hf_to_gguf on a synthetic HF llama (GQA, llama3 rope) and qwen2 (biases,
  tied) directory: names, metadata, tokenizer keys, and that the GGUF forward
  pass of llama_reference.py (adjacent-pair RoPE on permuted Q/K) equals an
  HF-style forward pass (rotate_half RoPE on the original weights).
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_to_gguf  # noqa: E402
import quant_reference as qr  # noqa: E402
import whisper_gguf  # noqa: E402
from gguf_reader import GgufFile  # noqa: E402
from gguf_writer import GgmlType, GgufArray, GgufValueType, GgufWriter  # noqa: E402
from llama_reference import LlamaReference  # noqa: E402


# ---------------------------------------------------------------- scalar transcriptions of ggml

def _half(b: bytes, off: int) -> float:
    return float(np.frombuffer(b[off:off + 2], dtype="<f2")[0].astype(np.float32))


def _f32(v) -> np.float32:
    return np.float32(v)


def scalar_q4_0(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 0))
    y = [None] * 32
    for j in range(16):
        x0 = (block[2 + j] & 0x0F) - 8
        x1 = (block[2 + j] >> 4) - 8
        y[j] = _f32(x0 * d)
        y[j + 16] = _f32(x1 * d)
    return y


def scalar_q5_0(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 0))
    qh = struct.unpack("<I", block[2:6])[0]
    y = [None] * 32
    for j in range(16):
        xh_0 = ((qh >> j) << 4) & 0x10
        xh_1 = (qh >> (j + 12)) & 0x10
        y[j] = _f32(_f32(((block[6 + j] & 0x0F) | xh_0) - 16) * d)
        y[j + 16] = _f32(_f32(((block[6 + j] >> 4) | xh_1) - 16) * d)
    return y


def scalar_q4_1(block: bytes) -> list[np.float32]:
    d, m = _f32(_half(block, 0)), _f32(_half(block, 2))
    y = [None] * 32
    for j in range(16):
        y[j] = _f32(_f32(_f32(block[4 + j] & 0x0F) * d) + m)
        y[j + 16] = _f32(_f32(_f32(block[4 + j] >> 4) * d) + m)
    return y


def scalar_q5_1(block: bytes) -> list[np.float32]:
    d, m = _f32(_half(block, 0)), _f32(_half(block, 2))
    qh = struct.unpack("<I", block[4:8])[0]
    y = [None] * 32
    for j in range(16):
        xh_0 = ((qh >> j) << 4) & 0x10
        xh_1 = (qh >> (j + 12)) & 0x10
        y[j] = _f32(_f32(_f32((block[8 + j] & 0x0F) | xh_0) * d) + m)
        y[j + 16] = _f32(_f32(_f32((block[8 + j] >> 4) | xh_1) * d) + m)
    return y


KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]


def scalar_iq4_nl(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 0))
    y = [None] * 32
    for j in range(16):
        y[j] = _f32(d * _f32(KVALUES_IQ4NL[block[2 + j] & 0xF]))
        y[j + 16] = _f32(d * _f32(KVALUES_IQ4NL[block[2 + j] >> 4]))
    return y


def scalar_iq4_xs(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 0))
    scales_h = struct.unpack("<H", block[2:4])[0]
    y = []
    for ib in range(8):
        ls = ((block[4 + ib // 2] >> 4 * (ib % 2)) & 0xF) | (((scales_h >> 2 * ib) & 3) << 4)
        dl = _f32(d * _f32(ls - 32))
        qs = block[8 + 16 * ib:24 + 16 * ib]
        lo = [_f32(dl * _f32(KVALUES_IQ4NL[v & 0xF])) for v in qs]
        hi = [_f32(dl * _f32(KVALUES_IQ4NL[v >> 4])) for v in qs]
        y.extend(lo + hi)
    return y


def scalar_q3_k(block: bytes) -> list[np.float32]:
    hm, q, d_all = block[0:32], block[32:96], _f32(_half(block, 108))
    aux = list(struct.unpack("<3I", block[96:108])) + [0]
    kmask1, kmask2 = 0x03030303, 0x0F0F0F0F
    tmp = aux[2]
    aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4)
    aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4)
    aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4)
    aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4)
    scales = np.frombuffer(struct.pack("<4I", *aux), dtype=np.int8)
    y, is_, m, qo = [], 0, 1, 0
    for _ in range(2):
        shift = 0
        for _ in range(4):
            dl = _f32(d_all * _f32(int(scales[is_]) - 32))
            is_ += 1
            y.extend(_f32(dl * _f32(((q[qo + l] >> shift) & 3) - (0 if hm[l] & m else 4))) for l in range(16))
            dl = _f32(d_all * _f32(int(scales[is_]) - 32))
            is_ += 1
            y.extend(_f32(dl * _f32(((q[qo + l + 16] >> shift) & 3) - (0 if hm[l + 16] & m else 4))) for l in range(16))
            shift += 2
            m <<= 1
        qo += 32
    return y


def scalar_q2_k(block: bytes) -> list[np.float32]:
    sc, q = block[0:16], block[16:80]
    d, dmin = _f32(_half(block, 80)), _f32(_half(block, 82))
    y, is_, qo = [], 0, 0
    for _ in range(2):
        shift = 0
        for _ in range(4):
            for off in (0, 16):
                dl, ml = _f32(d * _f32(sc[is_] & 0xF)), _f32(dmin * _f32(sc[is_] >> 4))
                is_ += 1
                y.extend(_f32(_f32(dl * _f32((q[qo + off + l] >> shift) & 3)) - ml) for l in range(16))
            shift += 2
        qo += 32
    return y


def scalar_q8_0(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 0))
    return [_f32(np.int8(np.uint8(block[2 + j]).view(np.int8)) * d) for j in range(32)]


def get_scale_min_k4(j: int, q: bytes) -> tuple[int, int]:
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4)


def scalar_q4_k(block: bytes) -> list[np.float32]:
    d, dmin = _f32(_half(block, 0)), _f32(_half(block, 2))
    scales, q = block[4:16], block[16:144]
    y = []
    is_, qo = 0, 0
    for _ in range(0, 256, 64):
        sc, m = get_scale_min_k4(is_ + 0, scales)
        d1, m1 = _f32(d * _f32(sc)), _f32(dmin * _f32(m))
        sc, m = get_scale_min_k4(is_ + 1, scales)
        d2, m2 = _f32(d * _f32(sc)), _f32(dmin * _f32(m))
        for lane in range(32):
            y.append(_f32(_f32(d1 * _f32(q[qo + lane] & 0xF)) - m1))
        for lane in range(32):
            y.append(_f32(_f32(d2 * _f32(q[qo + lane] >> 4)) - m2))
        qo += 32
        is_ += 2
    return y


def scalar_q5_k(block: bytes) -> list[np.float32]:
    d, dmin = _f32(_half(block, 0)), _f32(_half(block, 2))
    scales, qh, ql = block[4:16], block[16:48], block[48:176]
    y = []
    is_, qo, u1, u2 = 0, 0, 1, 2
    for _ in range(0, 256, 64):
        sc, m = get_scale_min_k4(is_ + 0, scales)
        d1, m1 = _f32(d * _f32(sc)), _f32(dmin * _f32(m))
        sc, m = get_scale_min_k4(is_ + 1, scales)
        d2, m2 = _f32(d * _f32(sc)), _f32(dmin * _f32(m))
        for lane in range(32):
            v = (ql[qo + lane] & 0xF) + (16 if qh[lane] & u1 else 0)
            y.append(_f32(_f32(d1 * _f32(v)) - m1))
        for lane in range(32):
            v = (ql[qo + lane] >> 4) + (16 if qh[lane] & u2 else 0)
            y.append(_f32(_f32(d2 * _f32(v)) - m2))
        qo += 32
        is_ += 2
        u1 <<= 2
        u2 <<= 2
    return y


def scalar_q6_k(block: bytes) -> list[np.float32]:
    d = _f32(_half(block, 208))
    ql, qh = block[0:128], block[128:192]
    sc = np.frombuffer(block[192:208], dtype=np.int8)
    y = [None] * 256
    for n in range(2):
        lo, ho, so, yo = 64 * n, 32 * n, 8 * n, 128 * n
        for lane in range(32):
            is_ = lane // 16
            q1 = ((ql[lo + lane] & 0xF) | (((qh[ho + lane] >> 0) & 3) << 4)) - 32
            q2 = ((ql[lo + lane + 32] & 0xF) | (((qh[ho + lane] >> 2) & 3) << 4)) - 32
            q3 = ((ql[lo + lane] >> 4) | (((qh[ho + lane] >> 4) & 3) << 4)) - 32
            q4 = ((ql[lo + lane + 32] >> 4) | (((qh[ho + lane] >> 6) & 3) << 4)) - 32
            y[yo + lane] = _f32(_f32(d * _f32(sc[so + is_ + 0])) * _f32(q1))
            y[yo + lane + 32] = _f32(_f32(d * _f32(sc[so + is_ + 2])) * _f32(q2))
            y[yo + lane + 64] = _f32(_f32(d * _f32(sc[so + is_ + 4])) * _f32(q3))
            y[yo + lane + 96] = _f32(_f32(d * _f32(sc[so + is_ + 6])) * _f32(q4))
    return y


SCALAR = {"q4_0": scalar_q4_0, "q5_0": scalar_q5_0, "q4_1": scalar_q4_1, "q5_1": scalar_q5_1, "iq4_nl": scalar_iq4_nl, "iq4_xs": scalar_iq4_xs,
          "q3_k": scalar_q3_k, "q2_k": scalar_q2_k, "q8_0": scalar_q8_0, "q4_k": scalar_q4_k,
          "q5_k": scalar_q5_k, "q6_k": scalar_q6_k}


class QuantReferenceTest(unittest.TestCase):
    def test_vectorized_matches_scalar_transcription(self):
        rng = np.random.default_rng(7)
        for name, scalar in SCALAR.items():
            layout = qr.LAYOUTS[name]
            raw = qr.random_blocks(name, 6, rng)
            got = qr.dequantize(name, raw)
            want = []
            for b in range(6):
                want.extend(scalar(raw[b * layout.block_bytes:(b + 1) * layout.block_bytes]))
            want = np.array(want, dtype=np.float32)
            self.assertEqual(got.dtype, np.float32)
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32), err_msg=name)

    def test_block_sizes(self):
        for name, nbytes in (("q4_0", 18), ("q5_0", 22), ("q4_1", 20), ("q5_1", 24), ("iq4_nl", 18), ("iq4_xs", 136), ("q3_k", 110), ("q2_k", 84), ("q8_0", 34), ("q4_k", 144), ("q5_k", 176), ("q6_k", 210)):
            self.assertEqual(qr.LAYOUTS[name].block_bytes, nbytes)

    def test_bf16_and_f16(self):
        bits = np.array([0x3F80, 0xC000, 0x0000, 0x8000, 0x7F80], dtype="<u2")
        np.testing.assert_array_equal(qr.dequant_bf16(bits.tobytes()), [1.0, -2.0, 0.0, -0.0, np.inf])
        x = np.array([1.0, 1.00390625, 1.01171875, -3.5], dtype=np.float32)
        # 1.00390625 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0)
        np.testing.assert_array_equal(qr.f32_to_bf16_bits(x), [0x3F80, 0x3F80, 0x3F82, 0xC060])
        h = np.array([1.5, -0.25], dtype="<f2").tobytes()
        np.testing.assert_array_equal(qr.dequant_f16(h), [1.5, -0.25])

    def test_q8_0_quantize(self):
        x = np.zeros(64, dtype=np.float32)
        x[0] = 127.0
        x[1:5] = [0.5, -0.5, 1.5, -2.5]     # halves round away from zero (C roundf)
        x[32:64] = 0.0                       # all-zero block: d = 0, q = 0
        raw = qr.quantize_q8_0(x)
        self.assertEqual(len(raw), 68)
        self.assertEqual(np.frombuffer(raw[0:2], "<f2")[0], 1.0)
        np.testing.assert_array_equal(np.frombuffer(raw[2:7], np.int8), [127, 1, -1, 2, -3])
        self.assertEqual(raw[34:], bytes(34))
        rng = np.random.default_rng(3)
        y = rng.standard_normal(32 * 40).astype(np.float32)
        back = qr.dequant_q8_0(qr.quantize_q8_0(y))
        d = np.abs(y.reshape(-1, 32)).max(axis=1) / 127
        # q is rounded against the f32 d, values are rebuilt with the f16 d: |err| <= d/2 + 127|d - d16|
        self.assertTrue(np.all(np.abs(back - y).reshape(-1, 32) <= d[:, None] * (0.5 + 127 * 2**-11)))


class GgufRoundTripTest(unittest.TestCase):
    def test_every_value_and_tensor_type(self):
        w = GgufWriter()
        w.add_uint8("a.u8", 255)
        w.add_int8("a.i8", -128)
        w.add_uint16("a.u16", 65535)
        w.add_int16("a.i16", -32768)
        w.add_uint32("a.u32", 2**32 - 1)
        w.add_int32("a.i32", -2**31)
        w.add_uint64("a.u64", 2**64 - 1)
        w.add_int64("a.i64", -2**63)
        w.add_float32("a.f32", 0.25)
        w.add_float64("a.f64", 1e-300)
        w.add_bool("a.bool", True)
        w.add_string("a.str", "héllo ▁ 世界")
        w.add_array("a.strs", ["x", "", "ÿ"], GgufValueType.STRING)
        w.add_array("a.ints", np.array([1, -2, 3], dtype=np.int32), GgufValueType.INT32)
        w.add_array("a.floats", [0.5, -1.0], GgufValueType.FLOAT32)
        w.add_array("a.bools", [True, False], GgufValueType.BOOL)
        w.add_array("a.nested", [GgufArray(GgufValueType.UINT8, [1, 2]), GgufArray(GgufValueType.UINT8, [])],
                    GgufValueType.ARRAY)
        with self.assertRaises(ValueError):
            w.add_uint8("a.bad", 256)
        with self.assertRaises(ValueError):
            w.add_bool("a.bool", False)  # duplicate
        rng = np.random.default_rng(1)
        t32 = rng.standard_normal((3, 5)).astype(np.float32)
        t16 = rng.standard_normal((2, 7)).astype(np.float32)
        tb16 = rng.standard_normal((4,)).astype(np.float32)
        tq8 = rng.standard_normal((3, 64)).astype(np.float32)
        w.add_tensor("t.f32", t32, GgmlType.F32)
        w.add_tensor("t.f16", t16, GgmlType.F16)
        w.add_tensor("t.bf16", tb16, GgmlType.BF16)
        w.add_tensor("t.q8_0", tq8, GgmlType.Q8_0)
        with self.assertRaises(ValueError):
            w.add_tensor("t.bad", np.zeros((2, 33), np.float32), GgmlType.Q8_0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.gguf")
            w.write(path)
            f = GgufFile(path)
        md = f.metadata
        self.assertEqual(md["a.u8"], 255)
        self.assertEqual(md["a.i8"], -128)
        self.assertEqual(md["a.u64"], 2**64 - 1)
        self.assertEqual(md["a.i64"], -2**63)
        self.assertEqual(md["a.f32"], 0.25)
        self.assertEqual(md["a.f64"], 1e-300)
        self.assertIs(md["a.bool"], True)
        self.assertEqual(md["a.str"], "héllo ▁ 世界")
        self.assertEqual(md["a.strs"], ["x", "", "ÿ"])
        self.assertEqual(md["a.ints"], [1, -2, 3])
        self.assertEqual(md["a.bools"], [True, False])
        self.assertEqual(md["a.nested"], [[1, 2], []])
        self.assertEqual(f.value_types["a.ints"], (9, 5))
        self.assertEqual(f.value_types["a.u16"], (2, None))
        for name in f.tensors:
            self.assertEqual((f.tensors[name].offset - f.data_start) % 32, 0)
        self.assertEqual(f.data_start % 32, 0)
        np.testing.assert_array_equal(f.tensor("t.f32"), t32)
        self.assertEqual(f.tensors["t.f32"].ne, (5, 3))
        np.testing.assert_array_equal(f.tensor("t.f16"), t16.astype(np.float16).astype(np.float32))
        np.testing.assert_allclose(f.tensor("t.bf16"), tb16, rtol=2**-8)
        self.assertEqual(f.tensors["t.q8_0"].n_bytes, 3 * 2 * 34)
        np.testing.assert_allclose(f.tensor("t.q8_0"), tq8, atol=np.abs(tq8).max() / 127)

    def test_exact_bytes_of_a_tiny_file(self):
        w = GgufWriter()
        w.add_uint32("k", 7)
        w.add_tensor("t", np.array([1.0], np.float32), GgmlType.F32)
        data = w.to_bytes()
        head = (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) +
                struct.pack("<Q", 1) + b"k" + struct.pack("<II", 4, 7) +
                struct.pack("<Q", 1) + b"t" + struct.pack("<IQIQ", 1, 1, 0, 0))
        pad = (32 - len(head) % 32) % 32
        self.assertEqual(data, head + b"\0" * pad + struct.pack("<f", 1.0) + b"\0" * 28)


# ---------------------------------------------------------------- synthetic HF directories

def write_safetensors(path: str, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)) + hjson + b"".join(blobs))


def _byte_level_alphabet() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return [chr(c) for c in cs]


def make_hf_dir(path: str, arch: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n_vocab, n_embd, n_ff, n_layer, n_head, n_kv = 300, 32, 64, 2, 4, 2
    hd = n_embd // n_head
    config = {
        "architectures": ["LlamaForCausalLM" if arch == "llama" else "Qwen2ForCausalLM"],
        "vocab_size": n_vocab, "hidden_size": n_embd, "intermediate_size": n_ff,
        "num_hidden_layers": n_layer, "num_attention_heads": n_head, "num_key_value_heads": n_kv,
        "rms_norm_eps": 1e-5, "max_position_embeddings": 256, "hidden_act": "silu",
        "tie_word_embeddings": arch == "qwen2", "bos_token_id": 256, "eos_token_id": 257,
    }
    if arch == "llama":
        config["rope_parameters"] = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 64}
    else:
        config["rope_theta"] = 10000.0
    sd = {"model.embed_tokens.weight": rng.standard_normal((n_vocab, n_embd)) * 0.5,
          "model.norm.weight": 1 + 0.1 * rng.standard_normal(n_embd)}
    if arch == "llama":
        sd["lm_head.weight"] = rng.standard_normal((n_vocab, n_embd)) * 0.5
    for i in range(n_layer):
        p = f"model.layers.{i}."
        sd.update({
            p + "input_layernorm.weight": 1 + 0.1 * rng.standard_normal(n_embd),
            p + "self_attn.q_proj.weight": rng.standard_normal((n_head * hd, n_embd)) * 0.3,
            p + "self_attn.k_proj.weight": rng.standard_normal((n_kv * hd, n_embd)) * 0.3,
            p + "self_attn.v_proj.weight": rng.standard_normal((n_kv * hd, n_embd)) * 0.3,
            p + "self_attn.o_proj.weight": rng.standard_normal((n_embd, n_head * hd)) * 0.3,
            p + "post_attention_layernorm.weight": 1 + 0.1 * rng.standard_normal(n_embd),
            p + "mlp.gate_proj.weight": rng.standard_normal((n_ff, n_embd)) * 0.3,
            p + "mlp.up_proj.weight": rng.standard_normal((n_ff, n_embd)) * 0.3,
            p + "mlp.down_proj.weight": rng.standard_normal((n_embd, n_ff)) * 0.3,
        })
        if arch == "qwen2":
            sd[p + "self_attn.q_proj.bias"] = rng.standard_normal(n_head * hd) * 0.3
            sd[p + "self_attn.k_proj.bias"] = rng.standard_normal(n_kv * hd) * 0.3
            sd[p + "self_attn.v_proj.bias"] = rng.standard_normal(n_kv * hd) * 0.3
    sd = {k: v.astype(np.float32) for k, v in sd.items()}
    write_safetensors(os.path.join(path, "model.safetensors"), sd)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f)
    alphabet = _byte_level_alphabet()
    vocab = {t: i for i, t in enumerate(alphabet)}
    vocab["Ġt"] = len(vocab)
    vocab["Ġth"] = len(vocab)
    pattern = hf_to_gguf.LLAMA3_PATTERN if arch == "llama" else hf_to_gguf.QWEN2_PATTERN
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    tokenizer = {
        "added_tokens": [{"id": 280 + i, "content": s, "special": True} for i, s in enumerate(specials)],
        "normalizer": None if arch == "llama" else {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [280]}}},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": vocab, "merges": [["Ġ", "t"], "Ġt h"]},
    }
    with open(os.path.join(path, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
                   "chat_template": "{{ messages }}"}, f)
    return sd


def hf_style_logits(sd: dict[str, np.ndarray], config: dict, ids: list[int]) -> np.ndarray:
    """HF LlamaModel semantics on the original weights: rotate_half RoPE, repeat_kv."""
    w = {k: v.astype(np.float64) for k, v in sd.items()}
    n_head, n_kv = config["num_attention_heads"], config["num_key_value_heads"]
    hd = config["hidden_size"] // n_head
    eps = config["rms_norm_eps"]
    rp = config.get("rope_parameters")
    theta = rp["rope_theta"] if rp else config["rope_theta"]
    inv = theta ** (-np.arange(0, hd, 2) / hd)
    if rp and rp["rope_type"] == "llama3":
        old, lo, hi, fac = rp["original_max_position_embeddings"], rp["low_freq_factor"], \
            rp["high_freq_factor"], rp["factor"]
        wl = 2 * math.pi / inv
        scaled = np.where(wl > old / lo, inv / fac, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / fac + smooth * scaled
        medium = ~(wl < old / hi) & ~(wl > old / lo)
        inv = np.where(medium, smoothed, scaled)
    n = len(ids)
    ang = np.arange(n)[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, axis=1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=1)[:, None, :]

    def rot(x):
        return np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)

    def norm(x, g):
        return x / np.sqrt(np.mean(x * x, -1, keepdims=True) + eps) * g

    x = w["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = norm(x, w[p + "input_layernorm.weight"])
        q, k, v = (h @ w[p + f"self_attn.{m}_proj.weight"].T + w.get(p + f"self_attn.{m}_proj.bias", 0)
                   for m in "qkv")
        q = q.reshape(n, n_head, hd)
        k = k.reshape(n, n_kv, hd)
        v = v.reshape(n, n_kv, hd)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = np.repeat(k, n_head // n_kv, axis=1), np.repeat(v, n_head // n_kv, axis=1)
        s = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", s, v).reshape(n, -1)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        h = norm(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + (g / (1 + np.exp(-g)) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    out = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return norm(x, w["model.norm.weight"]) @ out.T


FAMILY_CLASSES = {"mistral": "MistralForCausalLM", "qwen3": "Qwen3ForCausalLM", "gemma3": "Gemma3ForCausalLM",
                  "phi3": "Phi3ForCausalLM", "qwen3moe": "Qwen3MoeForCausalLM",
                  "qwen3moe-fused": "Qwen3MoeForCausalLM", "gemma2": "Gemma2ForCausalLM"}
N_EXPERT, N_EXPERT_USED, N_FF_EXP = 6, 2, 32


def make_family_dir(path: str, family: str, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict]:
    """A HF directory of one of the newer families, with weights in HF's own layout and conventions.

    "qwen3moe" stores its experts one matrix each (transformers < 5 checkpoints),
    "qwen3moe-fused" as transformers 5 holds them (gate_up_proj [E, 2 I, H], down_proj [E, H, I]).
    """
    make_hf_dir(path, "qwen2", rng)  # the tokenizer files; weights and config are replaced below
    n_vocab, n_embd, n_ff, n_layer, n_head, n_kv, hd = 300, 32, 64, 2, 4, 2, 16
    gemma = family in ("gemma2", "gemma3")
    moe = family.startswith("qwen3moe")
    if family == "gemma3":
        n_layer = 7  # layers 0-4 and 6 slide, layer 5 is global
    if family == "gemma2":
        n_layer = 4  # layers 0 and 2 slide
    if family == "phi3":
        hd = n_embd // n_head
    config = {"architectures": [FAMILY_CLASSES[family]], "vocab_size": n_vocab, "hidden_size": n_embd,
              "intermediate_size": n_ff, "num_hidden_layers": n_layer, "num_attention_heads": n_head,
              "num_key_value_heads": n_kv, "head_dim": hd, "rms_norm_eps": 1e-6,
              "max_position_embeddings": 256, "tie_word_embeddings": family in ("qwen3", "gemma2", "gemma3"),
              "bos_token_id": 256, "eos_token_id": 257}
    if family == "gemma3":
        config.update({"hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": hd, "sliding_window": 5,
                       "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1e6},
                                           "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}})
    elif family == "gemma2":
        # Caps small enough that capping changes the scores and logits of these weights.
        config.update({"hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": hd, "sliding_window": 5,
                       "attn_logit_softcapping": 3.0, "final_logit_softcapping": 5.0, "rope_theta": 1e4})
    else:
        config.update({"hidden_act": "silu", "rope_theta": 1e6 if family != "phi3" else 1e4})
    if moe:
        config.update({"num_experts": N_EXPERT, "num_experts_per_tok": N_EXPERT_USED,
                       "moe_intermediate_size": N_FF_EXP, "norm_topk_prob": True, "decoder_sparse_step": 1,
                       "mlp_only_layers": []})
    if family == "mistral":
        config["sliding_window"] = None
    if family == "phi3":
        config.update({"original_max_position_embeddings": 256, "sliding_window": None})
        del config["head_dim"]
    norm = (lambda n: 0.3 * rng.standard_normal(n)) if gemma else (lambda n: 1 + 0.1 * rng.standard_normal(n))
    sd = {"model.embed_tokens.weight": rng.standard_normal((n_vocab, n_embd)) * 0.5, "model.norm.weight": norm(n_embd)}
    if not config["tie_word_embeddings"]:
        sd["lm_head.weight"] = rng.standard_normal((n_vocab, n_embd)) * 0.5
    mat = lambda r, c: rng.standard_normal((r, c)) * 0.3  # noqa: E731
    for i in range(n_layer):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = norm(n_embd)
        if family == "phi3":
            sd[p + "self_attn.qkv_proj.weight"] = mat((n_head + 2 * n_kv) * hd, n_embd)
            sd[p + "mlp.gate_up_proj.weight"] = mat(2 * n_ff, n_embd)
        else:
            sd.update({p + "self_attn.q_proj.weight": mat(n_head * hd, n_embd),
                       p + "self_attn.k_proj.weight": mat(n_kv * hd, n_embd),
                       p + "self_attn.v_proj.weight": mat(n_kv * hd, n_embd)})
        if moe:
            sd[p + "mlp.gate.weight"] = mat(N_EXPERT, n_embd) * 4  # router logits spread well apart
            gate = np.stack([mat(N_FF_EXP, n_embd) for _ in range(N_EXPERT)])
            up = np.stack([mat(N_FF_EXP, n_embd) for _ in range(N_EXPERT)])
            down = np.stack([mat(n_embd, N_FF_EXP) for _ in range(N_EXPERT)])
            if family == "qwen3moe-fused":
                sd[p + "mlp.experts.gate_up_proj"] = np.concatenate([gate, up], axis=1)
                sd[p + "mlp.experts.down_proj"] = down
            else:
                for e in range(N_EXPERT):
                    sd.update({p + f"mlp.experts.{e}.gate_proj.weight": gate[e],
                               p + f"mlp.experts.{e}.up_proj.weight": up[e],
                               p + f"mlp.experts.{e}.down_proj.weight": down[e]})
        elif family != "phi3":
            sd.update({p + "mlp.gate_proj.weight": mat(n_ff, n_embd), p + "mlp.up_proj.weight": mat(n_ff, n_embd)})
        sd[p + "self_attn.o_proj.weight"] = mat(n_embd, n_head * hd)
        sd[p + "post_attention_layernorm.weight"] = norm(n_embd)
        if not moe:
            sd[p + "mlp.down_proj.weight"] = mat(n_embd, n_ff)
        if family in ("qwen3", "gemma3") or moe:
            sd[p + "self_attn.q_norm.weight"] = norm(hd)
            sd[p + "self_attn.k_norm.weight"] = norm(hd)
        if gemma:
            sd[p + "pre_feedforward_layernorm.weight"] = norm(n_embd)
            sd[p + "post_feedforward_layernorm.weight"] = norm(n_embd)
    sd = {k: v.astype(np.float32) for k, v in sd.items()}
    write_safetensors(os.path.join(path, "model.safetensors"), sd)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f)
    return sd, config


def hf_family_logits(sd: dict[str, np.ndarray], config: dict, ids: list[int]) -> np.ndarray:
    """HF transformers' Mistral/Qwen3/Gemma3Text/Phi3 semantics on the original weights, restated."""
    family = {v: k for k, v in FAMILY_CLASSES.items()}[config["architectures"][0]]
    w = {k: v.astype(np.float64) for k, v in sd.items()}
    n_head, n_kv, n_embd = config["num_attention_heads"], config["num_key_value_heads"], config["hidden_size"]
    hd = config.get("head_dim") or n_embd // n_head
    eps, n, n_ff = config["rms_norm_eps"], len(ids), config["intermediate_size"]
    gemma = family in ("gemma2", "gemma3")

    def norm(x, g):  # Gemma2/3RMSNorm: (1 + w)
        return x / np.sqrt(np.mean(x * x, -1, keepdims=True) + eps) * ((1 + g) if gemma else g)

    def rope(x, theta):
        inv = theta ** (-np.arange(0, hd, 2) / hd)
        ang = np.arange(n)[:, None] * inv[None, :]
        cos = np.concatenate([np.cos(ang)] * 2, axis=1)[:, None, :]
        sin = np.concatenate([np.sin(ang)] * 2, axis=1)[:, None, :]
        rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)
        return x * cos + rot * sin

    x = w["model.embed_tokens.weight"][ids] * (math.sqrt(n_embd) if gemma else 1.0)
    qi, ki = np.arange(n)[:, None], np.arange(n)[None, :]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sliding = (family == "gemma3" and (i + 1) % 6 != 0) or (family == "gemma2" and i % 2 == 0)
        if family == "gemma3":
            theta = config["rope_parameters"]["sliding_attention" if sliding else "full_attention"]["rope_theta"]
        else:
            theta = config["rope_theta"]
        visible = (ki <= qi) & ((ki > qi - config["sliding_window"]) if sliding else True)
        h = norm(x, w[p + "input_layernorm.weight"])
        if family == "phi3":
            qkv = h @ w[p + "self_attn.qkv_proj.weight"].T
            q, k, v = qkv[:, :n_head * hd], qkv[:, n_head * hd:(n_head + n_kv) * hd], qkv[:, (n_head + n_kv) * hd:]
        else:
            q, k, v = (h @ w[p + f"self_attn.{m}_proj.weight"].T for m in "qkv")
        q, k, v = q.reshape(n, n_head, hd), k.reshape(n, n_kv, hd), v.reshape(n, n_kv, hd)
        if p + "self_attn.q_norm.weight" in w:
            q, k = norm(q, w[p + "self_attn.q_norm.weight"]), norm(k, w[p + "self_attn.k_norm.weight"])
        q, k = rope(q, theta), rope(k, theta)
        k, v = np.repeat(k, n_head // n_kv, axis=1), np.repeat(v, n_head // n_kv, axis=1)
        scale = config["query_pre_attn_scalar"] ** -0.5 if gemma else 1 / math.sqrt(hd)
        s = np.einsum("qhd,khd->hqk", q, k) * scale
        if config.get("attn_logit_softcapping"):
            s = config["attn_logit_softcapping"] * np.tanh(s / config["attn_logit_softcapping"])
        s = np.where(visible[None], s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", s, v).reshape(n, -1) @ w[p + "self_attn.o_proj.weight"].T
        if gemma:
            o = norm(o, w[p + "post_attention_layernorm.weight"])
            h = norm(x + o, w[p + "pre_feedforward_layernorm.weight"])
        else:
            h = norm(x + o, w[p + "post_attention_layernorm.weight"])
        x = x + o
        if family.startswith("qwen3moe"):  # Qwen3MoeSparseMoeBlock, norm_topk_prob
            logits = h @ w[p + "mlp.gate.weight"].T
            probs = np.exp(logits - logits.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            o = np.zeros_like(h)
            for t in range(n):
                top = np.argsort(-probs[t])[:config["num_experts_per_tok"]]
                for e in top:
                    if p + "mlp.experts.gate_up_proj" in w:
                        g_w, u_w = np.split(w[p + "mlp.experts.gate_up_proj"][e], 2, axis=0)
                        d_w = w[p + "mlp.experts.down_proj"][e]
                    else:
                        g_w, u_w, d_w = (w[p + f"mlp.experts.{e}.{m}_proj.weight"] for m in ("gate", "up", "down"))
                    g = g_w @ h[t]
                    o[t] += probs[t, e] / probs[t, top].sum() * (d_w @ (g / (1 + np.exp(-g)) * (u_w @ h[t])))
            x = x + o
            continue
        if family == "phi3":
            gate, up = np.split(h @ w[p + "mlp.gate_up_proj.weight"].T, 2, axis=-1)
        else:
            gate, up = h @ w[p + "mlp.gate_proj.weight"].T, h @ w[p + "mlp.up_proj.weight"].T
        if gemma:
            act = 0.5 * gate * (1 + np.tanh(math.sqrt(2 / math.pi) * (gate + 0.044715 * gate ** 3)))
        else:
            act = gate / (1 + np.exp(-gate))
        o = (act * up) @ w[p + "mlp.down_proj.weight"].T
        x = x + (norm(o, w[p + "post_feedforward_layernorm.weight"]) if gemma else o)
    out = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    assert n_ff > 0
    logits = norm(x, w["model.norm.weight"]) @ out.T
    if config.get("final_logit_softcapping"):
        logits = config["final_logit_softcapping"] * np.tanh(logits / config["final_logit_softcapping"])
    return logits


class NewFamiliesTest(unittest.TestCase):
    """hf_to_gguf + llama_reference on each newer family reproduce HF's semantics (restated above)."""

    def _check(self, family: str, n_ids: int = 12):
        tmp = tempfile.mkdtemp()
        sd, config = make_family_dir(tmp, family, np.random.default_rng(40 + len(family)))
        out = os.path.join(tmp, "m.gguf")
        hf_to_gguf.convert_model(tmp, out, "f32", name=f"test-{family}")
        ids = [int(i) for i in np.random.default_rng(7).integers(0, 300, size=n_ids)]
        # gemma3's norms are stored as float32(1 + w): that rounding is the only difference.
        np.testing.assert_allclose(LlamaReference(out).logits(ids), hf_family_logits(sd, config, ids),
                                   atol=1e-5 if family.startswith("gemma") else 1e-9, rtol=0)
        return GgufFile(out)

    def test_mistral_explicit_head_dim(self):
        f = self._check("mistral")
        self.assertEqual(f.metadata["general.architecture"], "llama")
        self.assertEqual(f.metadata["llama.attention.key_length"], 16)
        self.assertEqual(f.tensors["blk.0.attn_q.weight"].ne, (32, 64))
        self.assertEqual(f.tensors["blk.0.attn_output.weight"].ne, (64, 32))

    def test_qwen3(self):
        f = self._check("qwen3")
        self.assertEqual(f.metadata["qwen3.attention.key_length"], 16)
        self.assertEqual(f.tensors["blk.1.attn_k_norm.weight"].ne, (16,))
        self.assertNotIn("output.weight", f.tensors)

    def test_gemma3_sliding_window_and_norm_shift(self):
        f = self._check("gemma3", n_ids=14)  # longer than the window of 5
        md = f.metadata
        self.assertEqual(md["gemma3.attention.sliding_window"], 5)
        self.assertEqual(md["gemma3.rope.freq_base"], 1e6)
        self.assertNotIn("gemma3.rope.dimension_count", md)
        for name in ("post_attention_norm", "post_ffw_norm", "ffn_norm", "attn_q_norm"):
            self.assertIn(f"blk.0.{name}.weight", f.tensors)

    def test_qwen3moe_experts_stacked_from_either_checkpoint_form(self):
        for family in ("qwen3moe", "qwen3moe-fused"):
            f = self._check(family)
            md = f.metadata
            self.assertEqual((md["qwen3moe.expert_count"], md["qwen3moe.expert_used_count"],
                              md["qwen3moe.expert_feed_forward_length"]), (N_EXPERT, N_EXPERT_USED, N_FF_EXP))
            self.assertEqual(f.tensors["blk.1.ffn_gate_exps.weight"].ne, (32, N_FF_EXP, N_EXPERT))
            self.assertEqual(f.tensors["blk.1.ffn_down_exps.weight"].ne, (N_FF_EXP, 32, N_EXPERT))
            self.assertEqual(f.tensors["blk.1.ffn_gate_inp.weight"].ne, (32, N_EXPERT))
            self.assertEqual(f.tensors["blk.1.ffn_gate_inp.weight"].type_name, "f32")

    def test_qwen3moe_refuses_what_llama_cpp_cannot_run(self):
        tmp = tempfile.mkdtemp()
        make_family_dir(tmp, "qwen3moe", np.random.default_rng(3))
        with open(os.path.join(tmp, "config.json")) as f:
            config = json.load(f)
        for key, value in (("norm_topk_prob", False), ("mlp_only_layers", [1]), ("decoder_sparse_step", 2)):
            with open(os.path.join(tmp, "config.json"), "w") as f:
                json.dump({**config, key: value}, f)
            with self.assertRaises(hf_to_gguf.ConversionError):
                hf_to_gguf.convert_model(tmp, os.path.join(tmp, "m.gguf"), "f32")

    def test_gemma2_soft_caps_and_alternating_window(self):
        f = self._check("gemma2", n_ids=14)  # longer than the window of 5
        md = f.metadata
        self.assertEqual(md["gemma2.attention.sliding_window"], 5)
        self.assertEqual(md["gemma2.attn_logit_softcapping"], 3.0)
        self.assertEqual(md["gemma2.final_logit_softcapping"], 5.0)
        self.assertNotIn("blk.0.attn_q_norm.weight", f.tensors)
        for name in ("post_attention_norm", "post_ffw_norm", "ffn_norm"):
            self.assertIn(f"blk.0.{name}.weight", f.tensors)

    def test_phi3_fused(self):
        f = self._check("phi3")
        self.assertEqual(f.tensors["blk.0.attn_qkv.weight"].ne, (32, 64))
        self.assertEqual(f.tensors["blk.0.ffn_up.weight"].ne, (32, 128))
        self.assertEqual(f.metadata["phi3.attention.sliding_window"], 0)


class HfToGgufTest(unittest.TestCase):
    def test_permute_pairs_rotary_halves(self):
        hd, n_head = 8, 2
        rows = np.arange(n_head * hd, dtype=np.float32)[:, None]
        out = hf_to_gguf.permute_rotary_rows(rows, n_head)[:, 0]
        # per head: new row 2i = old row i, new row 2i+1 = old row i + hd/2
        np.testing.assert_array_equal(out[:8], [0, 4, 1, 5, 2, 6, 3, 7])
        np.testing.assert_array_equal(out[8:], [8, 12, 9, 13, 10, 14, 11, 15])

    def _convert(self, arch: str, out_type: str):
        rng = np.random.default_rng(11 if arch == "llama" else 12)
        tmp = tempfile.mkdtemp()
        sd = make_hf_dir(tmp, arch, rng)
        out = os.path.join(tmp, f"m-{out_type}.gguf")
        hf_to_gguf.convert_model(tmp, out, out_type, name=f"test-{arch}")
        with open(os.path.join(tmp, "config.json")) as f:
            config = json.load(f)
        return sd, config, out

    def test_llama_f32_matches_hf_semantics(self):
        sd, config, path = self._convert("llama", "f32")
        f = GgufFile(path)
        md = f.metadata
        self.assertEqual(md["general.architecture"], "llama")
        self.assertEqual(md["general.name"], "test-llama")
        self.assertEqual(md["llama.attention.head_count_kv"], 2)
        self.assertEqual(md["llama.rope.freq_base"], 500000.0)
        # llama3 scaling as llama.cpp writes it: the rope_freqs.weight tensor, no nonstandard keys.
        self.assertFalse([key for key in md if ".rope.scaling." in key])
        self.assertEqual(f.tensors["rope_freqs.weight"].type_name, "f32")
        self.assertEqual(f.tensors["rope_freqs.weight"].ne, (4,))
        self.assertEqual(md["general.file_type"], 0)
        self.assertEqual(md["tokenizer.ggml.model"], "gpt2")
        self.assertEqual(md["tokenizer.ggml.pre"], "llama-bpe")
        self.assertEqual(md["tokenizer.ggml.merges"], ["Ġ t", "Ġt h"])
        self.assertEqual(len(md["tokenizer.ggml.tokens"]), 300)
        self.assertEqual(md["tokenizer.ggml.tokens"][260], "[PAD260]")
        self.assertEqual(md["tokenizer.ggml.token_type"][260], 5)
        self.assertEqual(md["tokenizer.ggml.token_type"][280], 3)
        self.assertEqual(md["tokenizer.ggml.bos_token_id"], 280)
        self.assertEqual(md["tokenizer.ggml.eot_token_id"], 282)
        self.assertIs(md["tokenizer.ggml.add_bos_token"], True)
        self.assertIs(md["tokenizer.ggml.add_eos_token"], False)
        self.assertEqual(md["tokenizer.chat_template"], "{{ messages }}")
        self.assertIn("output.weight", f.tensors)
        self.assertEqual(f.tensors["blk.0.attn_k.weight"].ne, (32, 16))
        self.assertEqual(f.tensors["blk.0.attn_norm.weight"].type_name, "f32")
        np.testing.assert_array_equal(f.tensor("blk.1.ffn_down.weight"), sd["model.layers.1.mlp.down_proj.weight"])
        ids = [5, 77, 250, 3, 3, 199, 42, 1, 0, 100]
        ours = LlamaReference(path).logits(ids)
        theirs = hf_style_logits(sd, config, ids)
        np.testing.assert_allclose(ours, theirs, atol=1e-9, rtol=0)

    def test_llama3_rope_factors_match_hf_formula(self):
        # head_dim 32, theta 1e4: wavelengths 6.3 .. 4.4e4 straddle both thresholds of original
        # context 256 (64 and 256), so the keep, blend and divide branches all occur.
        rp = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 256}
        config = {"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 128,
                  "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 4,
                  "rope_parameters": rp}
        params = hf_to_gguf.read_model_params(config)
        factors = hf_to_gguf.llama3_rope_factors(params)
        self.assertEqual(factors.dtype, np.float32)
        self.assertEqual(len(factors), 16)
        # HF transformers' _compute_llama3_parameters, restated on the inverse frequencies.
        hd, old, lo, hi, fac = 32, 256, 1.0, 4.0, 8.0
        inv = 10000.0 ** (-np.arange(0, hd, 2) / hd)
        wl = 2 * math.pi / inv
        smooth = (old / wl - lo) / (hi - lo)
        hf_inv = np.where(wl < old / hi, inv, np.where(wl > old / lo, inv / fac, (1 - smooth) * inv / fac + smooth * inv))
        branches = {("keep" if w < old / hi else "divide" if w > old / lo else "blend") for w in wl}
        self.assertEqual(branches, {"keep", "blend", "divide"})
        np.testing.assert_allclose(inv / factors.astype(np.float64), hf_inv, rtol=1e-7, atol=0)

    def test_qwen2_tied_with_bias(self):
        sd, config, path = self._convert("qwen2", "f16")
        f = GgufFile(path)
        self.assertNotIn("output.weight", f.tensors)
        self.assertEqual(f.metadata["tokenizer.ggml.pre"], "qwen2")
        self.assertEqual(f.tensors["blk.0.attn_q.bias"].type_name, "f32")
        self.assertEqual(f.tensors["blk.0.attn_q.weight"].type_name, "f16")
        np.testing.assert_array_equal(f.tensor("blk.0.attn_k.bias"), sd["model.layers.0.self_attn.k_proj.bias"])
        ids = [9, 8, 7, 6, 5, 4, 3]
        ours = LlamaReference(path).logits(ids)
        sd16 = {k: (v.astype(np.float16).astype(np.float32) if v.ndim == 2 else v) for k, v in sd.items()}
        np.testing.assert_allclose(ours, hf_style_logits(sd16, config, ids), atol=1e-9, rtol=0)

    def test_q8_0(self):
        sd, config, path = self._convert("llama", "q8_0")
        f = GgufFile(path)
        self.assertEqual(f.tensors["token_embd.weight"].type_name, "q8_0")
        self.assertEqual(f.metadata["general.file_type"], 7)
        ids = [1, 2, 3, 4]
        want = hf_style_logits(sd, config, ids)
        diff = np.abs(LlamaReference(path).logits(ids) - want).max()
        self.assertGreater(diff, 0.0)                     # really quantized
        self.assertLess(diff, 0.05 * np.abs(want).max())  # but close

    def test_rejects_unknown_tensor(self):
        rng = np.random.default_rng(5)
        tmp = tempfile.mkdtemp()
        sd = make_hf_dir(tmp, "llama", rng)
        sd["model.layers.0.self_attn.q_norm.weight"] = np.ones(8, np.float32)
        write_safetensors(os.path.join(tmp, "model.safetensors"), sd)
        with self.assertRaises(hf_to_gguf.ConversionError):
            hf_to_gguf.convert_model(tmp, os.path.join(tmp, "x.gguf"))


def write_tokenizer_dir(path: str, tokenizer: dict, config: dict | None = None) -> str:
    with open(os.path.join(path, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump(config or {}, f)
    return path


def byte_level_tokenizer(patterns: list[str], normalizer: dict | None = None) -> dict:
    splits = [{"type": "Split", "pattern": {"Regex": p}, "behavior": "Isolated", "invert": False} for p in patterns]
    return {
        "added_tokens": [], "normalizer": normalizer, "post_processor": None, "decoder": {"type": "ByteLevel"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": splits + [
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(_byte_level_alphabet())}, "merges": []},
    }


class TokenizerConversionTest(unittest.TestCase):
    """The tokenizer part of hf_to_gguf on small tokenizer.json files shaped like the real ones."""

    def test_pre_tokenizer_names(self):
        cases = [
            ([hf_to_gguf.LLAMA3_PATTERN], None, "llama-bpe"),
            ([hf_to_gguf.QWEN2_PATTERN], {"type": "NFC"}, "qwen2"),
            ([r"\p{N}{1,3}", hf_to_gguf.DEEPSEEK_V3_CJK_PATTERN, hf_to_gguf.DEEPSEEK_V3_PATTERN],
             {"type": "Sequence", "normalizers": []}, "deepseek-v3"),
            ([hf_to_gguf.TEKKEN_PATTERN], None, "tekken"),
        ]
        for patterns, normalizer, pre in cases:
            with tempfile.TemporaryDirectory() as tmp:
                spec = hf_to_gguf.read_tokenizer(write_tokenizer_dir(tmp, byte_level_tokenizer(patterns, normalizer)))
                self.assertEqual((spec.model, spec.pre), ("gpt2", pre))

    def test_normalizer_must_be_the_one_the_pre_tokenizer_implies(self):
        for patterns, normalizer in (([hf_to_gguf.LLAMA3_PATTERN], {"type": "NFC"}),
                                     ([hf_to_gguf.QWEN2_PATTERN], None),
                                     ([hf_to_gguf.TEKKEN_PATTERN], {"type": "NFKC"})):
            with tempfile.TemporaryDirectory() as tmp:
                write_tokenizer_dir(tmp, byte_level_tokenizer(patterns, normalizer))
                with self.assertRaises(hf_to_gguf.ConversionError):
                    hf_to_gguf.read_tokenizer(tmp)

    def gemma_like(self) -> dict:
        # <pad> <eos> <bos> <unk>, a user-defined run of two U+2581, 256 byte tokens, then pieces.
        sp = hf_to_gguf.SPM_SPACE
        vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, sp + sp: 4}
        for b in range(256):
            vocab[f"<0x{b:02X}>"] = len(vocab)
        for piece in (sp, "a", "b", "ab", sp + "a"):
            vocab[piece] = len(vocab)
        added = [{"id": i, "content": t, "special": i < 4} for t, i in vocab.items() if i <= 4]
        return {
            "added_tokens": added,
            "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": sp},
            "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious"},
            "post_processor": None,
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": sp}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}]},
            "model": {"type": "BPE", "vocab": vocab, "unk_token": "<unk>", "byte_fallback": True,
                      "merges": [["a", "b"], [sp, sp], [sp, "a"]]},
        }

    def test_gemma_style_sentencepiece_bpe(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_tokenizer_dir(tmp, self.gemma_like(), {"bos_token": "<bos>", "eos_token": "<eos>",
                                                         "unk_token": "<unk>", "add_bos_token": True})
            spec = hf_to_gguf.read_tokenizer(tmp)
        self.assertEqual(spec.model, "llama")
        self.assertIs(spec.add_space_prefix, False)  # no Prepend normalizer: no dummy prefix
        self.assertTrue(spec.add_bos)
        self.assertEqual((spec.special_ids["bos"], spec.special_ids["eos"], spec.special_ids["unk"]), (2, 1, 3))
        self.assertEqual(spec.token_types[:5], [hf_to_gguf.TOKEN_CONTROL, hf_to_gguf.TOKEN_CONTROL,
                                                hf_to_gguf.TOKEN_CONTROL, hf_to_gguf.TOKEN_UNKNOWN,
                                                hf_to_gguf.TOKEN_USER_DEFINED])
        self.assertEqual(spec.token_types[5], hf_to_gguf.TOKEN_BYTE)
        # Scores follow the merge order, the user-defined run of U+2581 included.
        tokens = spec.tokens
        self.assertEqual(spec.scores[tokens.index("ab")], -1.0)
        self.assertEqual(spec.scores[4], -2.0)
        self.assertEqual(spec.scores[tokens.index(hf_to_gguf.SPM_SPACE + "a")], -3.0)
        self.assertEqual(spec.scores[tokens.index("a")], 0.0)

    def test_sentencepiece_normalizer_steps_are_checked(self):
        tokenizer = self.gemma_like()
        tokenizer["normalizer"] = {"type": "Sequence", "normalizers": [tokenizer["normalizer"], {"type": "NFKC"}]}
        with tempfile.TemporaryDirectory() as tmp:
            write_tokenizer_dir(tmp, tokenizer)
            with self.assertRaises(hf_to_gguf.ConversionError):
                hf_to_gguf.read_tokenizer(tmp)


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


class CommittedFixturesTest(unittest.TestCase):
    """The committed fixtures agree with the GGUF-only references (no torch/tokenizers needed)."""

    def test_quant_fixtures_regenerate_identically(self):
        with tempfile.TemporaryDirectory() as tmp:
            qr.write_fixtures(tmp, 20261126, 8)
            for name in qr.FIXTURE_TYPES:
                for ext in ("blocks", "f32"):
                    with open(os.path.join(tmp, f"{name}.{ext}"), "rb") as a, \
                            open(os.path.join(FIXTURES, "quant", f"{name}.{ext}"), "rb") as b:
                        self.assertEqual(a.read(), b.read(), f"{name}.{ext}")

    def test_parity_logits_and_greedy(self):
        # llama-init002 ships no f32 GGUF and no greedy runs (see make_parity_fixtures.py).
        for name in ("llama", "qwen2", "llama-init002", "qwen3", "mistral", "gemma3", "phi3", "qwen3moe", "gemma2"):
            with open(os.path.join(FIXTURES, "parity", f"{name}.json")) as f:
                doc = json.load(f)
            logits = np.fromfile(os.path.join(FIXTURES, "parity", doc["files"]["logits"]), dtype="<f4")
            n_vocab = doc["n_vocab"]
            self.assertEqual(logits.size, sum(len(c["ids"]) for c in doc["cases"]) * n_vocab)
            has_f32 = "f32" in doc["files"]
            self.assertEqual(has_f32, name != "llama-init002")
            ref = LlamaReference(os.path.join(FIXTURES, "parity", doc["files"]["f32"])) if has_f32 else None
            ref_q8 = LlamaReference(os.path.join(FIXTURES, "parity", doc["files"]["q8_0"]))
            for case in doc["cases"]:
                n = len(case["ids"]) * n_vocab
                want = logits[case["offset_floats"]:case["offset_floats"] + n].reshape(-1, n_vocab)
                if ref is not None:
                    np.testing.assert_allclose(ref.logits(case["ids"]), want, atol=1e-4, rtol=0)
                q8_diff = np.abs(ref_q8.logits(case["ids"]) - want).max()
                self.assertLessEqual(q8_diff, doc["checks"]["gguf_q8_0_numpy_vs_hf_max_abs"] + 1e-6)
            self.assertEqual(bool(doc["greedy"]), has_f32)
            for g in doc["greedy"]:
                seq = list(g["prompt"])
                for _ in range(len(g["generated"])):
                    seq.append(int(np.argmax(ref.logits(seq)[-1])))
                self.assertEqual(seq[len(g["prompt"]):], g["generated"])
                self.assertGreater(g["min_top2_margin"], 0.05)

    def test_tokenizer_cases(self):
        try:
            import tokenizer_reference
            import regex  # noqa: F401
        except ImportError:
            self.skipTest("needs the `regex` module (Debian: python3-regex)")
        for name in ("bpe_llama3", "spm"):
            md = GgufFile(os.path.join(FIXTURES, "tokenizer", f"{name}.gguf")).metadata
            self.assertNotIn("general.architecture", md)
            ref = tokenizer_reference.reference_for(md)
            n_cases = 0
            with open(os.path.join(FIXTURES, "tokenizer", f"{name}.cases.jsonl"), encoding="utf-8") as f:
                for line in f:
                    case = json.loads(line)
                    ids = ref.encode(case["text"], case["add_special"], case["parse_special"])
                    self.assertEqual(ids, case["ids"], case)
                    self.assertEqual(ref.decode(case["ids"]), case["decoded"], case)
                    n_cases += 1
            self.assertGreater(n_cases, 2000)


class WhisperConversionTest(unittest.TestCase):
    """hf_to_gguf.py on a WhisperForConditionalGeneration directory writes the deterministic
    test model's GGUF (whisper_gguf.write_det_gguf, which the C++ tests also build) exactly."""

    P = whisper_gguf.WhisperParams(n_vocab=256 + 1608, n_mels=80, n_embd=64, n_head=2, n_ff=128,
                                   n_enc_layer=2, n_dec_layer=2, n_text_ctx=32)

    def _hf_dir(self, d: str) -> None:
        p = self.P
        state = whisper_gguf.hf_state(whisper_gguf.det_state(p))
        state["proj_out.weight"] = state["model.decoder.embed_tokens.weight"]
        write_safetensors(os.path.join(d, "model.safetensors"), state)
        config = {"architectures": ["WhisperForConditionalGeneration"], "vocab_size": p.n_vocab,
                  "num_mel_bins": p.n_mels, "d_model": p.n_embd, "encoder_attention_heads": p.n_head,
                  "decoder_attention_heads": p.n_head, "encoder_ffn_dim": p.n_ff, "decoder_ffn_dim": p.n_ff,
                  "encoder_layers": p.n_enc_layer, "decoder_layers": p.n_dec_layer,
                  "max_source_positions": p.n_audio_ctx, "max_target_positions": p.n_text_ctx,
                  "activation_function": "gelu", "scale_embedding": False, "tie_word_embeddings": True}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        byte_tokens = whisper_gguf.byte_level_tokens()
        specials = whisper_gguf.special_tokens(99)
        tokenizer = {"model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(byte_tokens)}, "merges": []},
                     "normalizer": None,
                     "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                       "use_regex": True},
                     "decoder": {"type": "ByteLevel"},
                     "added_tokens": [{"id": 256 + i, "content": t, "special": True} for i, t in enumerate(specials)]}
        with open(os.path.join(d, "tokenizer.json"), "w") as f:
            json.dump(tokenizer, f)
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}, f)

    def test_converter_writes_the_deterministic_model(self):
        with tempfile.TemporaryDirectory() as d:
            self._hf_dir(d)
            hf_to_gguf.convert_model(d, os.path.join(d, "conv.gguf"), "f32", "det")
            whisper_gguf.write_det_gguf(os.path.join(d, "det.gguf"), self.P)
            conv, det = GgufFile(os.path.join(d, "conv.gguf")), GgufFile(os.path.join(d, "det.gguf"))
            for key, value in det.metadata.items():
                if key.startswith("whisper.") or key in ("general.architecture", "tokenizer.ggml.tokens",
                                                         "tokenizer.ggml.token_type", "tokenizer.ggml.eos_token_id"):
                    self.assertEqual(conv.metadata.get(key), value, key)
            self.assertEqual(list(conv.tensors), list(det.tensors))
            for name in det.tensors:
                np.testing.assert_array_equal(conv.tensor(name), det.tensor(name), err_msg=name)

    def test_q8_0_keeps_convolutions_and_positions_float(self):
        with tempfile.TemporaryDirectory() as d:
            self._hf_dir(d)
            hf_to_gguf.convert_model(d, os.path.join(d, "q8.gguf"), "q8_0", "det")
            types = {n: t.type_name for n, t in GgufFile(os.path.join(d, "q8.gguf")).tensors.items()}
            self.assertEqual(types["enc.conv1d.0.weight"], "f16")
            self.assertEqual(types["enc.conv1d.1.weight"], "f16")
            self.assertEqual(types["dec.position_embd.weight"], "f32")
            self.assertEqual(types["enc.blk.0.attn_q.weight"], "q8_0")
            self.assertEqual(types["token_embd.weight"], "q8_0")

    def test_refuses_untied_output_and_mismatched_stacks(self):
        base = {"vocab_size": 10, "num_mel_bins": 80, "d_model": 64, "encoder_attention_heads": 2,
                "decoder_attention_heads": 2, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "encoder_layers": 1,
                "decoder_layers": 1, "max_source_positions": 1500, "max_target_positions": 448}
        with self.assertRaises(ValueError):
            whisper_gguf.params_from_config({**base, "tie_word_embeddings": False})
        with self.assertRaises(ValueError):
            whisper_gguf.params_from_config({**base, "decoder_ffn_dim": 256})
        with self.assertRaises(ValueError):
            whisper_gguf.map_state({"model.encoder.layers.0.encoder_attn.q_proj.weight": np.zeros(1)},
                                   whisper_gguf.params_from_config(base))

    def test_det_uniform_is_exact_and_spread(self):
        u = whisper_gguf.det_uniform("x", 100000)
        self.assertTrue(np.all(u >= -1) and np.all(u < 1))
        self.assertTrue(np.array_equal(u, (np.round(u * 2 ** 23) / 2 ** 23).astype(np.float32)))
        self.assertLess(abs(float(u.mean())), 0.01)


if __name__ == "__main__":
    unittest.main()

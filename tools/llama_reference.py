"""Float64 numpy forward pass of a llama / qwen2 GGUF file, with ggml's semantics.

Reads only the GGUF (weights dequantized by quant_reference.py, hyper-parameters
from metadata, llama3 RoPE scaling from the rope_freqs.weight tensor or from
the older rope.scaling.* keys) and applies RoPE the way a GGUF engine must: adjacent pairs
(2i, 2i+1) for `llama` (whose Q/K rows hf_to_gguf.py permuted), pairs
(i, i + head_dim/2) for `qwen2`. make_parity_fixtures.py compares its logits
with HF transformers' to prove that the converted file plus these semantics
reproduce the HF model, i.e. that the contract documented in tools/README.md
is the right one for the C++ engine.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import GgufFile  # noqa: E402


def rope_frequencies(md: dict, arch: str, head_dim: int) -> np.ndarray:
    """Per-pair angular frequency: theta^(-2i/d), with linear or llama3 scaling applied."""
    theta = float(md[f"{arch}.rope.freq_base"])
    freqs = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    kind = md.get(f"{arch}.rope.scaling.type")
    if kind is None:
        return freqs
    factor = float(md[f"{arch}.rope.scaling.factor"])
    if kind == "linear":
        return freqs / factor
    if kind != "llama3":
        raise ValueError(f"rope scaling {kind}")
    low = float(md[f"{arch}.rope.scaling.low_freq_factor"])
    high = float(md[f"{arch}.rope.scaling.high_freq_factor"])
    original = float(md[f"{arch}.rope.scaling.original_context_length"])
    out = np.empty_like(freqs)
    for i, f in enumerate(freqs):
        wavelen = 2 * math.pi / f
        if wavelen < original / high:          # high frequency: unchanged
            out[i] = f
        elif wavelen > original / low:         # low frequency: divided by factor
            out[i] = f / factor
        else:                                  # in between: interpolate
            smooth = (original / wavelen - low) / (high - low)
            out[i] = (1 - smooth) * f / factor + smooth * f
    return out


def apply_rope(x: np.ndarray, positions: np.ndarray, freqs: np.ndarray, neox: bool) -> np.ndarray:
    """x: [n_tokens, n_heads, head_dim]."""
    angles = positions[:, None].astype(np.float64) * freqs[None, :]   # [n, d/2]
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    half = x.shape[-1] // 2
    if neox:
        x0, x1 = x[..., :half], x[..., half:]
    else:
        x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    out = np.empty_like(x)
    if neox:
        out[..., :half], out[..., half:] = r0, r1
    else:
        out[..., 0::2], out[..., 1::2] = r0, r1
    return out


class LlamaReference:
    def __init__(self, path: str):
        self.file = GgufFile(path)
        md = self.file.metadata
        a = self.arch = md["general.architecture"]
        if a not in ("llama", "qwen2"):
            raise ValueError(f"architecture {a}")
        self.n_layer = int(md[f"{a}.block_count"])
        self.n_embd = int(md[f"{a}.embedding_length"])
        self.n_head = int(md[f"{a}.attention.head_count"])
        self.n_head_kv = int(md[f"{a}.attention.head_count_kv"])
        self.head_dim = int(md.get(f"{a}.attention.key_length", self.n_embd // self.n_head))
        self.eps = float(md[f"{a}.attention.layer_norm_rms_epsilon"])
        self.neox = a == "qwen2"
        self.freqs = rope_frequencies(md, a, self.head_dim)
        self.w = {name: self.file.tensor(name).astype(np.float64) for name in self.file.tensors}
        if "rope_freqs.weight" in self.w:  # llama3 scaling as llama.cpp's converter stores it
            if md.get(f"{a}.rope.scaling.type") == "llama3":
                raise ValueError("both rope.scaling.type llama3 and rope_freqs.weight rescale RoPE")
            self.freqs = self.freqs / self.w["rope_freqs.weight"]
        self.output = self.w.get("output.weight", self.w["token_embd.weight"])

    def _norm(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def logits(self, ids: list[int]) -> np.ndarray:
        """[len(ids), n_vocab] logits for one sequence starting at position 0."""
        w = self.w
        n = len(ids)
        pos = np.arange(n)
        x = w["token_embd.weight"][np.asarray(ids)]
        group = self.n_head // self.n_head_kv
        causal = np.triu(np.full((n, n), -np.inf), k=1)
        for layer in range(self.n_layer):
            p = f"blk.{layer}."
            h = self._norm(x, w[p + "attn_norm.weight"])
            q = h @ w[p + "attn_q.weight"].T
            k = h @ w[p + "attn_k.weight"].T
            v = h @ w[p + "attn_v.weight"].T
            if p + "attn_q.bias" in w:
                q, k, v = q + w[p + "attn_q.bias"], k + w[p + "attn_k.bias"], v + w[p + "attn_v.bias"]
            q = apply_rope(q.reshape(n, self.n_head, self.head_dim), pos, self.freqs, self.neox)
            k = apply_rope(k.reshape(n, self.n_head_kv, self.head_dim), pos, self.freqs, self.neox)
            v = v.reshape(n, self.n_head_kv, self.head_dim)
            attn = np.empty((n, self.n_head, self.head_dim))
            for head in range(self.n_head):
                kv = head // group
                s = q[:, head, :] @ k[:, kv, :].T / math.sqrt(self.head_dim) + causal
                s = np.exp(s - s.max(axis=1, keepdims=True))
                attn[:, head, :] = (s / s.sum(axis=1, keepdims=True)) @ v[:, kv, :]
            x = x + attn.reshape(n, -1) @ w[p + "attn_output.weight"].T
            h = self._norm(x, w[p + "ffn_norm.weight"])
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ w[p + "ffn_down.weight"].T
        return self._norm(x, w["output_norm.weight"]) @ self.output.T

"""Float64 numpy forward pass of a llama / qwen2 / qwen3 / qwen3moe / gemma2 / gemma3 / phi3 GGUF file, with ggml's
semantics.

Reads only the GGUF (weights dequantized by quant_reference.py, hyper-parameters
from metadata, llama3 RoPE scaling from the rope_freqs.weight tensor or from
the older rope.scaling.* keys) and applies RoPE the way a GGUF engine must: adjacent pairs
(2i, 2i+1) for `llama` (whose Q/K rows hf_to_gguf.py permuted), pairs
(i, i + head_dim/2) for the others. Family differences, as llama.cpp runs them:
qwen3 and gemma3 RMS-normalize each Q and K head (attn_q_norm / attn_k_norm)
before RoPE; gemma3 scales the embedding by sqrt(n_embd), norms the attention
and FFN outputs again (post_attention_norm, post_ffw_norm) before the residual
add, uses GELU (tanh approximation) in its gated FFN, and lets layers whose
index i has (i + 1) % 6 != 0 attend only to the last attention.sliding_window
positions (themselves included) with RoPE base 10000; phi3 splits its fused
attn_qkv (Q, K, V rows) and ffn_up (gate rows, then up rows). gemma2 is
gemma3 without Q/K norms, with even layers windowed (all at rope.freq_base),
attention scores soft-capped (s -> c tanh(s / c), attn_logit_softcapping)
after the scale and the final logits likewise (final_logit_softcapping);
gemma2 with 46 layers and gemma3 with 62 (the 27B models) scale scores by
1/sqrt(n_embd / n_head) instead of 1/sqrt(head_dim), as llama.cpp does.
qwen3moe replaces the FFN by a router (ffn_gate_inp) whose softmax picks the
expert_used_count most probable experts of ffn_{gate,up,down}_exps (3-D:
[expert, rows, cols]), weighted by their probabilities renormalized to 1.
make_parity_fixtures.py compares its logits
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
    theta = float(md.get(f"{arch}.rope.freq_base", 10000.0))
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


NEOX_ARCHS = ("qwen2", "qwen3", "qwen3moe", "gemma2", "gemma3", "phi3")
GEMMA_ARCHS = ("gemma2", "gemma3")
# The layer count of each family's 27B, whose query_pre_attn_scalar is n_embd / n_head (llama.cpp's rule).
EMBD_PER_HEAD_SCALE_LAYERS = {"gemma2": 46, "gemma3": 62}
GEMMA3_GLOBAL_PERIOD = 6
GEMMA3_LOCAL_ROPE_BASE = 10000.0


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


class LlamaReference:
    def __init__(self, path: str, sliding_window_override: int | None = None):
        self.file = GgufFile(path)
        md = self.file.metadata
        a = self.arch = md["general.architecture"]
        if a not in ("llama",) + NEOX_ARCHS:
            raise ValueError(f"architecture {a}")
        self.n_layer = int(md[f"{a}.block_count"])
        self.n_embd = int(md[f"{a}.embedding_length"])
        self.n_head = int(md[f"{a}.attention.head_count"])
        self.n_head_kv = int(md[f"{a}.attention.head_count_kv"])
        self.head_dim = int(md.get(f"{a}.attention.key_length", self.n_embd // self.n_head))
        self.n_ff = int(md[f"{a}.feed_forward_length"])
        self.eps = float(md[f"{a}.attention.layer_norm_rms_epsilon"])
        self.neox = a in NEOX_ARCHS
        self.freqs = rope_frequencies(md, a, self.head_dim)
        # Diagnostics may try another window to see which one HF used.
        window = int(md.get(f"{a}.attention.sliding_window", 0))
        self.sliding_window = window if sliding_window_override is None else sliding_window_override
        self.local_freqs = None
        self.attn_softcap = self.final_softcap = None
        if a == "gemma2":
            self.attn_softcap = float(md.get(f"{a}.attn_logit_softcapping", 50.0))
            self.final_softcap = float(md.get(f"{a}.final_logit_softcapping", 30.0))
        scaled_dim = self.head_dim
        if self.n_layer == EMBD_PER_HEAD_SCALE_LAYERS.get(a):
            scaled_dim = self.n_embd // self.n_head
        self.scale = 1.0 / math.sqrt(scaled_dim)
        self.n_expert_used = int(md.get(f"{a}.expert_used_count", 0))
        # MoE diagnostics of the last logits() call: per token and layer, the router-logit gap between the last
        # chosen expert and the first unchosen one.
        self.router_gaps: list[float] = []
        if a == "gemma3":
            base = GEMMA3_LOCAL_ROPE_BASE
            self.local_freqs = base ** (-np.arange(0, self.head_dim, 2, dtype=np.float64) / self.head_dim)
        self.w = {name: self.file.tensor(name).astype(np.float64) for name in self.file.tensors}
        if "rope_freqs.weight" in self.w:  # llama3 scaling as llama.cpp's converter stores it
            if md.get(f"{a}.rope.scaling.type") == "llama3":
                raise ValueError("both rope.scaling.type llama3 and rope_freqs.weight rescale RoPE")
            self.freqs = self.freqs / self.w["rope_freqs.weight"]
        self.output = self.w.get("output.weight", self.w["token_embd.weight"])

    def _norm(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def _is_local(self, layer: int) -> bool:
        """Whether the layer attends through the sliding window (gemma3: all but every 6th; gemma2: even; phi3: all)."""
        if self.sliding_window <= 0:
            return False
        if self.arch == "gemma3":
            return (layer + 1) % GEMMA3_GLOBAL_PERIOD != 0
        if self.arch == "gemma2":
            return layer % 2 == 0
        return True

    def _qkv(self, h: np.ndarray, p: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = self.w
        if p + "attn_qkv.weight" in w:
            qkv = h @ w[p + "attn_qkv.weight"].T
            q_dim, kv_dim = self.n_head * self.head_dim, self.n_head_kv * self.head_dim
            return qkv[:, :q_dim], qkv[:, q_dim:q_dim + kv_dim], qkv[:, q_dim + kv_dim:]
        q = h @ w[p + "attn_q.weight"].T
        k = h @ w[p + "attn_k.weight"].T
        v = h @ w[p + "attn_v.weight"].T
        if p + "attn_q.bias" in w:
            q, k, v = q + w[p + "attn_q.bias"], k + w[p + "attn_k.bias"], v + w[p + "attn_v.bias"]
        return q, k, v

    def _moe(self, h: np.ndarray, p: str) -> np.ndarray:
        """HF's Qwen3MoeSparseMoeBlock with norm_topk_prob: softmax, top k, renormalize, weighted SwiGLU experts."""
        w = self.w
        logits = h @ w[p + "ffn_gate_inp.weight"].T                      # [n, n_expert]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        out = np.zeros_like(h)
        for t in range(h.shape[0]):
            order = np.argsort(-probs[t], kind="stable")
            chosen = order[:self.n_expert_used]
            if len(order) > self.n_expert_used:
                self.router_gaps.append(float(logits[t, order[self.n_expert_used - 1]] -
                                              logits[t, order[self.n_expert_used]]))
            weights = probs[t, chosen] / probs[t, chosen].sum()
            for e, weight in zip(chosen, weights):
                gate = w[p + "ffn_gate_exps.weight"][e] @ h[t]
                up = w[p + "ffn_up_exps.weight"][e] @ h[t]
                out[t] += weight * (w[p + "ffn_down_exps.weight"][e] @ (gate / (1 + np.exp(-gate)) * up))
        return out

    def _ffn(self, h: np.ndarray, p: str) -> np.ndarray:
        w = self.w
        if p + "ffn_gate_inp.weight" in w:
            return self._moe(h, p)
        if p + "ffn_gate.weight" in w:
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
        else:  # phi3: gate rows first, then up rows
            fused = h @ w[p + "ffn_up.weight"].T
            gate, up = fused[:, :self.n_ff], fused[:, self.n_ff:]
        act = gelu_tanh(gate) if self.arch in GEMMA_ARCHS else gate / (1 + np.exp(-gate))
        return (act * up) @ w[p + "ffn_down.weight"].T

    def logits(self, ids: list[int]) -> np.ndarray:
        """[len(ids), n_vocab] logits for one sequence starting at position 0."""
        w = self.w
        n = len(ids)
        pos = np.arange(n)
        self.router_gaps = []
        x = w["token_embd.weight"][np.asarray(ids)]
        if self.arch in GEMMA_ARCHS:
            x = x * math.sqrt(self.n_embd)
        group = self.n_head // self.n_head_kv
        causal = np.triu(np.full((n, n), -np.inf), k=1)
        # Key j is visible to query i when i - j < window.
        windowed = causal + np.tril(np.full((n, n), -np.inf), k=-self.sliding_window) \
            if self.sliding_window > 0 else causal
        for layer in range(self.n_layer):
            p = f"blk.{layer}."
            local = self._is_local(layer)
            freqs = self.local_freqs if local and self.local_freqs is not None else self.freqs
            h = self._norm(x, w[p + "attn_norm.weight"])
            q, k, v = self._qkv(h, p)
            q = q.reshape(n, self.n_head, self.head_dim)
            k = k.reshape(n, self.n_head_kv, self.head_dim)
            if p + "attn_q_norm.weight" in w:
                q = self._norm(q, w[p + "attn_q_norm.weight"])
                k = self._norm(k, w[p + "attn_k_norm.weight"])
            q = apply_rope(q, pos, freqs, self.neox)
            k = apply_rope(k, pos, freqs, self.neox)
            v = v.reshape(n, self.n_head_kv, self.head_dim)
            mask = windowed if local else causal
            attn = np.empty((n, self.n_head, self.head_dim))
            for head in range(self.n_head):
                kv = head // group
                s = q[:, head, :] @ k[:, kv, :].T * self.scale
                if self.attn_softcap is not None:
                    s = self.attn_softcap * np.tanh(s / self.attn_softcap)
                s = s + mask
                s = np.exp(s - s.max(axis=1, keepdims=True))
                attn[:, head, :] = (s / s.sum(axis=1, keepdims=True)) @ v[:, kv, :]
            out = attn.reshape(n, -1) @ w[p + "attn_output.weight"].T
            if p + "post_attention_norm.weight" in w:
                out = self._norm(out, w[p + "post_attention_norm.weight"])
            x = x + out
            out = self._ffn(self._norm(x, w[p + "ffn_norm.weight"]), p)
            if p + "post_ffw_norm.weight" in w:
                out = self._norm(out, w[p + "post_ffw_norm.weight"])
            x = x + out
        out = self._norm(x, w["output_norm.weight"]) @ self.output.T
        if self.final_softcap is not None:
            out = self.final_softcap * np.tanh(out / self.final_softcap)
        return out

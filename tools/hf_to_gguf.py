#!/usr/bin/env python3
"""Converts a Hugging Face decoder directory (Llama, Mistral, Qwen2, Qwen3, Qwen3 MoE, Gemma 2, Gemma 3 text, Phi-3/4)
or a WhisperForConditionalGeneration checkpoint (whisper_gguf.py: the `whisper` layout) to GGUF.

Input: config.json, model.safetensors (or sharded *.safetensors with an index,
or pytorch_model.bin, which needs torch), tokenizer.json, optionally
tokenizer_config.json and chat_template.jinja. Output: one GGUF v3 file with
ggml tensor names and llama.cpp's metadata keys, written by gguf_writer.py.
Needs only numpy unless the weights are a pytorch_model.bin.

Tensor layout decisions (the contract hearth's loader relies on):
- `llama`: Q and K weight rows (and biases, if any) are permuted per head the
  way llama.cpp's converter does (LlamaModel.permute): HF keeps rotary pairs
  at (i, i + head_dim/2); after the permute they sit at (2i, 2i+1), so the
  engine applies RoPE to adjacent pairs ("normal" mode).
- `qwen2`, `qwen3`, `gemma3`, `phi3`: no permute; the engine applies RoPE to
  (i, i + head_dim/2) ("neox"). MistralForCausalLM converts to `llama` (as
  llama.cpp does), with attention.key_length when head_dim is explicit (Nemo).
- `qwen3`: per-head Q/K RMSNorm gains attn_q_norm.weight / attn_k_norm.weight
  [head_dim]; attention.key_length/value_length always written.
- `gemma3`: every "*norm.weight" is stored as 1 + w (Gemma3RMSNorm computes
  x_normed * (1 + w); llama.cpp's converter adds the 1 at conversion, so the
  engine runs a plain RMSNorm). HF's post_attention_layernorm becomes
  post_attention_norm, pre_feedforward_layernorm ffn_norm,
  post_feedforward_layernorm post_ffw_norm. Keys as llama.cpp's Gemma3Model
  writes them: key_length/value_length, attention.sliding_window,
  rope.freq_base (global layers; the local base 10000 is fixed by the
  format), no rope.dimension_count.
- `qwen3moe`: qwen3's attention; the router mlp.gate.weight -> ffn_gate_inp.weight
  (always F32, as llama.cpp keeps it), the experts stacked into 3-D tensors
  ffn_gate_exps / ffn_up_exps [n_expert, moe_intermediate_size, hidden] and
  ffn_down_exps [n_expert, hidden, moe_intermediate_size] (numpy order), from
  either checkpoint form: per-expert mlp.experts.E.{gate,up,down}_proj.weight
  (transformers < 5) or fused mlp.experts.gate_up_proj [E, 2 I, H] (gate rows
  first) and mlp.experts.down_proj [E, H, I]. Keys expert_count,
  expert_used_count, expert_feed_forward_length. Refused: norm_topk_prob
  false, dense layers (mlp_only_layers, decoder_sparse_step != 1).
- `gemma2`: gemma3's norms (1 + w) and names without the Q/K norms; keys
  attn_logit_softcapping, final_logit_softcapping, attention.sliding_window
  (even layers windowed, as HF's layer_types must say). query_pre_attn_scalar
  must be what llama.cpp assumes: head_dim, or n_embd / n_head for 46 layers.
- `phi3`: fused qkv_proj -> attn_qkv.weight (rows: Q, K, V), fused
  gate_up_proj -> ffn_up.weight (rows: gate, then up), as llama.cpp keeps them;
  attention.sliding_window 0 when the config has none (Phi-4).
- 1-D tensors (norms, biases) are always F32; matrices use --type, except a
  matrix whose rows are not a multiple of 32 values, which falls back to F16
  under --type q8_0 (with a message).
- output.weight is omitted when tie_word_embeddings is true.
- `bert` (BertModel, as llama.cpp's BertModel converter writes it): embeddings
  token_embd / position_embd / token_types (both F32 in every type, as
  llama-quantize keeps them) and their LayerNorm token_embd_norm; per block
  attn_q/k/v/output with biases, attn_output_norm, ffn_up/ffn_down with
  biases, layer_output_norm (LayerNorm weight and bias each); the pooler is
  dropped. Keys: attention.layer_norm_epsilon, attention.causal = false,
  pooling_type (from the sentence-transformers Pooling module; required),
  tokenizer.ggml.token_type_count. The WordPiece vocabulary is written in
  llama.cpp's phantom-space form ("##x" -> "x", other non-control "x" ->
  "\u2581x"), tokenizer.ggml.model "bert", [CLS]/[SEP] as cls_token_id /
  seperator_token_id; the tokenizer.json must be BERT's uncased pipeline
  (BertNormalizer lowercasing and stripping accents, BertPreTokenizer,
  WordPiece "##", 100 chars per word), which is what hearth implements.
  Cross-encoders: BertForSequenceClassification (pooler.dense -> cls,
  classifier -> cls.output) and XLMRobertaForSequenceClassification
  (classifier.dense -> cls, classifier.out_proj -> cls.output; position_embd
  without its first pad_token_id + 1 rows, as llama.cpp's RobertaModel does)
  get pooling_type 4 (rank).
- llama3 RoPE scaling is the tensor rope_freqs.weight (head_dim/2 F32
  divisors of the rotary frequencies), as llama.cpp's converter writes it, not
  rope.scaling.* keys; linear scaling is the standard rope.scaling.type/factor
  keys. general.file_type is llama.cpp's LLAMA_FTYPE number for --type.

Usage:
  hf_to_gguf.py MODEL_DIR --out model.gguf [--type f32|f16|q8_0] [--name NAME]
  hf_to_gguf.py TOKENIZER_DIR --out vocab.gguf --vocab-only
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import re
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quant_reference  # noqa: E402
import whisper_gguf  # noqa: E402
from gguf_writer import GgmlType, GgufValueType, GgufWriter  # noqa: E402

# Pre-tokenizer split patterns, as the HF tokenizer.json files of these model
# families carry them, and the tokenizer.ggml.pre name llama.cpp gives each.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# DeepSeek V3: digit groups, then runs of CJK ideographs and kana, then this pattern
# (the CR and LF in its classes are the characters themselves, as tokenizer.json has them).
DEEPSEEK_V3_PATTERN = ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                       "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*"
                       "|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")
DEEPSEEK_V3_CJK_PATTERN = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
# Mistral's "tekken" (Mistral Nemo, Pixtral): case-aware words, single digits.
TEKKEN_PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
                  r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
                  r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# The Split patterns of a byte-level tokenizer.json, in order -> tokenizer.ggml.pre.
KNOWN_PRE = {
    (LLAMA3_PATTERN,): "llama-bpe",
    (QWEN2_PATTERN,): "qwen2",
    (r"\p{N}{1,3}", DEEPSEEK_V3_CJK_PATTERN, DEEPSEEK_V3_PATTERN): "deepseek-v3",
    (TEKKEN_PATTERN,): "tekken",
}
# The normalizer hearth applies for a tokenizer.ggml.pre (GGUF has no key for
# it, so the pre-tokenizer name implies it, as in the families that use it);
# a tokenizer.json whose normalizer is anything else is refused.
PRE_NORMALIZER = {"qwen2": "NFC"}

# llama.cpp token types
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 4, 5, 6

SPM_SPACE = "\u2581"
_BYTE_TOKEN = re.compile(r"^<0x[0-9A-F]{2}>$")

ARCHS = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2",
         "Qwen3ForCausalLM": "qwen3", "Qwen3MoeForCausalLM": "qwen3moe", "Gemma2ForCausalLM": "gemma2",
         "Gemma3ForCausalLM": "gemma3", "Phi3ForCausalLM": "phi3", "BertModel": "bert",
         "BertForSequenceClassification": "bert", "XLMRobertaForSequenceClassification": "bert"}
# The activation each family's FFN must use (HF's hidden_act / hidden_activation).
ACTIVATIONS = {"llama": "silu", "qwen2": "silu", "qwen3": "silu", "qwen3moe": "silu", "phi3": "silu",
               "gemma2": "gelu_pytorch_tanh", "gemma3": "gelu_pytorch_tanh", "bert": "gelu"}
# The layer count of the one model per gemma family whose query_pre_attn_scalar is n_embd / n_head
# (the 27B models; GGUF has no key for it and llama.cpp decides by the layer count).
EMBD_PER_HEAD_SCALE_LAYERS = {"gemma2": 46, "gemma3": 62}
# gemma3's sliding-window layers rotate with this base; GGUF has no key for it (llama.cpp fixes it too).
GEMMA3_LOCAL_ROPE_BASE = 10000.0
FILE_TYPES = {"f32": 0, "f16": 1, "q8_0": 7}
MATRIX_TYPES = {"f32": GgmlType.F32, "f16": GgmlType.F16, "q8_0": GgmlType.Q8_0}


class ConversionError(RuntimeError):
    pass


# ------------------------------------------------------------------ weights

_ST_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "bf16"}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Reads every tensor of one .safetensors file as float32 numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ConversionError(f"{path}: too short")
    header_len = struct.unpack("<Q", data[:8])[0]
    if 8 + header_len > len(data):
        raise ConversionError(f"{path}: header length past end")
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ConversionError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data) - base:
            raise ConversionError(f"{path}: {name}: bad data offsets")
        raw = data[base + begin:base + end]
        shape = tuple(info["shape"])
        if dtype == "bf16":
            arr = quant_reference.bf16_to_f32(np.frombuffer(raw, dtype="<u2"))
        else:
            arr = np.frombuffer(raw, dtype=dtype).astype(np.float32)
        if arr.size != int(np.prod(shape)):
            raise ConversionError(f"{path}: {name}: {arr.size} values for shape {shape}")
        out[name] = arr.reshape(shape)
    return out


def load_state_dict(model_dir: str) -> dict[str, np.ndarray]:
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        paths = [os.path.join(model_dir, p) for p in files]
    else:
        paths = sorted(glob.glob(os.path.join(model_dir, "*.safetensors")))
    if paths:
        state: dict[str, np.ndarray] = {}
        for p in paths:
            for k, v in read_safetensors(p).items():
                if k in state:
                    raise ConversionError(f"tensor {k} appears in two shards")
                state[k] = v
        return state
    bin_path = os.path.join(model_dir, "pytorch_model.bin")
    if os.path.exists(bin_path):
        import torch  # only this input format needs torch
        sd = torch.load(bin_path, map_location="cpu", weights_only=True)
        return {k: v.to(torch.float32).numpy() for k, v in sd.items()}
    raise ConversionError(f"{model_dir}: no *.safetensors or pytorch_model.bin")


def permute_rotary_rows(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's LlamaModel.permute: per head, rows (i, i + d/2) -> (2i, 2i+1).

    Works on weights [n_head * head_dim, n_in] and biases [n_head * head_dim].
    """
    rows = weights.shape[0]
    if rows % (2 * n_head):
        raise ConversionError(f"{rows} rows do not split into {n_head} heads of even size")
    return (weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


# ------------------------------------------------------------------ config

@dataclass
class ModelParams:
    arch: str
    n_vocab: int
    n_ctx_train: int
    n_embd: int
    n_layer: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    rms_eps: float
    rope_theta: float
    rope_scaling: dict[str, Any] = field(default_factory=dict)
    tied: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    sliding_window: int = 0            # gemma3, phi3: attention.sliding_window (0: none)
    rope_local_theta: float | None = None  # gemma3: the base of its sliding-window layers
    original_context: int | None = None    # phi3: rope.scaling.original_context_length
    n_expert: int = 0                       # qwen3moe
    n_expert_used: int = 0
    n_ff_exp: int = 0
    attn_softcap: float | None = None       # gemma2
    final_softcap: float | None = None
    n_token_types: int = 0                  # bert: type_vocab_size
    classifier: str | None = None           # bert: "bert" (pooler + classifier) or "roberta" (classifier.dense/out_proj)
    n_cls_out: int = 0                      # bert classifiers: num_labels
    position_offset: int = 0                # roberta: positions start at pad_token_id + 1


def _first_id(value: Any) -> int | None:
    if isinstance(value, list):
        return int(value[0]) if value else None
    return None if value is None else int(value)


def _rope_settings(config: dict[str, Any], arch: str) -> tuple[float, dict[str, Any], float | None]:
    """(global base, scaling of the global layers, local base or None) from either config form.

    transformers < 5 writes rope_theta (+ rope_scaling, + gemma3's
    rope_local_base_freq); >= 5 writes rope_parameters, for gemma3 one dict per
    layer type ("full_attention", "sliding_attention").
    """
    rope_params = dict(config.get("rope_parameters") or {})
    local_theta = None
    if "full_attention" in rope_params or "sliding_attention" in rope_params:
        local = rope_params.get("sliding_attention") or {}
        rope_params = dict(rope_params.get("full_attention") or {})
        local_theta = local.get("rope_theta")
        if local.get("rope_type", "default") != "default":
            raise ConversionError(f"sliding-window layers' rope type {local.get('rope_type')!r} is not supported")
    if arch == "gemma3":
        local_theta = float(local_theta or config.get("rope_local_base_freq") or GEMMA3_LOCAL_ROPE_BASE)
        if local_theta != GEMMA3_LOCAL_ROPE_BASE:
            raise ConversionError(f"gemma3 local rope base {local_theta} differs from the format's fixed "
                                  f"{GEMMA3_LOCAL_ROPE_BASE}")
    rope_theta = config.get("rope_theta") or rope_params.get("rope_theta") or 10000.0
    scaling = dict(config.get("rope_scaling") or rope_params or {})
    scaling.pop("rope_theta", None)
    return float(rope_theta), scaling, local_theta


def read_bert_params(config: dict[str, Any]) -> ModelParams:
    act = config.get("hidden_act", "gelu")
    if act != "gelu":
        raise ConversionError(f"bert activation {act} is not supported (gelu, the erf form, only)")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConversionError(f"bert position_embedding_type {config.get('position_embedding_type')} is not supported")
    if config.get("is_decoder"):
        raise ConversionError("a BERT decoder (is_decoder) is not supported")
    n_head = int(config["num_attention_heads"])
    n_embd = int(config["hidden_size"])
    hf_arch = config["architectures"][0]
    classifier = {"BertForSequenceClassification": "bert", "XLMRobertaForSequenceClassification": "roberta"}.get(hf_arch)
    n_cls_out = 0
    if classifier:
        n_cls_out = len(config.get("id2label") or {}) or int(config.get("num_labels", 2))
    # RoBERTa numbers positions from pad_token_id + 1; llama.cpp's converter drops the rows before.
    offset = int(config.get("pad_token_id", 1)) + 1 if hf_arch.startswith("XLMRoberta") else 0
    return ModelParams(arch="bert", n_vocab=int(config["vocab_size"]),
                       n_ctx_train=int(config.get("max_position_embeddings", 512)) - offset, n_embd=n_embd,
                       classifier=classifier, n_cls_out=n_cls_out, position_offset=offset,
                       n_layer=int(config["num_hidden_layers"]), n_ff=int(config["intermediate_size"]),
                       n_head=n_head, n_head_kv=n_head, head_dim=n_embd // n_head,
                       rms_eps=float(config.get("layer_norm_eps", 1e-12)), rope_theta=10000.0,
                       n_token_types=int(config.get("type_vocab_size", 2)))


def read_model_params(config: dict[str, Any]) -> ModelParams:
    archs = config.get("architectures") or []
    if len(archs) != 1 or archs[0] not in ARCHS:
        raise ConversionError(f"unsupported architectures {archs}; supported: {sorted(ARCHS)}")
    arch = ARCHS[archs[0]]
    if arch == "bert":
        return read_bert_params(config)
    if config.get("mlp_bias") or config.get("attention_bias") and arch != "qwen2":
        raise ConversionError("mlp_bias / attention_bias is not supported for this family")
    act = config.get("hidden_activation") or config.get("hidden_act") or ACTIVATIONS[arch]
    if act != ACTIVATIONS[arch]:
        raise ConversionError(f"activation {act} is not supported for {arch} (expected {ACTIVATIONS[arch]})")
    n_head = int(config["num_attention_heads"])
    n_embd = int(config["hidden_size"])
    head_dim = int(config.get("head_dim") or n_embd // n_head)
    if float(config.get("partial_rotary_factor", 1.0)) != 1.0:
        raise ConversionError("partial rotary embeddings are not supported")
    sliding_window = 0
    n_layer = int(config["num_hidden_layers"])
    if arch in ("gemma2", "gemma3"):
        query_scalar = config.get("query_pre_attn_scalar", head_dim)
        want_scalar = n_embd // n_head if n_layer == EMBD_PER_HEAD_SCALE_LAYERS[arch] else head_dim
        if int(query_scalar) != want_scalar:
            raise ConversionError(f"query_pre_attn_scalar {query_scalar} is not {want_scalar}, the value the GGUF "
                                  f"format implies for {n_layer} layers")
    moe = {}
    if arch == "qwen3moe":
        if not config.get("norm_topk_prob", False):
            raise ConversionError("qwen3moe without norm_topk_prob is not supported (llama.cpp always renormalizes)")
        if config.get("mlp_only_layers") or int(config.get("decoder_sparse_step", 1)) != 1:
            raise ConversionError("qwen3moe with dense layers (mlp_only_layers, decoder_sparse_step) is not supported")
        # transformers 5 names the expert count num_local_experts; older configs num_experts.
        n_expert = config.get("num_experts", config.get("num_local_experts"))
        if n_expert is None or "num_experts_per_tok" not in config or "moe_intermediate_size" not in config:
            raise ConversionError("qwen3moe config lacks num_experts, num_experts_per_tok or moe_intermediate_size")
        moe = {"n_expert": int(n_expert), "n_expert_used": int(config["num_experts_per_tok"]),
               "n_ff_exp": int(config["moe_intermediate_size"])}
        if not 1 <= moe["n_expert_used"] <= moe["n_expert"]:
            raise ConversionError(f"num_experts_per_tok {moe['n_expert_used']} outside [1, {moe['n_expert']}]")
    softcaps = {}
    if arch == "gemma2":
        attn_cap, final_cap = config.get("attn_logit_softcapping"), config.get("final_logit_softcapping")
        if attn_cap is None or final_cap is None:
            raise ConversionError("gemma2 without soft-capping is not supported (GGUF readers default to 50 and 30)")
        softcaps = {"attn_softcap": float(attn_cap), "final_softcap": float(final_cap)}
        layer_types = config.get("layer_types")
        want = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n_layer)]
        if layer_types is not None and list(layer_types) != want:
            raise ConversionError(f"gemma2 layer_types {layer_types} are not the fixed pattern (even layers windowed)")
        sliding_window = int(config["sliding_window"])
    elif arch == "gemma3":
        if config.get("final_logit_softcapping") is not None or config.get("attn_logit_softcapping") is not None:
            raise ConversionError("gemma3 with logit soft-capping is not supported")
        layer_types = config.get("layer_types")
        want = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(n_layer)]
        if layer_types is not None and list(layer_types) != want:
            raise ConversionError(f"gemma3 layer_types {layer_types} are not the fixed pattern (every 6th global)")
        sliding_window = int(config["sliding_window"])
    elif arch == "phi3":
        sliding_window = int(config.get("sliding_window") or 0)
    elif config.get("sliding_window") and config.get("use_sliding_window", arch == "llama"):
        raise ConversionError(f"sliding_window {config['sliding_window']} is not supported for {arch}")
    rope_theta, scaling, local_theta = _rope_settings(config, arch)
    rope_type = scaling.get("rope_type", scaling.get("type", "default"))
    if rope_type in (None, "default"):
        scaling = {}
    elif rope_type == "llama3":
        scaling = {
            "type": "llama3",
            "factor": float(scaling["factor"]),
            "low_freq_factor": float(scaling["low_freq_factor"]),
            "high_freq_factor": float(scaling["high_freq_factor"]),
            "original_context_length": int(scaling["original_max_position_embeddings"]),
        }
    elif rope_type == "linear":
        scaling = {"type": "linear", "factor": float(scaling["factor"])}
    else:
        raise ConversionError(f"rope scaling type {rope_type!r} is not supported")
    original_context = None
    if arch == "phi3":
        original_context = int(config.get("original_max_position_embeddings")
                               or config.get("max_position_embeddings", 4096))
    return ModelParams(
        arch=arch,
        n_vocab=int(config["vocab_size"]),
        n_ctx_train=int(config.get("max_position_embeddings", 2048)),
        n_embd=n_embd,
        n_layer=int(config["num_hidden_layers"]),
        n_ff=int(config["intermediate_size"]),
        n_head=n_head,
        n_head_kv=int(config.get("num_key_value_heads") or n_head),
        head_dim=head_dim,
        rms_eps=float(config.get("rms_norm_eps", 1e-6)),
        rope_theta=rope_theta,
        rope_scaling=scaling,
        tied=bool(config.get("tie_word_embeddings", arch in ("gemma2", "gemma3"))),
        bos_token_id=_first_id(config.get("bos_token_id")),
        eos_token_id=_first_id(config.get("eos_token_id")),
        sliding_window=sliding_window,
        rope_local_theta=local_theta,
        original_context=original_context,
        **moe,
        **softcaps,
    )


# ------------------------------------------------------------------ tokenizer

@dataclass
class TokenizerSpec:
    model: str                       # "gpt2" or "llama"
    pre: str | None                  # gpt2 only
    tokens: list[str]
    token_types: list[int]
    scores: list[float] | None       # llama only
    merges: list[str] | None         # gpt2 only
    special_ids: dict[str, int]      # bos, eos, unk, padding, eot
    add_bos: bool
    add_eos: bool
    add_space_prefix: bool | None    # llama only
    chat_template: str | None


def _walk(node: Any):
    """Yields every dict in a tokenizer.json component tree (Sequence nesting)."""
    if isinstance(node, dict):
        yield node
        for key in ("pretokenizers", "normalizers", "decoders", "processors"):
            for child in node.get(key) or []:
                yield from _walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


def _token_content(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("content")
    return value


def _read_json(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _chat_template(model_dir: str, tok_config: dict[str, Any]) -> str | None:
    jinja = os.path.join(model_dir, "chat_template.jinja")
    if os.path.exists(jinja):
        with open(jinja, encoding="utf-8") as f:
            return f.read()
    template = tok_config.get("chat_template")
    if isinstance(template, list):  # named templates: take "default"
        named = {t.get("name"): t.get("template") for t in template}
        template = named.get("default")
    return template


def _merge_pairs(model: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for m in model.get("merges") or []:
        if isinstance(m, str):
            parts = m.split(" ")
            if len(parts) != 2:
                raise ConversionError(f"merge {m!r} is not two space-separated tokens")
            pairs.append((parts[0], parts[1]))
        else:
            if len(m) != 2:
                raise ConversionError(f"merge {m!r} is not a pair")
            pairs.append((m[0], m[1]))
    return pairs


def _template_adds(post: Any, token_id: int | None, at_start: bool) -> bool | None:
    """Whether a TemplateProcessing post-processor puts token_id first/last (None: no template)."""
    for node in _walk(post):
        if node.get("type") == "TemplateProcessing":
            single = node.get("single") or []
            if not single:
                return False
            piece = single[0] if at_start else single[-1]
            if "SpecialToken" not in piece:
                return False
            name = piece["SpecialToken"]["id"]
            ids = (node.get("special_tokens") or {}).get(name, {}).get("ids") or []
            return token_id is not None and ids == [token_id]
    return None


def _normalizer_kind(normalizer: Any) -> str | None:
    """The one normalization a tokenizer.json asks for: None, "NFC", or its JSON when it is anything else."""
    steps = [n for n in _walk(normalizer) if n.get("type") != "Sequence"]
    if not steps:
        return None
    if len(steps) == 1 and steps[0].get("type") == "NFC":
        return "NFC"
    return json.dumps(normalizer)[:200]


def _check_spm_normalizer(normalizer: Any) -> None:
    """SentencePiece-style BPE in hearth escapes spaces as U+2581 and may prepend one; nothing else."""
    for node in _walk(normalizer):
        kind = node.get("type")
        if kind == "Sequence":
            continue
        if kind == "Replace" and node.get("pattern") == {"String": " "} and node.get("content") == SPM_SPACE:
            continue
        if kind == "Prepend" and node.get("prepend") == SPM_SPACE:
            continue
        raise ConversionError(f"SentencePiece-style normalizer step {json.dumps(node)[:200]} is not supported")


def read_tokenizer(model_dir: str, n_vocab: int | None = None,
                   params: ModelParams | None = None, pre_override: str | None = None) -> TokenizerSpec:
    tj = _read_json(os.path.join(model_dir, "tokenizer.json"))
    if not tj:
        raise ConversionError(f"{model_dir}: no tokenizer.json")
    tok_config = _read_json(os.path.join(model_dir, "tokenizer_config.json"))
    model = tj["model"]
    if model.get("type") == "WordPiece":
        return read_wordpiece_tokenizer(tj, n_vocab)
    if model.get("type") != "BPE":
        raise ConversionError(f"tokenizer model {model.get('type')} is not supported (BPE only)")
    vocab: dict[str, int] = model["vocab"]
    added = tj.get("added_tokens") or []
    id_to_token: dict[int, str] = {}
    for text, idx in vocab.items():
        id_to_token[int(idx)] = text
    added_by_id = {}
    for tok in added:
        idx = int(tok["id"])
        if idx in id_to_token and id_to_token[idx] != tok["content"]:
            raise ConversionError(f"added token {tok['content']!r} reuses id {idx}")
        id_to_token[idx] = tok["content"]
        added_by_id[idx] = tok
    size = max(id_to_token) + 1
    if n_vocab is not None:
        if size > n_vocab:
            raise ConversionError(f"tokenizer has {size} ids but the model only {n_vocab}")
        size = n_vocab

    pre_nodes = list(_walk(tj.get("pre_tokenizer")))
    norm_nodes = list(_walk(tj.get("normalizer")))
    dec_nodes = list(_walk(tj.get("decoder")))
    is_byte_level = any(n.get("type") == "ByteLevel" for n in pre_nodes + dec_nodes)
    is_spm = bool(model.get("byte_fallback")) or any(n.get("type") == "Metaspace" for n in pre_nodes) or \
        any(n.get("type") == "Prepend" and n.get("prepend") == SPM_SPACE for n in norm_nodes)
    if is_byte_level == is_spm:
        raise ConversionError("cannot tell byte-level BPE from SentencePiece-style BPE")

    def special_id(key: str) -> int | None:
        content = _token_content(tok_config.get(key))
        if content is None:
            return None
        for idx, text in id_to_token.items():
            if text == content:
                return idx
        raise ConversionError(f"{key} {content!r} is not in the vocabulary")

    special_ids = {}
    for key, name in (("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unk"), ("pad_token", "padding")):
        idx = special_id(key)
        if idx is None and params is not None:
            idx = {"bos": params.bos_token_id, "eos": params.eos_token_id}.get(name)
        if idx is None and name == "unk" and model.get("unk_token") is not None:
            idx = vocab.get(model["unk_token"])
        if idx is not None:
            special_ids[name] = int(idx)
    eot = vocab.get("<|eot_id|>")
    for tok in added:
        if tok["content"] in ("<|eot_id|>", "<|im_end|>"):
            eot = tok["id"]
    if eot is not None:
        special_ids["eot"] = int(eot)

    post = tj.get("post_processor")
    add_bos = tok_config.get("add_bos_token")
    if add_bos is None:
        add_bos = bool(_template_adds(post, special_ids.get("bos"), True))
    add_eos = tok_config.get("add_eos_token")
    if add_eos is None:
        add_eos = bool(_template_adds(post, special_ids.get("eos"), False))

    tokens: list[str] = []
    types: list[int] = []
    unk_id = special_ids.get("unk")
    for idx in range(size):
        text = id_to_token.get(idx)
        if text is None:
            tokens.append(f"[PAD{idx}]")
            types.append(TOKEN_UNUSED)
            continue
        tokens.append(text)
        if idx in added_by_id:
            types.append(TOKEN_CONTROL if added_by_id[idx].get("special") else TOKEN_USER_DEFINED)
            if is_spm and idx == unk_id:
                types[-1] = TOKEN_UNKNOWN
        elif is_spm and idx == unk_id:
            types.append(TOKEN_UNKNOWN)
        elif is_spm and _BYTE_TOKEN.match(text):
            types.append(TOKEN_BYTE)
        else:
            types.append(TOKEN_NORMAL)

    merges = _merge_pairs(model)
    chat_template = _chat_template(model_dir, tok_config)
    if is_byte_level:
        pre = pre_override
        if pre is None:
            patterns = tuple(n["pattern"].get("Regex") for n in pre_nodes
                             if n.get("type") == "Split" and isinstance(n.get("pattern"), dict))
            if patterns in KNOWN_PRE:
                pre = KNOWN_PRE[patterns]
            elif not patterns and any(n.get("type") == "ByteLevel" and n.get("use_regex", True)
                                      for n in pre_nodes):
                pre = "gpt2"
            else:
                raise ConversionError(f"unknown pre-tokenizer split {list(patterns)}; pass --tokenizer-pre")
        normalizer = _normalizer_kind(tj.get("normalizer"))
        if normalizer != PRE_NORMALIZER.get(pre):
            raise ConversionError(f"normalizer {normalizer} does not go with pre-tokenizer {pre!r} "
                                  f"(which normalizes with {PRE_NORMALIZER.get(pre)})")
        return TokenizerSpec("gpt2", pre, tokens, types, None, [f"{a} {b}" for a, b in merges],
                             special_ids, bool(add_bos), bool(add_eos), None, chat_template)

    # SentencePiece-style: a merged token's score is -(1 + index of the first
    # merge producing it), so merging the highest-scoring adjacent pair first
    # (llama.cpp / sentencepiece BPE) follows the merge order; others score 0.
    # User-defined tokens that merges produce (Gemma's runs of U+2581) are
    # ranked too: HF's BPE builds them from their parts like any other token.
    _check_spm_normalizer(tj.get("normalizer"))
    rank: dict[str, int] = {}
    for index, (a, b) in enumerate(merges):
        rank.setdefault(a + b, index)
    scores = [-(1.0 + rank[t]) if t in rank and types[i] in (TOKEN_NORMAL, TOKEN_USER_DEFINED) else 0.0
              for i, t in enumerate(tokens)]
    add_space_prefix = any(n.get("type") == "Prepend" and n.get("prepend") == SPM_SPACE for n in norm_nodes) or \
        any(n.get("type") == "Metaspace" and n.get("prepend_scheme", "always") != "never"
            and n.get("add_prefix_space", True) for n in pre_nodes)
    return TokenizerSpec("llama", None, tokens, types, scores, None, special_ids,
                         bool(add_bos), bool(add_eos), add_space_prefix, chat_template)


def _check_bert_pipeline(tj: dict[str, Any]) -> None:
    """Refuses a WordPiece tokenizer.json whose pipeline differs from the uncased BERT one hearth runs."""
    norm = tj.get("normalizer") or {}
    if norm.get("type") != "BertNormalizer" or not norm.get("lowercase", True) or \
            norm.get("strip_accents") is False or not norm.get("clean_text", True) or \
            not norm.get("handle_chinese_chars", True):
        raise ConversionError(f"WordPiece normalizer {norm} is not BERT's uncased BertNormalizer")
    pre = tj.get("pre_tokenizer") or {}
    if pre.get("type") != "BertPreTokenizer":
        raise ConversionError(f"WordPiece pre-tokenizer {pre.get('type')} is not BertPreTokenizer")
    model = tj["model"]
    if model.get("continuing_subword_prefix", "##") != "##" or int(model.get("max_input_chars_per_word", 100)) != 100:
        raise ConversionError("WordPiece with a prefix other than ## or another max_input_chars_per_word")


def bert_phantom(token: str, token_type: int) -> str:
    """llama.cpp's spelling of a WordPiece token: continuations lose "##", other non-control tokens gain U+2581."""
    if token_type == TOKEN_CONTROL:
        return token
    if token.startswith("##"):
        return token[2:]
    return SPM_SPACE + token


def read_wordpiece_tokenizer(tj: dict[str, Any], n_vocab: int | None) -> TokenizerSpec:
    _check_bert_pipeline(tj)
    model = tj["model"]
    id_to_token = {int(idx): text for text, idx in model["vocab"].items()}
    added_by_id = {int(t["id"]): t for t in tj.get("added_tokens") or []}
    for idx, tok in added_by_id.items():
        if id_to_token.get(idx, tok["content"]) != tok["content"]:
            raise ConversionError(f"added token {tok['content']!r} reuses id {idx}")
        id_to_token[idx] = tok["content"]
    size = max(id_to_token) + 1
    if n_vocab is not None:
        if size > n_vocab:
            raise ConversionError(f"tokenizer has {size} ids but the model only {n_vocab}")
        size = n_vocab
    tokens, types = [], []
    for idx in range(size):
        text = id_to_token.get(idx)
        if text is None:
            tokens.append(f"[PAD{idx}]")
            types.append(TOKEN_UNUSED)
            continue
        added = added_by_id.get(idx)
        kind = TOKEN_NORMAL if added is None else TOKEN_CONTROL if added.get("special") else TOKEN_USER_DEFINED
        tokens.append(bert_phantom(text, kind))
        types.append(kind)
    if len(set(tokens)) != len(tokens):
        raise ConversionError("the phantom-space vocabulary has repeated tokens")

    def find(text: str | None) -> int | None:
        if text is None:
            return None
        idx = model["vocab"].get(text)
        if idx is None:
            raise ConversionError(f"special token {text!r} is not in the vocabulary")
        return int(idx)

    post = tj.get("post_processor") or {}
    specials = post.get("special_tokens") or {}
    cls_text = "[CLS]" if "[CLS]" in specials or not specials else None
    sep_text = "[SEP]" if "[SEP]" in specials or not specials else None
    special_ids = {"cls": find(cls_text), "seperator": find(sep_text), "unk": find(model.get("unk_token", "[UNK]")),
                   "padding": find("[PAD]") if "[PAD]" in model["vocab"] else None}
    special_ids = {k: v for k, v in special_ids.items() if v is not None}
    return TokenizerSpec("bert", None, tokens, types, None, None, special_ids, "cls" in special_ids,
                         "seperator" in special_ids, None, None)


def write_tokenizer(writer: GgufWriter, spec: TokenizerSpec) -> None:
    writer.add_string("tokenizer.ggml.model", spec.model)
    if spec.pre is not None:
        writer.add_string("tokenizer.ggml.pre", spec.pre)
    writer.add_array("tokenizer.ggml.tokens", spec.tokens, GgufValueType.STRING)
    writer.add_array("tokenizer.ggml.token_type", spec.token_types, GgufValueType.INT32)
    if spec.scores is not None:
        writer.add_array("tokenizer.ggml.scores", spec.scores, GgufValueType.FLOAT32)
    if spec.merges is not None:
        writer.add_array("tokenizer.ggml.merges", spec.merges, GgufValueType.STRING)
    for name in ("bos", "eos", "unk", "padding", "eot", "cls", "seperator"):
        if name in spec.special_ids:
            writer.add_uint32(f"tokenizer.ggml.{name}_token_id", spec.special_ids[name])
    writer.add_bool("tokenizer.ggml.add_bos_token", spec.add_bos)
    writer.add_bool("tokenizer.ggml.add_eos_token", spec.add_eos)
    if spec.add_space_prefix is not None:
        writer.add_bool("tokenizer.ggml.add_space_prefix", spec.add_space_prefix)
    if spec.chat_template:
        writer.add_string("tokenizer.chat_template", spec.chat_template)


# ------------------------------------------------------------------ conversion

_LAYER_MAP = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
# What differs per family (llama.cpp's tensor_mapping.py resolves the same HF
# names by the family's tensor list).
_LAYER_MAP_EXTRA = {
    "qwen3": {"self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight"},
    "gemma3": {"self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
               "post_attention_layernorm.weight": "post_attention_norm.weight",
               "pre_feedforward_layernorm.weight": "ffn_norm.weight",
               "post_feedforward_layernorm.weight": "post_ffw_norm.weight"},
    "phi3": {"self_attn.qkv_proj.weight": "attn_qkv.weight", "mlp.gate_up_proj.weight": "ffn_up.weight"},
    "qwen3moe": {"self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
                 "mlp.gate.weight": "ffn_gate_inp.weight"},
    "gemma2": {"post_attention_layernorm.weight": "post_attention_norm.weight",
               "pre_feedforward_layernorm.weight": "ffn_norm.weight",
               "post_feedforward_layernorm.weight": "post_ffw_norm.weight"},
}
_EXPERT_NAME = re.compile(r"^mlp\.experts\.(\d+)\.(gate|up|down)_proj\.weight$")
_FUSED_EXPERTS = {"mlp.experts.gate_up_proj": "gate_up", "mlp.experts.down_proj": "down"}
_LAYER_NAME = re.compile(r"^model\.layers\.(\d+)\.(.+)$")


def expected_layer_shapes(p: ModelParams) -> dict[str, tuple[int, ...]]:
    """The per-block tensors of a family (names without "blk.N.") and their HF-order shapes."""
    q_dim, kv_dim = p.n_head * p.head_dim, p.n_head_kv * p.head_dim
    shapes: dict[str, tuple[int, ...]] = {"attn_norm.weight": (p.n_embd,)}
    if p.arch == "phi3":
        shapes["attn_qkv.weight"] = (q_dim + 2 * kv_dim, p.n_embd)
    else:
        shapes.update({"attn_q.weight": (q_dim, p.n_embd), "attn_k.weight": (kv_dim, p.n_embd),
                       "attn_v.weight": (kv_dim, p.n_embd)})
    if p.arch == "qwen2":
        shapes.update({"attn_q.bias": (q_dim,), "attn_k.bias": (kv_dim,), "attn_v.bias": (kv_dim,)})
    if p.arch in ("qwen3", "qwen3moe", "gemma3"):
        shapes.update({"attn_q_norm.weight": (p.head_dim,), "attn_k_norm.weight": (p.head_dim,)})
    shapes["attn_output.weight"] = (p.n_embd, q_dim)
    if p.arch in ("gemma2", "gemma3"):
        shapes["post_attention_norm.weight"] = (p.n_embd,)
    shapes["ffn_norm.weight"] = (p.n_embd,)
    if p.arch == "qwen3moe":
        shapes.update({"ffn_gate_inp.weight": (p.n_expert, p.n_embd),
                       "ffn_gate_exps.weight": (p.n_expert, p.n_ff_exp, p.n_embd),
                       "ffn_up_exps.weight": (p.n_expert, p.n_ff_exp, p.n_embd),
                       "ffn_down_exps.weight": (p.n_expert, p.n_embd, p.n_ff_exp)})
        return shapes
    if p.arch == "phi3":
        shapes["ffn_up.weight"] = (2 * p.n_ff, p.n_embd)
    else:
        shapes.update({"ffn_gate.weight": (p.n_ff, p.n_embd), "ffn_up.weight": (p.n_ff, p.n_embd)})
    shapes["ffn_down.weight"] = (p.n_embd, p.n_ff)
    if p.arch in ("gemma2", "gemma3"):
        shapes["post_ffw_norm.weight"] = (p.n_embd,)
    return shapes


_BERT_LAYER_MAP = {
    "attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm",
}
_BERT_LAYER_NAME = re.compile(r"^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$")
# HF's BertModel tensors the embedding graph does not use.
_BERT_DROPPED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


def bert_tensor_shapes(p: ModelParams) -> dict[str, tuple[int, ...]]:
    e, f = p.n_embd, p.n_ff
    shapes = {"token_embd.weight": (p.n_vocab, e), "position_embd.weight": (p.n_ctx_train, e),
              "token_types.weight": (p.n_token_types, e), "token_embd_norm.weight": (e,),
              "token_embd_norm.bias": (e,)}
    if p.classifier:
        shapes.update({"cls.weight": (e, e), "cls.bias": (e,), "cls.output.weight": (p.n_cls_out, e),
                       "cls.output.bias": (p.n_cls_out,)})
    for i in range(p.n_layer):
        for name, shape in (("attn_q", (e, e)), ("attn_k", (e, e)), ("attn_v", (e, e)), ("attn_output", (e, e)),
                            ("attn_output_norm", None), ("ffn_up", (f, e)), ("ffn_down", (e, f)),
                            ("layer_output_norm", None)):
            shapes[f"blk.{i}.{name}.weight"] = shape or (e,)
            shapes[f"blk.{i}.{name}.bias"] = (shape[0],) if shape else (e,)
    return shapes


def map_bert_tensors(state: dict[str, np.ndarray], p: ModelParams) -> list[tuple[str, np.ndarray]]:
    out: dict[str, np.ndarray] = {}
    direct = {"embeddings.word_embeddings.weight": "token_embd.weight",
              "embeddings.position_embeddings.weight": "position_embd.weight",
              "embeddings.token_type_embeddings.weight": "token_types.weight",
              "embeddings.LayerNorm.weight": "token_embd_norm.weight",
              "embeddings.LayerNorm.bias": "token_embd_norm.bias"}
    # The classification heads (llama.cpp's CLS and CLS_OUT): RoBERTa's classifier.dense and
    # out_proj; BERT's pooler (dense + tanh over [CLS]) and classifier, the same computation.
    heads = {"roberta": {"classifier.dense.weight": "cls.weight", "classifier.dense.bias": "cls.bias",
                         "classifier.out_proj.weight": "cls.output.weight",
                         "classifier.out_proj.bias": "cls.output.bias"},
             "bert": {"pooler.dense.weight": "cls.weight", "pooler.dense.bias": "cls.bias",
                      "classifier.weight": "cls.output.weight", "classifier.bias": "cls.output.bias"}}
    head = heads.get(p.classifier or "", {})
    for hf_name, value in state.items():
        name = hf_name
        for prefix in ("bert.", "roberta."):
            if name.startswith(prefix):
                name = name[len(prefix):]
        if name in head:
            out[head[name]] = value
            continue
        if name in _BERT_DROPPED:
            continue
        if name == "embeddings.position_embeddings.weight" and p.position_offset:
            value = value[p.position_offset:]
        if name in direct:
            out[direct[name]] = value
            continue
        m = _BERT_LAYER_NAME.match(name)
        if not m or m.group(2) not in _BERT_LAYER_MAP:
            raise ConversionError(f"unexpected tensor {hf_name}")
        if int(m.group(1)) >= p.n_layer:
            raise ConversionError(f"{hf_name}: layer {m.group(1)} >= block_count {p.n_layer}")
        out[f"blk.{m.group(1)}.{_BERT_LAYER_MAP[m.group(2)]}.{m.group(3)}"] = value
    expected = bert_tensor_shapes(p)
    missing = sorted(set(expected) - set(out))
    extra = sorted(set(out) - set(expected))
    if missing or extra:
        raise ConversionError(f"missing tensors {missing[:6]}, unexpected {extra[:6]}")
    for name, shape in expected.items():
        if tuple(out[name].shape) != shape:
            raise ConversionError(f"{name}: shape {out[name].shape}, expected {shape}")
    return [(name, out[name]) for name in expected]


def map_tensors(state: dict[str, np.ndarray], p: ModelParams) -> list[tuple[str, np.ndarray]]:
    """HF names -> ggml names, with llama's Q/K permute and gemma's norm + 1; checks every shape."""
    if p.arch == "bert":
        return map_bert_tensors(state, p)
    layer_map = {**_LAYER_MAP, **_LAYER_MAP_EXTRA.get(p.arch, {})}
    out: dict[str, np.ndarray] = {}
    experts: dict[tuple[int, str], dict[int, np.ndarray]] = {}  # (layer, gate|up|down) -> expert -> matrix
    for hf_name, value in state.items():
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        m = _LAYER_NAME.match(hf_name)
        if p.arch == "qwen3moe" and m and (_EXPERT_NAME.match(m.group(2)) or m.group(2) in _FUSED_EXPERTS):
            layer = int(m.group(1))
            if layer >= p.n_layer:
                raise ConversionError(f"{hf_name}: layer {layer} >= block_count {p.n_layer}")
            one = _EXPERT_NAME.match(m.group(2))
            if one:
                experts.setdefault((layer, one.group(2)), {})[int(one.group(1))] = value
            elif _FUSED_EXPERTS[m.group(2)] == "down":
                experts.setdefault((layer, "down"), {}).update(enumerate(value))
            else:  # [E, 2 I, H]: gate rows, then up rows
                if value.ndim != 3 or value.shape[1] != 2 * p.n_ff_exp:
                    raise ConversionError(f"{hf_name}: shape {value.shape}, expected [E, {2 * p.n_ff_exp}, H]")
                experts.setdefault((layer, "gate"), {}).update(enumerate(value[:, :p.n_ff_exp]))
                experts.setdefault((layer, "up"), {}).update(enumerate(value[:, p.n_ff_exp:]))
            continue
        if hf_name == "model.embed_tokens.weight":
            name = "token_embd.weight"
        elif hf_name == "model.norm.weight":
            name = "output_norm.weight"
        elif hf_name == "lm_head.weight":
            if p.tied:
                continue
            name = "output.weight"
        else:
            m = _LAYER_NAME.match(hf_name)
            if not m or m.group(2) not in layer_map:
                raise ConversionError(f"unexpected tensor {hf_name}")
            layer = int(m.group(1))
            if layer >= p.n_layer:
                raise ConversionError(f"{hf_name}: layer {layer} >= block_count {p.n_layer}")
            name = f"blk.{layer}.{layer_map[m.group(2)]}"
            if p.arch == "llama" and m.group(2).startswith("self_attn.q_proj"):
                value = permute_rotary_rows(value, p.n_head)
            elif p.arch == "llama" and m.group(2).startswith("self_attn.k_proj"):
                value = permute_rotary_rows(value, p.n_head_kv)
        # Gemma2/3RMSNorm scale by (1 + w); llama.cpp's converter stores 1 + w.
        # ref: llama.cpp convert_hf_to_gguf.py, Gemma2Model / Gemma3Model.modify_tensors
        if p.arch in ("gemma2", "gemma3") and hf_name.endswith("norm.weight"):
            value = value.astype(np.float32) + np.float32(1.0)
        out[name] = value
    for (layer, kind), by_expert in sorted(experts.items()):
        if sorted(by_expert) != list(range(p.n_expert)):
            raise ConversionError(f"layer {layer}: {kind} matrices of experts {sorted(by_expert)[:8]}..., "
                                  f"expected 0..{p.n_expert - 1}")
        out[f"blk.{layer}.ffn_{kind}_exps.weight"] = np.stack([by_expert[e] for e in range(p.n_expert)])

    expected = {"token_embd.weight": (p.n_vocab, p.n_embd), "output_norm.weight": (p.n_embd,)}
    if not p.tied:
        expected["output.weight"] = (p.n_vocab, p.n_embd)
    if p.rope_scaling.get("type") == "llama3":
        out["rope_freqs.weight"] = llama3_rope_factors(p)
        expected["rope_freqs.weight"] = (p.head_dim // 2,)
    layer_shapes = expected_layer_shapes(p)
    for i in range(p.n_layer):
        for suffix, shape in layer_shapes.items():
            expected[f"blk.{i}.{suffix}"] = shape
        if p.arch == "llama" and f"blk.{i}.attn_q.bias" in out:
            q_dim, kv_dim = p.n_head * p.head_dim, p.n_head_kv * p.head_dim
            expected.update({f"blk.{i}.attn_q.bias": (q_dim,), f"blk.{i}.attn_k.bias": (kv_dim,),
                             f"blk.{i}.attn_v.bias": (kv_dim,)})
    missing = sorted(set(expected) - set(out))
    extra = sorted(set(out) - set(expected))
    if missing or extra:
        raise ConversionError(f"missing tensors {missing[:6]}, unexpected {extra[:6]}")
    ordered = []
    for name in expected:  # token_embd, output_norm, output, rope_freqs, then layer by layer
        if tuple(out[name].shape) != expected[name]:
            raise ConversionError(f"{name}: shape {out[name].shape}, expected {expected[name]}")
        ordered.append((name, out[name]))
    return ordered


def llama3_rope_factors(p: ModelParams) -> np.ndarray:
    """Per-pair divisors of the rotary frequencies for llama3 scaling, as F32.

    The frequency of pair i, theta^(-2i/head_dim), divided by factor[i] equals
    HF transformers' _compute_llama3_parameters: 1 for short wavelengths,
    `factor` for long ones, and between them 1 / ((1 - s)/factor + s), the
    divisor of HF's blend (1 - s) * f/factor + s * f.
    ref: llama.cpp convert_hf_to_gguf.py, LlamaModel (rope_freqs for rope_type llama3)
    """
    scaling = p.rope_scaling
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_context_length"]
    freqs = p.rope_theta ** (-np.arange(0, p.head_dim, 2, dtype=np.float64) / p.head_dim)
    out = np.ones(len(freqs), dtype=np.float64)
    for i, f in enumerate(freqs):
        wavelen = 2 * math.pi / f
        if wavelen < original / high:
            continue
        if wavelen > original / low:
            out[i] = factor
        else:
            smooth = (original / wavelen - low) / (high - low)
            out[i] = 1 / ((1 - smooth) / factor + smooth)
    return out.astype(np.float32)


def write_model_metadata(w: GgufWriter, p: ModelParams, name: str, out_type: str) -> None:
    a = p.arch
    w.add_string("general.architecture", a)
    w.add_string("general.name", name)
    w.add_uint32("general.file_type", FILE_TYPES[out_type])
    if out_type == "q8_0":
        w.add_uint32("general.quantization_version", 2)
    if a == "bert":
        w.add_uint32(f"{a}.context_length", p.n_ctx_train)
        w.add_uint32(f"{a}.embedding_length", p.n_embd)
        w.add_uint32(f"{a}.feed_forward_length", p.n_ff)
        w.add_uint32(f"{a}.block_count", p.n_layer)
        w.add_uint32(f"{a}.attention.head_count", p.n_head)
        w.add_float32(f"{a}.attention.layer_norm_epsilon", p.rms_eps)
        w.add_bool(f"{a}.attention.causal", False)
        w.add_uint32("tokenizer.ggml.token_type_count", p.n_token_types)
        if p.classifier:
            w.add_uint32(f"{a}.pooling_type", 4)  # rank: the classification head
        return
    w.add_uint32(f"{a}.vocab_size", p.n_vocab)
    w.add_uint32(f"{a}.context_length", p.n_ctx_train)
    w.add_uint32(f"{a}.embedding_length", p.n_embd)
    w.add_uint32(f"{a}.block_count", p.n_layer)
    w.add_uint32(f"{a}.feed_forward_length", p.n_ff)
    w.add_uint32(f"{a}.attention.head_count", p.n_head)
    w.add_uint32(f"{a}.attention.head_count_kv", p.n_head_kv)
    # llama.cpp's converters write the head size when the config has head_dim (qwen3, gemma); llama only when it
    # is not derived.
    if p.head_dim != p.n_embd // p.n_head or a in ("qwen3", "qwen3moe", "gemma2", "gemma3"):
        w.add_uint32(f"{a}.attention.key_length", p.head_dim)
        w.add_uint32(f"{a}.attention.value_length", p.head_dim)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", p.rms_eps)
    if a not in ("gemma2", "gemma3"):
        w.add_uint32(f"{a}.rope.dimension_count", p.head_dim)
    w.add_float32(f"{a}.rope.freq_base", p.rope_theta)
    if a in ("gemma2", "gemma3", "phi3"):
        w.add_uint32(f"{a}.attention.sliding_window", p.sliding_window)
    if a == "gemma2":
        w.add_float32(f"{a}.attn_logit_softcapping", p.attn_softcap)
        w.add_float32(f"{a}.final_logit_softcapping", p.final_softcap)
    if a == "qwen3moe":
        w.add_uint32(f"{a}.expert_count", p.n_expert)
        w.add_uint32(f"{a}.expert_used_count", p.n_expert_used)
        w.add_uint32(f"{a}.expert_feed_forward_length", p.n_ff_exp)
    if p.original_context is not None:
        w.add_uint32(f"{a}.rope.scaling.original_context_length", p.original_context)
    if p.rope_scaling.get("type") == "linear":
        w.add_string(f"{a}.rope.scaling.type", "linear")
        w.add_float32(f"{a}.rope.scaling.factor", p.rope_scaling["factor"])
    # llama3 scaling is the rope_freqs.weight tensor (map_tensors), with no keys.


# sentence-transformers' pooling modes -> llama.cpp's llama_pooling_type (1 mean, 2 cls, 3 last).
POOLING_MODES = {"pooling_mode_mean_tokens": 1, "pooling_mode_cls_token": 2, "pooling_mode_lasttoken": 3}


def read_pooling(model_dir: str) -> int:
    """The pooling of a sentence-transformers directory (modules.json naming a Pooling module and its
    config.json), as llama.cpp's converter writes it to <arch>.pooling_type; 0 for a plain model."""
    modules = _read_json(os.path.join(model_dir, "modules.json"))
    if not modules:
        return 0
    for module in modules:
        if module.get("type", "").endswith("Pooling"):
            config = _read_json(os.path.join(model_dir, module.get("path", ""), "config.json")) or {}
            chosen = [value for mode, value in POOLING_MODES.items() if config.get(mode)]
            if len(chosen) != 1:
                raise ConversionError(f"{model_dir}: the Pooling module must choose one of "
                                      f"{sorted(POOLING_MODES)}, got {config}")
            return chosen[0]
    return 0


def convert_model(model_dir: str, out_path: str, out_type: str = "f32", name: str | None = None,
                  pre_override: str | None = None) -> None:
    if out_type not in MATRIX_TYPES:
        raise ConversionError(f"--type {out_type}: expected one of {sorted(MATRIX_TYPES)}")
    config = _read_json(os.path.join(model_dir, "config.json"))
    if not config:
        raise ConversionError(f"{model_dir}: no config.json")
    if (config.get("architectures") or [None])[0] == "WhisperForConditionalGeneration":
        convert_whisper(model_dir, config, out_path, out_type, name)
        return
    params = read_model_params(config)
    tensors = map_tensors(load_state_dict(model_dir), params)
    spec = read_tokenizer(model_dir, params.n_vocab, params, pre_override)
    w = GgufWriter()
    write_model_metadata(w, params, name or os.path.basename(os.path.normpath(model_dir)), out_type)
    pooling = read_pooling(model_dir)
    if params.classifier:
        pooling = 0  # written with the model's keys (rank)
    elif params.arch == "bert" and not pooling:
        raise ConversionError(f"{model_dir}: a bert model needs a sentence-transformers Pooling module (modules.json)")
    if pooling:
        w.add_uint32(f"{params.arch}.pooling_type", pooling)
    write_tokenizer(w, spec)
    for tname, value in tensors:
        # llama.cpp never quantizes the router, BERT's position or token-type embeddings
        if value.ndim == 1 or tname.endswith(("ffn_gate_inp.weight", "position_embd.weight", "token_types.weight")):
            ggml_type = GgmlType.F32
        else:
            ggml_type = MATRIX_TYPES[out_type]
            if ggml_type == GgmlType.Q8_0 and value.shape[-1] % 32:
                print(f"note: {tname} rows of {value.shape[-1]} are not a multiple of 32: F16",
                      file=sys.stderr)
                ggml_type = GgmlType.F16
        w.add_tensor(tname, value, ggml_type)
    w.write(out_path)


def convert_whisper(model_dir: str, config: dict[str, Any], out_path: str, out_type: str, name: str | None) -> None:
    """WhisperForConditionalGeneration -> the `whisper` layout (whisper_gguf.py says which tensor goes where).

    The tokenizer is tokenizer.json's byte-level BPE with Whisper's added tokens (special
    tokens as control tokens); its size must be the model's vocab_size. Matrices take --type
    except where their rows are not whole blocks (the first convolution's 80 * 3 columns:
    F16, as llama.cpp falls back); the decoder positions stay F32 under q8_0 (a row is read
    per token, never multiplied).
    """
    try:
        p = whisper_gguf.params_from_config(config)
        tensors = whisper_gguf.map_state(load_state_dict(model_dir), p)
    except ValueError as e:
        raise ConversionError(str(e)) from e
    spec = read_tokenizer(model_dir, p.n_vocab, None, None)
    for text in ("<|startoftranscript|>", "<|notimestamps|>", "<|0.00|>", "<|30.00|>"):
        if text not in spec.tokens:
            raise ConversionError(f"tokenizer.json has no {text}: not a Whisper tokenizer")
    w = GgufWriter()
    w.add_string("general.architecture", "whisper")
    w.add_string("general.name", name or os.path.basename(os.path.normpath(model_dir)))
    w.add_uint32("general.file_type", FILE_TYPES[out_type])
    if out_type == "q8_0":
        w.add_uint32("general.quantization_version", 2)
    whisper_gguf.write_metadata(w, p)
    write_tokenizer(w, spec)
    for tname, value in tensors:
        if value.ndim == 1 or tname in ("enc.position_embd.weight", "dec.position_embd.weight"):
            ggml_type = GgmlType.F32
        else:
            ggml_type = MATRIX_TYPES[out_type]
            if ggml_type == GgmlType.Q8_0 and (value.ndim == 3 or value.shape[-1] % 32):
                # ggml's rows of a convolution are its 3 taps: never whole blocks.
                print(f"note: {tname}: F16", file=sys.stderr)
                ggml_type = GgmlType.F16
        w.add_tensor(tname, value, ggml_type)
    w.write(out_path)


def convert_vocab_only(model_dir: str, out_path: str, pre_override: str | None = None) -> None:
    """A GGUF holding only the tokenizer.* keys (no tensors)."""
    spec = read_tokenizer(model_dir, None, None, pre_override)
    w = GgufWriter()
    write_tokenizer(w, spec)
    w.write(out_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--type", default="f32", choices=sorted(MATRIX_TYPES))
    parser.add_argument("--name", default=None, help="general.name (default: the directory name)")
    parser.add_argument("--vocab-only", action="store_true", help="write only the tokenizer")
    parser.add_argument("--tokenizer-pre", default=None,
                        help="tokenizer.ggml.pre for byte-level BPE with an unrecognized split regex")
    args = parser.parse_args(argv)
    try:
        if args.vocab_only:
            convert_vocab_only(args.model_dir, args.out, args.tokenizer_pre)
        else:
            convert_model(args.model_dir, args.out, args.type, args.name, args.tokenizer_pre)
    except (ConversionError, KeyError, ValueError) as e:
        print(f"hf_to_gguf: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

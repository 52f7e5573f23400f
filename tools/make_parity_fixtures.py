#!/usr/bin/env python3
"""Builds random-weight HF models and records their float32 logits as parity fixtures.

Runs where torch, transformers and tokenizers are installed. For each model
("llama": LlamaForCausalLM, GQA, llama3 RoPE scaling, untied output;
"qwen2": Qwen2ForCausalLM, Q/K/V biases, tied embeddings, GQA;
"llama-init002": "llama"'s architecture at HF's default initialization scale;
"qwen3": Qwen3ForCausalLM, per-head Q/K RMSNorm, explicit head_dim 32 != 64/4, tied;
"mistral": MistralForCausalLM with an explicit head_dim (Nemo's layout), converted to `llama`;
"gemma3": Gemma3ForCausalLM (Gemma3TextConfig), 6 layers of which 0-4 attend through a
sliding window of 8 positions with RoPE base 1e4 and layer 5 globally with base 1e6, q/k norms,
pre+post norms, GELU-tanh, scaled embedding, tied;
"phi3": Phi3ForCausalLM, fused QKV and gate/up, GQA, untied;
"qwen3moe": Qwen3MoeForCausalLM, 8 experts of 64, 2 per token with norm_topk_prob, q/k norms,
untied; its router is hot (std 1.0) so that where 8-bit rounding could swap the second
and third expert, the second carries a few percent of the weight;
"gemma2": Gemma2ForCausalLM, 4 layers of which 0 and 2 attend through a window of 8,
attention scores soft-capped at 5 and logits at 10 (small enough to bend them), pre+post
norms, GELU-tanh, scaled embedding, tied),
writes into --out:
  <name>-f32.gguf, <name>-q8_0.gguf   converted by hf_to_gguf.py (only the types in
                                      the spec's "keep_gguf"; the others go to --work)
  <name>.logits.f32                   float32 LE, per case [n_tokens x n_vocab], concatenated
  <name>.json                         {"arch", "n_vocab", "config", "cases": [{"ids", "offset_floats"}],
                                       "greedy": [{"prompt", "generated", "min_top2_margin"}], "checks"}
Weights are drawn from numpy's default_rng(seed) (independent of torch's RNG),
so the same seed gives the same model with any torch version. Each spec's
"weight_std" sets the scales: matrices N(0, matrix^2), embeddings and lm_head
N(0, embed^2), biases N(0, bias^2), norms 1 + N(0, norm^2). "llama" and "qwen2"
are deliberately hot (large greedy margins, but q8_0 weights alone move their
logits by 1.4e-2 .. 2.8e-2 relative); "llama-init002" uses transformers'
initializer_range 0.02 for every matrix and embedding and norms of exactly 1
(the scale transformers itself initializes at), where q8_0 weights cost about
1e-2 relative. Logits come from
transformers with eager attention in float32 on the CPU (no TF32), positions
starting at 0 and no padding. Greedy continuations are argmax loops over a full
forward pass per step (identical to generate(do_sample=False) without a cache);
each prompt's min_top2_margin is the smallest gap between the two best logits
over its 32 steps, and the prompts kept are the 3 of 32 candidates with the
largest such margin. A spec with "greedy": False records none ("greedy": []):
at init scale 0.02 the logits span about +-0.6 and top-2 gaps are too small
for a greedy continuation to survive any rounding.

Gemma norms are drawn around 0 (Gemma3RMSNorm multiplies by 1 + w), the others
around 1. A model whose HF construction or conversion fails is reported and
skipped; the others are still written (the script then exits 1).

Self-checks recorded under "checks": llama_reference.py's float64 forward pass
over the f32 GGUF (ggml RoPE semantics on the converted tensors) against the HF
logits, the same over the q8_0 GGUF, HF float32 against HF float64, and
whether llama_reference reproduces each greedy continuation from the f32 GGUF.
A disagreement of the GGUF reference with HF beyond 1e-3 is recorded
("reference_agrees": false) and printed, not fatal: HF's logits stay the truth
the engine is held to. For gemma2 and gemma3, "window_variants" records the reference's
error with the window one shorter and one longer, to show which one HF used.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import inspect
import json
import os
import sys
import tempfile
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_corpus  # noqa: E402
import hf_to_gguf  # noqa: E402
from llama_reference import LlamaReference  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, \
    trainers  # noqa: E402

CASE_LENGTHS = [1, 7, 16, 33]
N_GREEDY = 32
N_CANDIDATES = 32
N_KEEP = 3

LLAMA3_CHAT_TEMPLATE = (
    "{{- bos_token }}{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}")
CHATML_TEMPLATE = (
    "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")

LLAMA3_TOKENIZER = {
    "pattern": hf_to_gguf.LLAMA3_PATTERN, "ignore_merges": True,
    "specials": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    "bos": "<|begin_of_text|>", "eos": "<|end_of_text|>", "add_bos": True, "chat_template": LLAMA3_CHAT_TEMPLATE,
}
CHATML_TOKENIZER = {
    "pattern": hf_to_gguf.QWEN2_PATTERN, "ignore_merges": False,
    "specials": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    "bos": None, "eos": "<|im_end|>", "add_bos": False, "chat_template": CHATML_TEMPLATE,
    # hf_to_gguf.py requires the normalizer that tokenizer.ggml.pre "qwen2" implies (PRE_NORMALIZER).
    "normalizer": "NFC",
}
LLAMA3_ROPE_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                       "original_max_position_embeddings": 64}

# Standard deviations of the random init (see the module docstring). HOT makes
# logits span +-16 with top-2 gaps of several units, so greedy continuations are
# stable under f32 rounding; HF_DEFAULT is transformers' own initializer_range.
HOT_WEIGHT_STD = {"matrix": 0.15, "embed": 0.5, "bias": 0.3, "norm": 0.1}
HF_DEFAULT_WEIGHT_STD = {"matrix": 0.02, "embed": 0.02, "bias": 0.0, "norm": 0.0}

# Optional spec keys: "keep_gguf" (GGUF types written to --out, default both;
# the rest go to the work dir, still used by the self-checks), "greedy"
# (default True), "head_dim" (explicit, else hidden / heads), "extra_config"
# (more config arguments), "norm_center" (norm gains drawn around it, default 1;
# gemma's are offsets from 1) and "rope_local_theta" (gemma3's sliding layers).
MODELS = {
    "llama": {
        "class": "LlamaForCausalLM", "config": "LlamaConfig", "seed": 101,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD,
        "rope_theta": 500000.0,
        "rope_scaling": LLAMA3_ROPE_SCALING,
        "tokenizer": LLAMA3_TOKENIZER,
    },
    "qwen2": {
        "class": "Qwen2ForCausalLM", "config": "Qwen2Config", "seed": 202,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 192, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD,
        "rope_theta": 1000000.0, "rope_scaling": None,
        "tokenizer": CHATML_TOKENIZER,
    },
    # "llama" at HF's default init scale: the q8_0 parity bound of the issue
    # (2e-2 relative) is meant for weights of this size. Only its q8_0 GGUF is
    # kept, to keep tests/fixtures small.
    "llama-init002": {
        "class": "LlamaForCausalLM", "config": "LlamaConfig", "seed": 303,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "initializer_range": 0.02,
        "weight_std": HF_DEFAULT_WEIGHT_STD,
        "rope_theta": 500000.0,
        "rope_scaling": LLAMA3_ROPE_SCALING,
        "tokenizer": LLAMA3_TOKENIZER,
        "keep_gguf": ["q8_0"], "greedy": False,
    },
    "qwen3": {
        "class": "Qwen3ForCausalLM", "config": "Qwen3Config", "seed": 404,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD,
        "rope_theta": 1000000.0, "rope_scaling": None,
        "extra_config": {"attention_bias": False, "use_sliding_window": False},
        "tokenizer": CHATML_TOKENIZER,
    },
    "mistral": {
        "class": "MistralForCausalLM", "config": "MistralConfig", "seed": 505,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD,
        "rope_theta": 1000000.0, "rope_scaling": None,
        "extra_config": {"sliding_window": None},
        "tokenizer": LLAMA3_TOKENIZER,
    },
    "gemma3": {
        "class": "Gemma3ForCausalLM", "config": "Gemma3TextConfig", "seed": 606,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 6,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD, "norm_center": 0.0,
        "rope_theta": 1000000.0, "rope_local_theta": 10000.0, "rope_scaling": None,
        "extra_config": {"hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 16,
                         "sliding_window": 8, "final_logit_softcapping": None, "attn_logit_softcapping": None,
                         "attention_bias": False},
        "tokenizer": CHATML_TOKENIZER,
    },
    "phi3": {
        "class": "Phi3ForCausalLM", "config": "Phi3Config", "seed": 707,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD,
        "rope_theta": 10000.0, "rope_scaling": None,
        "extra_config": {"original_max_position_embeddings": 512, "sliding_window": None,
                         "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attention_dropout": 0.0},
        "tokenizer": CHATML_TOKENIZER,
    },
    "qwen3moe": {
        "class": "Qwen3MoeForCausalLM", "config": "Qwen3MoeConfig", "seed": 808,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "initializer_range": 0.15,
        "weight_std": {**HOT_WEIGHT_STD, "router": 1.0},
        "rope_theta": 1000000.0, "rope_scaling": None,
        "extra_config": {"num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 64,
                         "norm_topk_prob": True, "decoder_sparse_step": 1, "mlp_only_layers": [],
                         "output_router_logits": False, "attention_bias": False, "use_sliding_window": False},
        "tokenizer": CHATML_TOKENIZER,
    },
    "gemma2": {
        "class": "Gemma2ForCausalLM", "config": "Gemma2Config", "seed": 909,
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "initializer_range": 0.15,
        "weight_std": HOT_WEIGHT_STD, "norm_center": 0.0,
        "rope_theta": 10000.0, "rope_scaling": None,
        "extra_config": {"hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 16,
                         "sliding_window": 8, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 10.0,
                         "attention_bias": False},
        "tokenizer": CHATML_TOKENIZER,
    },
}


def train_tokenizer(spec: dict, vocab_size: int, seed: int) -> Tokenizer:
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(spec["pattern"]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainee = Tokenizer(models.BPE())
    trainee.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - len(spec["specials"]), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    trainee.train_from_iterator(fixture_corpus.corpus_lines(seed), trainer)
    trained = json.loads(trainee.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    tok = Tokenizer(models.BPE(vocab=trained["vocab"], merges=merges, ignore_merges=spec["ignore_merges"]))
    tok.pre_tokenizer = pre
    if spec.get("normalizer") == "NFC":
        tok.normalizer = normalizers.NFC()
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in spec["specials"]])
    if spec["add_bos"]:
        bos = spec["bos"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))])
    if tok.get_vocab_size() > vocab_size:
        raise RuntimeError(f"tokenizer has {tok.get_vocab_size()} tokens, model vocab is {vocab_size}")
    return tok


def _config_fields(config_cls) -> set[str]:
    fields = set(inspect.signature(config_cls.__init__).parameters)
    if dataclasses.is_dataclass(config_cls):
        fields |= {f.name for f in dataclasses.fields(config_cls)}
    return fields


def _rope_kwargs(spec: dict, fields: set[str]) -> list[dict]:
    """The RoPE arguments to try, newest transformers form first."""
    if spec["config"] == "Gemma3TextConfig":
        per_type = {"full_attention": {"rope_type": "default", "rope_theta": spec["rope_theta"]},
                    "sliding_attention": {"rope_type": "default", "rope_theta": spec["rope_local_theta"]}}
        older = {"rope_theta": spec["rope_theta"], "rope_local_base_freq": spec["rope_local_theta"],
                 "rope_scaling": None}
        return ([{"rope_parameters": per_type}] if "rope_parameters" in fields else []) + [older]
    if "rope_parameters" in fields:   # transformers >= 5
        rope = {"rope_type": "default", "rope_theta": spec["rope_theta"]}
        if spec["rope_scaling"]:
            rope.update(spec["rope_scaling"])
        return [{"rope_parameters": rope}]
    return [{"rope_theta": spec["rope_theta"], "rope_scaling": spec["rope_scaling"]}]


def build_config(spec: dict, tok: Tokenizer):
    config_cls = getattr(transformers, spec["config"])
    common = {k: spec[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                   "num_attention_heads", "num_key_value_heads", "max_position_embeddings",
                                   "rms_norm_eps", "tie_word_embeddings", "initializer_range")}
    tspec = spec["tokenizer"]
    common["bos_token_id"] = tok.token_to_id(tspec["bos"]) if tspec["bos"] else tok.token_to_id(tspec["specials"][0])
    common["eos_token_id"] = tok.token_to_id(tspec["eos"])
    common["architectures"] = [spec["class"]]
    if "head_dim" in spec:
        common["head_dim"] = spec["head_dim"]
    if "extra_config" in spec:
        common.update(spec["extra_config"])
        common["pad_token_id"] = common["eos_token_id"]  # Phi3's default 32000 is outside the vocabulary
    if spec["config"] == "Gemma3TextConfig":
        common["layer_types"] = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention"
                                 for i in range(spec["num_hidden_layers"])]
    if spec["config"] == "Gemma2Config":
        common["layer_types"] = ["sliding_attention" if i % 2 == 0 else "full_attention"
                                 for i in range(spec["num_hidden_layers"])]
    fields = _config_fields(config_cls)
    errors = []
    config = None
    for rope_kwargs in _rope_kwargs(spec, fields):
        try:
            config = config_cls(**common, **rope_kwargs)
            break
        except (TypeError, ValueError, KeyError) as e:
            errors.append(f"{sorted(rope_kwargs)}: {type(e).__name__}: {e}")
    if config is None:
        raise RuntimeError(f"{spec['config']} refused every RoPE form: {errors}")
    if errors:
        print(f"note: {spec['config']}: earlier RoPE forms failed: {errors}")
    if spec["config"] == "Qwen2Config":
        for key in ("use_sliding_window",):
            if getattr(config, key, False):
                setattr(config, key, False)
    for key in ("head_dim", "sliding_window", "query_pre_attn_scalar", "layer_types", "attn_logit_softcapping",
                "final_logit_softcapping", "num_experts", "num_experts_per_tok", "moe_intermediate_size",
                "norm_topk_prob"):
        if key in common and getattr(config, key, common[key]) != common[key]:
            raise RuntimeError(f"{spec['config']}.{key} is {getattr(config, key)!r}, not {common[key]!r}")
    return config


def _use_eager_experts(model) -> str | None:
    """MoE models: the per-expert loop (transformers 5 defaults to grouped_mm, which refuses float64)."""
    chosen = None
    for module in model.modules():
        cfg = getattr(module, "config", None)
        if cfg is not None and hasattr(cfg, "_experts_implementation"):
            try:
                cfg._experts_implementation = "eager"
            except (AttributeError, ValueError) as e:
                print(f"note: cannot select eager experts: {e}")
            chosen = getattr(cfg, "_experts_implementation", None)
    return chosen


def build_model(spec: dict, config):
    model_cls = getattr(transformers, spec["class"])
    kwargs = {"attn_implementation": "eager"}
    if "num_experts" in (spec.get("extra_config") or {}):
        kwargs["experts_implementation"] = "eager"
    try:
        model = model_cls._from_config(config, **kwargs)
    except (TypeError, ValueError):
        config._attn_implementation = "eager"
        model = model_cls(config)
    _use_eager_experts(model)
    model = model.to(torch.float32).eval()
    rng = np.random.default_rng(spec["seed"])
    std = spec["weight_std"]
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            shape = tuple(param.shape)
            if name.endswith("norm.weight"):
                value = spec.get("norm_center", 1.0) + std["norm"] * rng.standard_normal(shape)
            elif name.endswith(".bias"):
                value = std["bias"] * rng.standard_normal(shape)
            elif "router" in std and name.endswith("mlp.gate.weight"):
                value = std["router"] * rng.standard_normal(shape)
            elif "embed_tokens" in name or "lm_head" in name:
                value = std["embed"] * rng.standard_normal(shape)
            else:
                value = std["matrix"] * rng.standard_normal(shape)
            param.copy_(torch.from_numpy(value.astype(np.float32)))
    if spec["tie_word_embeddings"]:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "not tied"
    else:
        assert model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr(), "tied"
    attn = getattr(model.config, "_attn_implementation", None)
    if attn != "eager":
        print(f"warning: {spec['class']} attention implementation is {attn!r}, not 'eager'")
    return model


def check_rope(model, spec: dict) -> dict:
    """HF's inverse frequencies against the llama3 formula, and proof that scaling changed some."""
    head_dim = spec.get("head_dim") or spec["hidden_size"] // spec["num_attention_heads"]
    if spec["config"] == "Gemma3TextConfig":
        # Record every inverse-frequency buffer and which base it matches (the layout differs across versions).
        info = {}
        for name, buf in model.named_buffers():
            if "inv_freq" in name and "original" not in name:
                inv = buf.detach().double().cpu().numpy()
                matches = [theta for theta in (spec["rope_theta"], spec["rope_local_theta"])
                           if len(inv) == head_dim // 2 and
                           np.max(np.abs(inv - theta ** (-np.arange(0, head_dim, 2) / head_dim))) < 1e-6 * inv.max()]
                info[name] = {"matches_base": matches}
        return info
    rotary = getattr(model.model, "rotary_emb", None)
    if rotary is None or not hasattr(rotary, "inv_freq"):
        print("warning: no model.model.rotary_emb.inv_freq; rope check left to the GGUF reference")
        return {"hf_inv_freq": None}
    inv = rotary.inv_freq.detach().double().numpy()
    base = spec["rope_theta"] ** (-np.arange(0, head_dim, 2) / head_dim)
    info = {"hf_inv_freq": inv.tolist(), "unscaled_inv_freq": base.tolist()}
    if spec["rope_scaling"]:
        md = {"x.rope.freq_base": spec["rope_theta"], "x.rope.scaling.type": "llama3",
              "x.rope.scaling.factor": spec["rope_scaling"]["factor"],
              "x.rope.scaling.low_freq_factor": spec["rope_scaling"]["low_freq_factor"],
              "x.rope.scaling.high_freq_factor": spec["rope_scaling"]["high_freq_factor"],
              "x.rope.scaling.original_context_length":
                  spec["rope_scaling"]["original_max_position_embeddings"]}
        from llama_reference import rope_frequencies
        ours = rope_frequencies(md, "x", head_dim)
        info["max_rel_diff_vs_formula"] = float(np.max(np.abs(inv - ours) / ours))
        assert info["max_rel_diff_vs_formula"] < 1e-6, info
        changed = np.abs(inv / base - 1) > 1e-6
        info["n_scaled"] = int(changed.sum())
        info["n_unscaled"] = int((~changed).sum())
        assert 0 < info["n_scaled"] < len(inv), info
    else:
        info["max_rel_diff_vs_unscaled"] = float(np.max(np.abs(inv - base) / base))
        assert info["max_rel_diff_vs_unscaled"] < 1e-6, info
    return info


def forward(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False).logits[0]


def greedy(model, prompt: list[int], n: int) -> tuple[list[int], float]:
    seq = list(prompt)
    margins = []
    for _ in range(n):
        logits = forward(model, seq)[-1]
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]))
        seq.append(int(torch.argmax(logits)))
    return seq[len(prompt):], min(margins)


def greedy_reference(ref: LlamaReference, prompt: list[int], n: int) -> list[int]:
    seq = list(prompt)
    for _ in range(n):
        seq.append(int(np.argmax(ref.logits(seq)[-1])))
    return seq[len(prompt):]


def generate_check(model, prompt: list[int], expected: list[int]) -> str:
    """transformers' own greedy generate() against the argmax loop (informational)."""
    try:
        out = model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=N_GREEDY,
                             min_new_tokens=N_GREEDY, eos_token_id=None, pad_token_id=0)
        got = out[0, len(prompt):].tolist()
        return "match" if got == expected else f"differs: {got}"
    except Exception as e:  # noqa: BLE001 - API drift across versions must not stop fixture generation
        return f"skipped: {type(e).__name__}: {e}"


def make_one(name: str, spec: dict, out_dir: str, work_dir: str) -> dict:
    tok = train_tokenizer(spec["tokenizer"], spec["vocab_size"], spec["seed"])
    config = build_config(spec, tok)
    model = build_model(spec, config)
    rope_info = check_rope(model, spec)

    model_dir = os.path.join(work_dir, name)
    model.save_pretrained(model_dir)
    tok.save(os.path.join(model_dir, "tokenizer.json"))
    tspec = spec["tokenizer"]
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": tspec["bos"], "eos_token": tspec["eos"], "add_bos_token": tspec["add_bos"],
                   "add_eos_token": False, "chat_template": tspec["chat_template"]}, f, indent=1)
    keep = spec.get("keep_gguf", ["f32", "q8_0"])
    paths = {t: os.path.join(out_dir if t in keep else model_dir, f"{name}-{t}.gguf") for t in ("f32", "q8_0")}
    for out_type, path in paths.items():
        hf_to_gguf.convert_model(model_dir, path, out_type, name=f"hearth-parity-{name}")

    rng = np.random.default_rng(spec["seed"] + 1)
    model64 = copy.deepcopy(model).to(torch.float64)
    ref32 = LlamaReference(paths["f32"])
    ref_q8 = LlamaReference(paths["q8_0"])
    cases, blobs, offset = [], [], 0
    checks = {"gguf_f32_numpy_vs_hf_max_abs": 0.0, "gguf_q8_0_numpy_vs_hf_max_abs": 0.0,
              "hf_fp32_vs_fp64_max_abs": 0.0, "logits_abs_max": 0.0}
    for length in CASE_LENGTHS:
        ids = rng.integers(0, spec["vocab_size"], size=length).tolist()
        logits = forward(model, ids).numpy().astype(np.float32)
        try:
            if checks["hf_fp32_vs_fp64_max_abs"] is not None:
                logits64 = forward(model64, ids).numpy()
                checks["hf_fp32_vs_fp64_max_abs"] = max(checks["hf_fp32_vs_fp64_max_abs"],
                                                        float(np.abs(logits - logits64).max()))
        except RuntimeError as e:  # a kernel without float64 must not cost the fixture
            checks["hf_fp32_vs_fp64_max_abs"] = None
            checks["hf_fp64_error"] = str(e)[:200]
        checks["gguf_f32_numpy_vs_hf_max_abs"] = max(checks["gguf_f32_numpy_vs_hf_max_abs"],
                                                     float(np.abs(ref32.logits(ids) - logits).max()))
        checks["gguf_q8_0_numpy_vs_hf_max_abs"] = max(checks["gguf_q8_0_numpy_vs_hf_max_abs"],
                                                      float(np.abs(ref_q8.logits(ids) - logits).max()))
        checks["logits_abs_max"] = max(checks["logits_abs_max"], float(np.abs(logits).max()))
        if ref32.router_gaps:  # MoE: how close the last chosen expert came to losing its place
            checks["router_min_logit_gap"] = min(checks.get("router_min_logit_gap", np.inf), min(ref32.router_gaps))
        cases.append({"ids": ids, "offset_floats": offset})
        blobs.append(logits.astype("<f4").tobytes())
        offset += logits.size
    with open(os.path.join(out_dir, f"{name}.logits.f32"), "wb") as f:
        f.write(b"".join(blobs))
    checks["reference_agrees"] = checks["gguf_f32_numpy_vs_hf_max_abs"] <= 1e-3
    if not checks["reference_agrees"]:
        print(f"WARNING {name}: GGUF reference disagrees with HF: {checks}")
    window = (spec.get("extra_config") or {}).get("sliding_window")
    if spec["config"] in ("Gemma2Config", "Gemma3TextConfig") and window:
        ids = cases[-1]["ids"]
        want = np.frombuffer(blobs[-1], dtype="<f4").reshape(len(ids), -1)
        checks["window_variants"] = {
            str(w): float(np.abs(LlamaReference(paths["f32"], sliding_window_override=w).logits(ids) - want).max())
            for w in (window - 1, window, window + 1)}

    candidates = []
    for index in range(N_CANDIDATES if spec.get("greedy", True) else 0):
        prompt = rng.integers(0, spec["vocab_size"], size=int(rng.integers(1, 12))).tolist()
        generated, margin = greedy(model, prompt, N_GREEDY)
        candidates.append((margin, index, prompt, generated))
    kept = sorted(sorted(candidates, key=lambda c: -c[0])[:N_KEEP], key=lambda c: c[1])
    greedy_out = []
    for margin, _, prompt, generated in kept:
        ref_generated = greedy_reference(ref32, prompt, N_GREEDY)
        greedy_out.append({"prompt": prompt, "generated": generated, "min_top2_margin": margin,
                           "gguf_f32_numpy_agrees": ref_generated == generated,
                           "hf_generate": generate_check(model, prompt, generated)})
    if candidates:
        checks["candidate_margins"] = sorted(c[0] for c in candidates)
    checks["rope"] = rope_info
    summary = {k: spec[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                    "num_attention_heads", "num_key_value_heads", "max_position_embeddings",
                                    "rms_norm_eps", "tie_word_embeddings", "rope_theta", "rope_scaling", "seed")}
    summary.update({k: spec[k] for k in ("head_dim", "rope_local_theta", "extra_config", "norm_center")
                    if k in spec})
    std = spec["weight_std"]
    summary.update({"class": spec["class"], "weight_std": {"matrix": std["matrix"], "embed": std["embed"],
                                                           "bias": std["bias"],
                                                           **({"router": std["router"]} if "router" in std else {}),
                                                           "norm": f"{spec.get('norm_center', 1.0):g}+N(0,{std['norm']}^2)"
                                                           if std["norm"] else "1"},
                    "tokenizer_vocab": tok.get_vocab_size()})
    doc = {
        "arch": hf_to_gguf.ARCHS[spec["class"]],
        "n_vocab": spec["vocab_size"],
        "config": summary,
        "files": {**{t: os.path.basename(paths[t]) for t in ("f32", "q8_0") if t in keep},
                  "logits": f"{name}.logits.f32"},
        "cases": cases,
        "greedy": greedy_out,
        "attn_implementation": getattr(model.config, "_attn_implementation", None),
        "experts_implementation": getattr(model.config, "_experts_implementation", None),
        "checks": checks,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "numpy": np.__version__},
    }
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    return doc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default=None, help="where the HF directories go (default: a new temp dir)")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args(argv)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    os.makedirs(args.out, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="hearth-fixtures-")
    failed = []
    for name in args.models.split(","):
        try:
            doc = make_one(name, MODELS[name], args.out, work)
        except Exception:  # noqa: BLE001 - one family's API drift must not cost the others' fixtures
            traceback.print_exc()
            failed.append(name)
            continue
        print(name, json.dumps({"checks": {k: v for k, v in doc["checks"].items() if k != "rope"},
                                "greedy": [(g["min_top2_margin"], g["gguf_f32_numpy_agrees"], g["hf_generate"])
                                           for g in doc["greedy"]],
                                "rope": {k: v for k, v in doc["checks"]["rope"].items()
                                         if not k.endswith("inv_freq")}}))
    if failed:
        print(f"FAILED: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

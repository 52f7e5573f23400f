"""The `whisper` GGUF layout: HF WhisperForConditionalGeneration <-> GGUF, and deterministic test weights.

GGUF has no standard Whisper architecture (whisper.cpp uses its own ggml format), so hearth
follows llama.cpp's encoder-decoder names (its T5 tensors: "enc.blk.N.*", "dec.blk.N.*",
"cross_attn_*", "*_o") and its audio-encoder name for the convolutions ("conv1d"):

  global                         HF (model.*)                          numpy shape
  enc.conv1d.0.weight / .bias    encoder.conv1                         [d, n_mels, 3] / [d]
  enc.conv1d.1.weight / .bias    encoder.conv2 (stride 2)              [d, d, 3] / [d]
  enc.position_embd.weight       encoder.embed_positions (sinusoids)   [n_audio_ctx, d]
  enc.output_norm.weight / .bias encoder.layer_norm                    [d]
  token_embd.weight              decoder.embed_tokens (= proj_out)     [n_vocab, d]
  dec.position_embd.weight       decoder.embed_positions               [n_text_ctx, d]
  dec.output_norm.weight / .bias decoder.layer_norm                    [d]
  per encoder block (enc.blk.N.) and decoder block (dec.blk.N.), HF (*.layers.N.):
  attn_norm.weight / .bias       self_attn_layer_norm
  attn_q.weight / .bias          self_attn.q_proj                      [d, d]
  attn_k.weight                  self_attn.k_proj (Whisper's K has no bias)
  attn_v.weight / .bias          self_attn.v_proj
  attn_o.weight / .bias          self_attn.out_proj
  cross_attn_norm.*, cross_attn_q/k/v/o.*   encoder_attn_layer_norm, encoder_attn.* (decoder only)
  ffn_norm.weight / .bias        final_layer_norm
  ffn_up.weight / .bias          fc1                                   [n_ff, d]
  ffn_down.weight / .bias        fc2                                   [d, n_ff]

Keys ("whisper." prefix): vocab_size, context_length (decoder positions, max_target_positions),
embedding_length, block_count (encoder layers), decoder_block_count (llama.cpp's key for a decoder
stack of its own), feed_forward_length, attention.head_count, attention.layer_norm_epsilon,
audio.num_mel_bins, audio.context_length (encoder positions, max_source_positions). The
special tokens (<|startoftranscript|>, languages, tasks, <|notimestamps|>, timestamps) are found
by their text in tokenizer.ggml.tokens. proj_out is always tied to token_embd (every released
Whisper); encoder and decoder share d, heads and n_ff (every released size), which the
converter checks.

Deterministic weights (`det_uniform`): the parity fixtures use whisper-tiny's shape, too large to
commit, so the weights are a pure function of each GGUF tensor name, recomputed by the fixture
script (for transformers) and by the C++ test writer (tests/media/whisper_test_model.cpp):
splitmix64 of (fnv1a32(name) << 32 | index), top 24 bits as k / 2^23 - 1 in [-1, 1).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

# Whisper's language tokens in vocabulary order (99; large-v3 adds "yue" as the 100th).
LANGUAGES = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th "
             "ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl "
             "mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg "
             "as tt haw ln ha ba jw su yue").split()
N_TIMESTAMPS = 1501  # <|0.00|> .. <|30.00|> in steps of 0.02 s


def special_tokens(n_languages: int) -> list[str]:
    """The special tokens after the text tokens, in Whisper's id order."""
    if n_languages not in (99, 100):
        raise ValueError(f"{n_languages} languages: Whisper has 99 (v1, v2) or 100 (v3)")
    out = ["<|endoftext|>", "<|startoftranscript|>"]
    out += [f"<|{lang}|>" for lang in LANGUAGES[:n_languages]]
    out += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
            "<|notimestamps|>"]
    out += [f"<|{i * 0.02:.2f}|>" for i in range(N_TIMESTAMPS)]
    return out


@dataclass
class WhisperParams:
    n_vocab: int
    n_mels: int
    n_embd: int
    n_head: int
    n_ff: int
    n_enc_layer: int
    n_dec_layer: int
    n_audio_ctx: int = 1500
    n_text_ctx: int = 448
    ln_eps: float = 1e-5


def params_from_config(config: dict) -> WhisperParams:
    def need(key):
        if key not in config:
            raise ValueError(f"config.json has no {key}")
        return int(config[key])
    if need("encoder_attention_heads") != need("decoder_attention_heads"):
        raise ValueError("encoder and decoder head counts differ (no released Whisper does)")
    if need("encoder_ffn_dim") != need("decoder_ffn_dim"):
        raise ValueError("encoder and decoder FFN sizes differ (no released Whisper does)")
    act = config.get("activation_function", "gelu")
    if act != "gelu":
        raise ValueError(f"activation_function {act!r}: Whisper uses 'gelu'")
    if config.get("scale_embedding", False):
        raise ValueError("scale_embedding is true: Whisper does not scale its embeddings")
    if not config.get("tie_word_embeddings", True):
        raise ValueError("tie_word_embeddings is false: Whisper ties proj_out to the token embedding")
    return WhisperParams(n_vocab=need("vocab_size"), n_mels=need("num_mel_bins"), n_embd=need("d_model"),
                         n_head=need("encoder_attention_heads"), n_ff=need("encoder_ffn_dim"),
                         n_enc_layer=need("encoder_layers"), n_dec_layer=need("decoder_layers"),
                         n_audio_ctx=need("max_source_positions"), n_text_ctx=need("max_target_positions"))


_ATTN = {"q_proj.weight": "q.weight", "q_proj.bias": "q.bias", "k_proj.weight": "k.weight",
         "v_proj.weight": "v.weight", "v_proj.bias": "v.bias", "out_proj.weight": "o.weight",
         "out_proj.bias": "o.bias"}
_BLOCK = {"self_attn_layer_norm.weight": "attn_norm.weight", "self_attn_layer_norm.bias": "attn_norm.bias",
          "encoder_attn_layer_norm.weight": "cross_attn_norm.weight",
          "encoder_attn_layer_norm.bias": "cross_attn_norm.bias",
          "final_layer_norm.weight": "ffn_norm.weight", "final_layer_norm.bias": "ffn_norm.bias",
          "fc1.weight": "ffn_up.weight", "fc1.bias": "ffn_up.bias",
          "fc2.weight": "ffn_down.weight", "fc2.bias": "ffn_down.bias"}
for _hf, _gg in _ATTN.items():
    _BLOCK["self_attn." + _hf] = "attn_" + _gg
    _BLOCK["encoder_attn." + _hf] = "cross_attn_" + _gg
_GLOBAL = {"model.encoder.conv1.weight": "enc.conv1d.0.weight", "model.encoder.conv1.bias": "enc.conv1d.0.bias",
           "model.encoder.conv2.weight": "enc.conv1d.1.weight", "model.encoder.conv2.bias": "enc.conv1d.1.bias",
           "model.encoder.embed_positions.weight": "enc.position_embd.weight",
           "model.encoder.layer_norm.weight": "enc.output_norm.weight",
           "model.encoder.layer_norm.bias": "enc.output_norm.bias",
           "model.decoder.embed_tokens.weight": "token_embd.weight",
           "model.decoder.embed_positions.weight": "dec.position_embd.weight",
           "model.decoder.layer_norm.weight": "dec.output_norm.weight",
           "model.decoder.layer_norm.bias": "dec.output_norm.bias"}
_LAYER = re.compile(r"^model\.(encoder|decoder)\.layers\.(\d+)\.(.+)$")


def gguf_name(hf_name: str) -> str | None:
    """The GGUF name of an HF tensor; None for proj_out.weight (tied)."""
    if hf_name == "proj_out.weight":
        return None
    if hf_name in _GLOBAL:
        return _GLOBAL[hf_name]
    m = _LAYER.match(hf_name)
    if m and m.group(3) in _BLOCK:
        stack = "enc" if m.group(1) == "encoder" else "dec"
        if stack == "enc" and m.group(3).startswith("encoder_attn"):
            raise ValueError(f"{hf_name}: an encoder layer with cross-attention")
        return f"{stack}.blk.{m.group(2)}.{_BLOCK[m.group(3)]}"
    raise ValueError(f"unexpected tensor {hf_name}")


def expected_shapes(p: WhisperParams) -> dict[str, tuple[int, ...]]:
    d, f = p.n_embd, p.n_ff
    shapes: dict[str, tuple[int, ...]] = {
        "enc.conv1d.0.weight": (d, p.n_mels, 3), "enc.conv1d.0.bias": (d,),
        "enc.conv1d.1.weight": (d, d, 3), "enc.conv1d.1.bias": (d,),
        "enc.position_embd.weight": (p.n_audio_ctx, d),
        "enc.output_norm.weight": (d,), "enc.output_norm.bias": (d,),
        "token_embd.weight": (p.n_vocab, d), "dec.position_embd.weight": (p.n_text_ctx, d),
        "dec.output_norm.weight": (d,), "dec.output_norm.bias": (d,)}

    def block(prefix: str, cross: bool) -> None:
        parts = ["attn"] + (["cross_attn"] if cross else [])
        for part in parts:
            shapes[f"{prefix}{part}_norm.weight"] = (d,)
            shapes[f"{prefix}{part}_norm.bias"] = (d,)
            for m in "qkvo":
                shapes[f"{prefix}{part}_{m}.weight"] = (d, d)
                if m != "k":
                    shapes[f"{prefix}{part}_{m}.bias"] = (d,)
        shapes[f"{prefix}ffn_norm.weight"] = (d,)
        shapes[f"{prefix}ffn_norm.bias"] = (d,)
        shapes[f"{prefix}ffn_up.weight"] = (f, d)
        shapes[f"{prefix}ffn_up.bias"] = (f,)
        shapes[f"{prefix}ffn_down.weight"] = (d, f)
        shapes[f"{prefix}ffn_down.bias"] = (d,)
    for i in range(p.n_enc_layer):
        block(f"enc.blk.{i}.", False)
    for i in range(p.n_dec_layer):
        block(f"dec.blk.{i}.", True)
    return shapes


def map_state(state: dict[str, np.ndarray], p: WhisperParams) -> list[tuple[str, np.ndarray]]:
    """HF state dict -> [(GGUF name, array)] in expected_shapes order; checks names and shapes."""
    by_gguf: dict[str, np.ndarray] = {}
    for hf_name, value in state.items():
        name = gguf_name(hf_name)
        if name is not None:
            by_gguf[name] = value
    shapes = expected_shapes(p)
    missing = sorted(set(shapes) - set(by_gguf))
    extra = sorted(set(by_gguf) - set(shapes))
    if missing or extra:
        raise ValueError(f"whisper tensors: missing {missing[:5]}, unexpected {extra[:5]}")
    out = []
    for name, shape in shapes.items():
        if tuple(by_gguf[name].shape) != shape:
            raise ValueError(f"{name}: shape {tuple(by_gguf[name].shape)}, expected {shape}")
        out.append((name, np.ascontiguousarray(by_gguf[name], dtype=np.float32)))
    if "proj_out.weight" in state and not np.array_equal(state["proj_out.weight"],
                                                         by_gguf["token_embd.weight"]):
        raise ValueError("proj_out.weight differs from the token embedding (hearth ties them)")
    return out


def write_metadata(w, p: WhisperParams) -> None:
    a = "whisper"
    w.add_uint32(f"{a}.vocab_size", p.n_vocab)
    w.add_uint32(f"{a}.context_length", p.n_text_ctx)
    w.add_uint32(f"{a}.embedding_length", p.n_embd)
    w.add_uint32(f"{a}.block_count", p.n_enc_layer)
    w.add_uint32(f"{a}.decoder_block_count", p.n_dec_layer)
    w.add_uint32(f"{a}.feed_forward_length", p.n_ff)
    w.add_uint32(f"{a}.attention.head_count", p.n_head)
    w.add_float32(f"{a}.attention.layer_norm_epsilon", p.ln_eps)
    w.add_uint32(f"{a}.audio.num_mel_bins", p.n_mels)
    w.add_uint32(f"{a}.audio.context_length", p.n_audio_ctx)


# ------------------------------------------------------------------ deterministic test weights

_M64 = (1 << 64) - 1


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def det_uniform(name: str, n: int) -> np.ndarray:
    """n values in [-1, 1), exact in float32: a pure function of (name, index)."""
    with np.errstate(over="ignore"):
        x = (np.uint64(fnv1a32(name)) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    k = (z >> np.uint64(40)).astype(np.int64)
    return ((k - (1 << 23)).astype(np.float64) / float(1 << 23)).astype(np.float32)


def sinusoids(length: int, channels: int) -> np.ndarray:
    """Whisper's encoder positions: [sin | cos] of t * 10000^(-i / (channels/2 - 1)), float64 -> float32."""
    inc = math.log(10000.0) / (channels // 2 - 1)
    inv = np.exp(-inc * np.arange(channels // 2, dtype=np.float64))
    t = np.arange(length, dtype=np.float64)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1).astype(np.float32)


def det_tensor(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A test weight: matrices u/8, biases u/32, norm gains 1 + u/8, norm biases u/16, the token
    embedding u (hot logits: wide top-2 margins for greedy parity), decoder positions u/8, encoder
    positions the sinusoids. The same rule as whisper_test_model.cpp."""
    n = int(np.prod(shape))
    if name == "enc.position_embd.weight":
        return sinusoids(shape[0], shape[1])
    u = det_uniform(name, n).astype(np.float64)
    if "norm" in name:
        v = 1.0 + u / 8.0 if name.endswith(".weight") else u / 16.0
    elif name == "token_embd.weight":
        v = u
    elif name.endswith(".bias"):
        v = u / 32.0
    else:
        v = u / 8.0
    return v.astype(np.float32).reshape(shape)


def det_state(p: WhisperParams) -> list[tuple[str, np.ndarray]]:
    return [(name, det_tensor(name, shape)) for name, shape in expected_shapes(p).items()]


def hf_state(tensors: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """GGUF-named tensors -> HF state dict names (proj_out.weight tied, so left out)."""
    inverse = {v: k for k, v in _GLOBAL.items()}
    block_inverse = {v: k for k, v in _BLOCK.items()}
    out = {}
    for name, value in tensors:
        if name in inverse:
            out[inverse[name]] = value
            continue
        stack, _, idx, rest = name.split(".", 3)
        out[f"model.{'encoder' if stack == 'enc' else 'decoder'}.layers.{idx}.{block_inverse[rest]}"] = value
    return out


def byte_level_tokens() -> list[str]:
    """GPT-2's byte -> printable code point map, as 256 single-character tokens in GPT-2's id order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in printable] + [chars[b] for b in range(256) if b not in printable]


def write_tokenizer(w, tokens_text: list[str], n_special: int, merges: list[str]) -> None:
    """tokenizer.* keys of a Whisper vocabulary: byte-level BPE ("gpt2"), specials as control tokens."""
    from gguf_writer import GgufValueType
    n_text = len(tokens_text) - n_special
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "gpt2")
    w.add_array("tokenizer.ggml.tokens", tokens_text, GgufValueType.STRING)
    w.add_array("tokenizer.ggml.token_type", [1] * n_text + [3] * n_special, GgufValueType.INT32)
    w.add_array("tokenizer.ggml.merges", merges, GgufValueType.STRING)
    for key in ("bos", "eos", "eot"):
        w.add_uint32(f"tokenizer.ggml.{key}_token_id", n_text)
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_bool("tokenizer.ggml.add_eos_token", False)


def write_det_gguf(path: str, p: WhisperParams, n_languages: int = 99) -> None:
    """The deterministic test model with a byte-level vocabulary of 256 text tokens (no merges)."""
    from gguf_writer import GgmlType, GgufWriter
    tokens = byte_level_tokens() + special_tokens(n_languages)
    if len(tokens) != p.n_vocab:
        raise ValueError(f"vocabulary of {len(tokens)} tokens for n_vocab {p.n_vocab}")
    w = GgufWriter()
    w.add_string("general.architecture", "whisper")
    w.add_string("general.name", os.path.basename(path))
    w.add_uint32("general.file_type", 0)
    write_metadata(w, p)
    write_tokenizer(w, tokens, len(tokens) - 256, [])
    for name, value in det_state(p):
        w.add_tensor(name, value, GgmlType.F32)
    w.write(path)

#!/usr/bin/env python3
"""Whisper parity fixtures: transformers' WhisperFeatureExtractor and WhisperForConditionalGeneration
on deterministic clips, with a random-weight model of whisper-tiny's shape.

Runs where torch and transformers are installed (the device). The model: whisper-tiny's dimensions
(d 384, 6 heads, 4 + 4 layers, n_ff 1536, 80 mels, 1500 audio and 448 text positions) with a small
vocabulary of 256 byte-level text tokens followed by Whisper's 1608 special tokens in their usual
order (n_vocab 1864; <|endoftext|> = 256, <|startoftranscript|> = 257, <|en|> = 258, ...,
<|notimestamps|> = 362, <|0.00|> = 363). Its weights are whisper_gguf.det_state: a pure function of
each GGUF tensor name, so the C++ tests rebuild the same model without a committed checkpoint.

The clips are made here from formulas (a two-tone chord, a chirp, white noise then silence, and a
vowel-like pulse train through formant resonators, the kind of signal eSpeak makes) and written as
16-bit WAV; everything below is computed from the 16-bit samples.

Writes into --out (tests/fixtures/whisper/):
  clip_<name>.wav            16 kHz mono s16
  whisper.json               model config, token layout, per clip: n_samples, frames kept,
                             greedy ids (with and without <|notimestamps|>), min top-2 margin,
                             language-token argmax; "checks": HF float32 vs float64 and the numpy vs
                             default feature path; "errors": anything that failed
  features80.f32             per clip [80 x n_frames_kept] (HF layout, row = mel bin), concatenated
  features128.f32            the first clip with 128 mel bins (large-v3's front end)
  encoder.f32                per clip the encoder output rows listed in whisper.json ("encoder_rows")
  logits.f32                 per clip [n_logit_rows x n_vocab]: the last full forward pass of the
                             greedy loop, first n_logit_rows positions
All float32 little-endian. Greedy loops are argmax over a full forward pass per step (no cache),
eager attention, float32 on the CPU, no suppression and no timestamp rules: the raw argmax the
engine's rules are applied on top of.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import whisper_gguf  # noqa: E402

SAMPLE_RATE = 16000
N_GREEDY = 20
N_LOGIT_ROWS = 8
ENCODER_ROWS = list(range(16)) + list(range(100, 1500, 100)) + [1499]


def tiny_params() -> whisper_gguf.WhisperParams:
    n_vocab = 256 + len(whisper_gguf.special_tokens(99))
    return whisper_gguf.WhisperParams(n_vocab=n_vocab, n_mels=80, n_embd=384, n_head=6, n_ff=1536,
                                      n_enc_layer=4, n_dec_layer=4)


def make_clips() -> dict[str, np.ndarray]:
    """Float signals in [-1, 1]; quantized to int16 by the caller."""
    t15 = np.arange(int(1.5 * SAMPLE_RATE)) / SAMPLE_RATE
    clips = {"tones": 0.3 * np.sin(2 * np.pi * 440 * t15) + 0.1 * np.sin(2 * np.pi * 880 * t15 + 0.5)}
    t2 = np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t2, 2.0 - t2) / 0.05)
    clips["chirp"] = 0.5 * fade * np.sin(2 * np.pi * (200 * t2 + 0.5 * (3800 / 2.0) * t2 ** 2))
    noise = whisper_gguf.det_uniform("clip.noise", SAMPLE_RATE).astype(np.float64) * 0.2
    clips["noise"] = np.concatenate([noise, np.zeros(SAMPLE_RATE // 2)])
    # Vowels: a 120 Hz impulse train through three two-pole resonators per vowel.
    formants = {"a": (730, 1090, 2440), "i": (270, 2290, 3010), "u": (300, 870, 2240)}
    parts = []
    for vowel in "aiu":
        n = int(0.4 * SAMPLE_RATE)
        x = np.zeros(n)
        x[::SAMPLE_RATE // 120] = 1.0
        y = np.zeros(n)
        for f, bw in zip(formants[vowel], (80, 100, 120)):
            r = np.exp(-np.pi * bw / SAMPLE_RATE)
            a1, a2 = 2 * r * np.cos(2 * np.pi * f / SAMPLE_RATE), -r * r
            out = np.zeros(n)
            for k in range(n):
                out[k] = x[k] + a1 * (out[k - 1] if k >= 1 else 0) + a2 * (out[k - 2] if k >= 2 else 0)
            y += out
        y = 0.4 * y / np.max(np.abs(y))
        parts += [y, np.zeros(SAMPLE_RATE // 10)]
    clips["vowels"] = np.concatenate(parts)
    return clips


def write_wav(path: str, samples_i16: np.ndarray) -> None:
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples_i16.astype("<i2").tobytes())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    import torch
    import transformers
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(8)

    p = tiny_params()
    n_text = 256
    specials = whisper_gguf.special_tokens(99)
    tok = {t: n_text + i for i, t in enumerate(specials)}
    sot, eot, en = tok["<|startoftranscript|>"], tok["<|endoftext|>"], tok["<|en|>"]
    transcribe, translate, notimestamps = tok["<|transcribe|>"], tok["<|translate|>"], tok["<|notimestamps|>"]
    meta: dict = {"transformers": transformers.__version__, "torch": torch.__version__,
                  "params": p.__dict__, "n_text_tokens": n_text,
                  "tokens": {"eot": eot, "sot": sot, "en": en, "translate": translate, "transcribe": transcribe,
                             "notimestamps": notimestamps, "timestamp_begin": tok["<|0.00|>"]},
                  "encoder_rows": ENCODER_ROWS, "n_logit_rows": N_LOGIT_ROWS, "clips": [], "checks": {},
                  "errors": []}

    cfg = WhisperConfig(vocab_size=p.n_vocab, num_mel_bins=p.n_mels, encoder_layers=p.n_enc_layer,
                        encoder_attention_heads=p.n_head, decoder_layers=p.n_dec_layer,
                        decoder_attention_heads=p.n_head, encoder_ffn_dim=p.n_ff, decoder_ffn_dim=p.n_ff,
                        d_model=p.n_embd, max_source_positions=p.n_audio_ctx, max_target_positions=p.n_text_ctx,
                        pad_token_id=eot, bos_token_id=eot, eos_token_id=eot, decoder_start_token_id=sot,
                        activation_function="gelu", dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
                        scale_embedding=False, tie_word_embeddings=True, suppress_tokens=None,
                        begin_suppress_tokens=None, use_cache=False)
    try:
        model = WhisperForConditionalGeneration._from_config(cfg, attn_implementation="eager")
    except Exception:  # older transformers
        model = WhisperForConditionalGeneration(cfg)
    tensors = whisper_gguf.det_state(p)
    state = {k: torch.from_numpy(v.copy()) for k, v in whisper_gguf.hf_state(tensors).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    meta["checks"]["load_missing"] = list(missing)
    meta["checks"]["load_unexpected"] = list(unexpected)
    model.tie_weights()
    assert torch.equal(model.proj_out.weight, model.model.decoder.embed_tokens.weight), "proj_out not tied"
    model.eval()
    model64 = WhisperForConditionalGeneration(cfg)
    model64.load_state_dict(model.state_dict())
    model64 = model64.double().eval()

    # The converter on transformers' own checkpoint.
    try:
        import tempfile
        import hf_to_gguf
        with tempfile.TemporaryDirectory() as d:
            model.save_pretrained(d, safe_serialization=True)
            saved = hf_to_gguf.load_state_dict(d)
            mapped = whisper_gguf.map_state(saved, p)
            meta["checks"]["converter_matches_det_state"] = all(
                a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(mapped, tensors))
            meta["checks"]["saved_tensor_names"] = sorted(saved)[:8]
    except Exception:
        meta["errors"].append("converter: " + traceback.format_exc())

    fe80 = WhisperFeatureExtractor(feature_size=80)
    fe128 = WhisperFeatureExtractor(feature_size=128)
    feats80, feats128, enc_out, logits_out = [], [], [], []
    checks = meta["checks"]
    for clip_idx, (name, signal) in enumerate(make_clips().items()):
        s16 = np.clip(np.round(signal * 32767.0), -32768, 32767).astype(np.int16)
        write_wav(os.path.join(args.out, f"clip_{name}.wav"), s16)
        audio = s16.astype(np.float32) / 32768.0
        entry: dict = {"name": name, "n_samples": int(len(audio))}
        try:
            f = fe80(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features[0]  # [80, 3000]
            padded = np.zeros(480000, dtype=np.float32)
            padded[:len(audio)] = audio
            f_np = fe80._np_extract_fbank_features(padded[None, :], "cpu")[0] if hasattr(
                fe80, "_np_extract_fbank_features") else f
            checks.setdefault("features_np_vs_default_max_abs", []).append(float(np.max(np.abs(f_np - f))))
            n_keep = min(3000, len(audio) // 160 + 12)
            entry["n_frames_kept"] = n_keep
            entry["features_sum"] = float(np.sum(f.astype(np.float64)))
            entry["features_pad_value"] = float(f[0, -1])
            feats80.append(np.ascontiguousarray(f[:, :n_keep]))
            if clip_idx == 0:
                f128 = fe128(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features[0]
                feats128.append(np.ascontiguousarray(f128[:, :n_keep]))
                entry["features128_sum"] = float(np.sum(f128.astype(np.float64)))
            x = torch.from_numpy(f[None].copy())
            with torch.no_grad():
                e = model.model.encoder(x).last_hidden_state[0]
                e64 = model64.model.encoder(x.double()).last_hidden_state[0]
            enc_out.append(e[ENCODER_ROWS].numpy())
            checks.setdefault("encoder_f32_vs_f64_max_abs", []).append(float((e.double() - e64).abs().max()))
            entry["encoder_max_abs"] = float(e.abs().max())

            for mode, prefix in (("notimestamps", [sot, en, transcribe, notimestamps]),
                                 ("timestamps", [sot, en, transcribe])):
                ids = list(prefix)
                margins = []
                with torch.no_grad():
                    for _ in range(N_GREEDY):
                        lg = model(input_features=x, decoder_input_ids=torch.tensor([ids])).logits[0]
                        last = lg[-1]
                        top2 = torch.topk(last, 2).values
                        margins.append(float(top2[0] - top2[1]))
                        ids.append(int(torch.argmax(last)))
                    lg = model(input_features=x, decoder_input_ids=torch.tensor([ids])).logits[0]
                    lg64 = model64(input_features=x.double(), decoder_input_ids=torch.tensor([ids])).logits[0]
                entry[f"greedy_{mode}"] = ids
                entry[f"min_margin_{mode}"] = min(margins)
                checks.setdefault("logits_f32_vs_f64_max_abs", []).append(float((lg.double() - lg64).abs().max()))
                if mode == "notimestamps":
                    logits_out.append(lg[:N_LOGIT_ROWS].numpy())
                    entry["logits_max_abs"] = float(lg.abs().max())
                    lang_ids = list(range(en, en + 99))
                    entry["language_argmax"] = int(lang_ids[int(torch.argmax(lg[0, lang_ids]))])
        except Exception:
            meta["errors"].append(f"clip {name}: " + traceback.format_exc())
        meta["clips"].append(entry)

    # transformers' own generate() with the timestamp rules, where its generation config accepts this layout.
    try:
        gc = model.generation_config
        gc.no_timestamps_token_id = notimestamps
        gc.lang_to_id = {f"<|{lang}|>": en + i for i, lang in enumerate(whisper_gguf.LANGUAGES[:99])}
        gc.task_to_id = {"transcribe": transcribe, "translate": translate}
        gc.is_multilingual = True
        gc.max_initial_timestamp_index = 50
        gc.suppress_tokens = []
        gc.begin_suppress_tokens = []
        gc.decoder_start_token_id = sot
        gc.eos_token_id = eot
        gc.pad_token_id = eot
        gc.forced_decoder_ids = None
        out = []
        for entry, f in zip(meta["clips"], feats80):
            full = np.full((80, 3000), entry["features_pad_value"], dtype=np.float32)
            full[:, :f.shape[1]] = f
            x = torch.from_numpy(full[None])
            with torch.no_grad():
                g = model.generate(x, language="en", task="transcribe", return_timestamps=True,
                                   max_new_tokens=N_GREEDY, do_sample=False)
                seq = g.sequences if hasattr(g, "sequences") else g
                out.append([int(v) for v in seq[0]])
                try:
                    out_lang = model.detect_language(x)
                    entry["hf_detect_language"] = [int(v) for v in out_lang.flatten()]
                except Exception as e:
                    entry["hf_detect_language_error"] = repr(e)[:300]
        meta["hf_generate_timestamps"] = out
    except Exception:
        meta["errors"].append("generate: " + traceback.format_exc()[-1500:])

    def dump(fname: str, arrays: list[np.ndarray]) -> None:
        with open(os.path.join(args.out, fname), "wb") as fh:
            for a in arrays:
                fh.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
    dump("features80.f32", feats80)
    dump("features128.f32", feats128)
    dump("encoder.f32", enc_out)
    dump("logits.f32", logits_out)
    with open(os.path.join(args.out, "whisper.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps({k: v for k, v in meta.items() if k != "clips"}, indent=1)[:6000])
    for entry in meta["clips"]:
        print(entry.get("name"), entry.get("greedy_notimestamps"), entry.get("min_margin_notimestamps"))
    return 1 if meta["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

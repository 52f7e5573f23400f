#!/usr/bin/env python3
"""Parity fixtures for embedding models on a decoder family (Qwen3-Embedding's layout).

A random-weight HF Qwen3 model (make_parity_fixtures.py's "qwen3" spec with its own seed) is saved
as a sentence-transformers directory whose Pooling module takes the last token, converted by
hf_to_gguf.py (which writes qwen3.pooling_type = 3 from it) to f32 and q8_0, and each case's
vector is computed by transformers: Qwen3Model's last_hidden_state (after the final norm) at the
last position, in float32 with eager attention, L2-normalized (as Qwen3-Embedding's
sentence-transformers pipeline does). Writes into --out:

  qwen3-embedding-f32.gguf, qwen3-embedding-q8_0.gguf
  qwen3-embedding.json   {"pooling": 3, "n_embd", "files", "cases": [{"ids", "vector"}], "versions", "checks"}

checks records float32 against float64 (max abs over the normalized vectors). Runs where torch and
transformers are installed (the device machine, on its CPU); deterministic (numpy default_rng).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_to_gguf  # noqa: E402
import make_parity_fixtures as parity  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import normalizers  # noqa: E402

NAME = "qwen3-embedding"
SEED = 808
CASE_LENGTHS = [1, 2, 5, 17, 40]


def last_token_vector(model, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        hidden = model.model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False).last_hidden_state
    vector = hidden[0, -1].to(torch.float64).numpy()
    return vector / np.linalg.norm(vector)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default=None, help="where the HF directory goes (default: a new temp dir)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="hearth-embedding-")
    spec = dict(parity.MODELS["qwen3"], seed=SEED)

    tok = parity.train_tokenizer(spec["tokenizer"], spec["vocab_size"], spec["seed"])
    model = parity.build_model(spec, parity.build_config(spec, tok))
    model_dir = os.path.join(work, NAME)
    model.save_pretrained(model_dir)
    # Real Qwen tokenizers normalize with NFC, which the converter requires of the "qwen2" pre-tokenizer.
    tok.normalizer = normalizers.NFC()
    tok.save(os.path.join(model_dir, "tokenizer.json"))
    tspec = spec["tokenizer"]
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": tspec["bos"], "eos_token": tspec["eos"], "add_bos_token": tspec["add_bos"],
                   "add_eos_token": False}, f, indent=1)
    # sentence-transformers' layout: the transformer, then a Pooling module taking the last token.
    with open(os.path.join(model_dir, "modules.json"), "w", encoding="utf-8") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
                  f, indent=1)
    os.makedirs(os.path.join(model_dir, "1_Pooling"), exist_ok=True)
    with open(os.path.join(model_dir, "1_Pooling", "config.json"), "w", encoding="utf-8") as f:
        json.dump({"word_embedding_dimension": spec["hidden_size"], "pooling_mode_cls_token": False,
                   "pooling_mode_mean_tokens": False, "pooling_mode_lasttoken": True}, f, indent=1)
    files = {}
    for out_type in ("f32", "q8_0"):
        files[out_type] = f"{NAME}-{out_type}.gguf"
        hf_to_gguf.convert_model(model_dir, os.path.join(args.out, files[out_type]), out_type,
                                 name=f"hearth-parity-{NAME}")

    model64 = copy.deepcopy(model).to(torch.float64)
    rng = np.random.default_rng(SEED + 1)
    cases = []
    worst = 0.0
    for length in CASE_LENGTHS:
        ids = rng.integers(0, spec["vocab_size"], size=length).tolist()
        vector = last_token_vector(model, ids)
        worst = max(worst, float(np.abs(vector - last_token_vector(model64, ids)).max()))
        cases.append({"ids": ids, "vector": [float(np.float32(value)) for value in vector]})
    doc = {
        "arch": "qwen3",
        "pooling": 3,
        "n_embd": spec["hidden_size"],
        "config": {"base_spec": "make_parity_fixtures.py MODELS['qwen3']", "seed": SEED},
        "files": files,
        "cases": cases,
        "checks": {"hf_fp32_vs_fp64_max_abs": worst},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
    }
    with open(os.path.join(args.out, f"{NAME}.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"{NAME}: {len(cases)} cases, fp32 vs fp64 {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Parity fixtures for the `bert` family: embeddings (mean and cls pooling) and rerank scores.

Two phases, because the device machine (with torch) is scarce and the converter keeps changing:

  --reference OUT   (needs torch + transformers; the device machine) builds random-weight HF models
                    and writes each as an HF directory under OUT/hf/<name>/ plus OUT/<name>.json
                    with the inputs and HF's outputs:
      bert-mean      BertModel + sentence-transformers Pooling (mean), as all-MiniLM-L6-v2
      bert-cls       the same weights with cls pooling, as bge-base-en-v1.5
      bert-rerank    BertForSequenceClassification, 1 label (pooler dense + tanh, classifier),
                     as the ms-marco MiniLM cross-encoders; inputs are [CLS] q [SEP] d [SEP] with token types
      xlmr-rerank    XLMRobertaForSequenceClassification, 1 label (classifier.dense + tanh,
                     classifier.out_proj), as bge-reranker-base; positions start at pad_token_id + 1
  --convert OUT     (numpy only) converts each OUT/hf/<name>/ with hf_to_gguf.py to
                    OUT/<name>-f32.gguf and OUT/<name>-q8_0.gguf (OUT/hf is not committed).

Vectors are last_hidden_state pooled (mean over the input's positions, or position 0) and
L2-normalized, as sentence-transformers' Pooling + Normalize do for one unpadded input; scores are
the classifier's logit. Float32 with eager attention; checks record float32 against float64.
The weights are drawn with a larger spread than BERT's init (std 0.1; LayerNorm gains 1 + N(0, 0.1),
biases N(0, 0.1)) so attention is not uniform and every bias matters. The tokenizer.json is a small
uncased WordPiece vocabulary (the graph is checked on ids; tokenizer parity has its own fixture).
Deterministic (torch.manual_seed, numpy default_rng).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SEED = 1204
HIDDEN, LAYERS, HEADS, FF, POSITIONS, TYPES = 64, 2, 4, 128, 96, 2
CASE_LENGTHS = [1, 3, 8, 31, 90]
PAIR_LENGTHS = [(2, 3), (5, 20), (12, 40), (30, 60)]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_vocab() -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"
    words = ("the of and to in is that it was for on are as with embedding rerank query document "
             "model vector search token encoder hello world").split()
    vocab = SPECIALS + list(letters) + ["##" + c for c in letters] + words + ["##" + w for w in ("ing", "ed", "s", "er")]
    return vocab


def tokenizer_json(vocab: list[str]) -> dict:
    ids = {t: i for i, t in enumerate(vocab)}
    special = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}  # noqa: E731
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in SPECIALS],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, special("[SEP]")],
                           "pair": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, special("[SEP]"),
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }


def write_dir(model, path: str, vocab: list[str], pooling: str | None) -> None:
    model.save_pretrained(path, safe_serialization=True)
    with open(os.path.join(path, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab), f)
    with open(os.path.join(path, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"do_lower_case": True, "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]",
                   "pad_token": "[PAD]", "mask_token": "[MASK]", "model_max_length": POSITIONS}, f)
    if pooling is None:
        return
    with open(os.path.join(path, "modules.json"), "w", encoding="utf-8") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
                  f, indent=1)
    os.makedirs(os.path.join(path, "1_Pooling"), exist_ok=True)
    with open(os.path.join(path, "1_Pooling", "config.json"), "w", encoding="utf-8") as f:
        json.dump({"word_embedding_dimension": HIDDEN, "pooling_mode_cls_token": pooling == "cls",
                   "pooling_mode_mean_tokens": pooling == "mean", "pooling_mode_lasttoken": False}, f, indent=1)


def randomize(model, torch) -> None:
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=gen, dtype=torch.float32) * 0.1
            if "LayerNorm.weight" in name:
                param.copy_(1.0 + noise)
            else:
                param.copy_(noise)


def reference(out: str) -> int:
    import torch
    import transformers
    from transformers import BertConfig, BertForSequenceClassification, BertModel, XLMRobertaConfig
    from transformers import XLMRobertaForSequenceClassification

    torch.manual_seed(SEED)
    vocab = wordpiece_vocab()
    common = dict(vocab_size=len(vocab), hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                  intermediate_size=FF, hidden_act="gelu", hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0, layer_norm_eps=1e-12, pad_token_id=0)
    hf_dir = os.path.join(out, "hf")
    os.makedirs(hf_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__}

    def eager(model):
        return model.eval()

    def build(cls, config, **kwargs):
        try:
            return cls._from_config(config, attn_implementation="eager", **kwargs)
        except (TypeError, ValueError):
            config._attn_implementation = "eager"
            return cls(config, **kwargs)

    # Embedders.
    encoder = eager(build(BertModel, BertConfig(max_position_embeddings=POSITIONS, type_vocab_size=TYPES, **common),
                          add_pooling_layer=False))
    randomize(encoder, torch)
    encoder64 = copy.deepcopy(encoder).to(torch.float64)
    cases_ids = [[2] + rng.integers(5, len(vocab), size=n - 2).tolist() + [3] if n > 2
                 else rng.integers(5, len(vocab), size=n).tolist() for n in CASE_LENGTHS]
    for name, pooling in (("bert-mean", "mean"), ("bert-cls", "cls")):
        write_dir(encoder, os.path.join(hf_dir, name), vocab, pooling)
        cases, worst = [], 0.0
        for ids in cases_ids:
            vectors = []
            for m in (encoder, encoder64):
                with torch.no_grad():
                    hidden = m(input_ids=torch.tensor([ids])).last_hidden_state[0].to(torch.float64).numpy()
                v = hidden.mean(axis=0) if pooling == "mean" else hidden[0]
                vectors.append(v / np.linalg.norm(v))
            worst = max(worst, float(np.abs(vectors[0] - vectors[1]).max()))
            cases.append({"ids": ids, "vector": [float(np.float32(x)) for x in vectors[0]]})
        doc = {"arch": "bert", "pooling": 1 if pooling == "mean" else 2, "n_embd": HIDDEN, "seed": SEED,
               "files": {"f32": f"{name}-f32.gguf", "q8_0": f"{name}-q8_0.gguf"}, "cases": cases,
               "checks": {"hf_fp32_vs_fp64_max_abs": worst}, "versions": versions}
        with open(os.path.join(out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        print(f"{name}: {len(cases)} cases, fp32 vs fp64 {worst:.2e}")

    # Rerankers: one logit per (query, document) pair.
    pairs = []
    for n_query, n_doc in PAIR_LENGTHS:
        query = rng.integers(5, len(vocab), size=n_query).tolist()
        document = rng.integers(5, len(vocab), size=n_doc).tolist()
        pairs.append((query, document))
    bert_cls = eager(build(BertForSequenceClassification, BertConfig(max_position_embeddings=POSITIONS,
                                                                     type_vocab_size=TYPES, num_labels=1, **common)))
    xlmr_common = dict(common, pad_token_id=0, bos_token_id=2, eos_token_id=3)
    xlmr = eager(build(XLMRobertaForSequenceClassification, XLMRobertaConfig(
        max_position_embeddings=POSITIONS + 1, type_vocab_size=1, num_labels=1, **xlmr_common)))
    for name, model, double_sep, types in (("bert-rerank", bert_cls, False, True),
                                           ("xlmr-rerank", xlmr, True, False)):
        randomize(model, torch)
        model64 = copy.deepcopy(model).to(torch.float64)
        write_dir(model, os.path.join(hf_dir, name), vocab, None)
        cases, worst = [], 0.0
        for query, document in pairs:
            first = [2] + query + [3] + ([3] if double_sep else [])
            ids = first + document + [3]
            segments = [0] * len(first) + [1 if types else 0] * (len(document) + 1)
            scores = []
            for m in (model, model64):
                with torch.no_grad():
                    kwargs = {"token_type_ids": torch.tensor([segments])} if types else {}
                    logits = m(input_ids=torch.tensor([ids]), **kwargs).logits
                scores.append(float(logits[0, 0].to(torch.float64)))
            worst = max(worst, abs(scores[0] - scores[1]))
            cases.append({"ids": ids, "segments": segments, "score": scores[0], "score_fp64": scores[1]})
        doc = {"arch": "bert", "pooling": 4, "n_embd": HIDDEN, "seed": SEED,
               "files": {"f32": f"{name}-f32.gguf", "q8_0": f"{name}-q8_0.gguf"}, "cases": cases,
               "checks": {"hf_fp32_vs_fp64_max_abs": worst}, "versions": versions}
        with open(os.path.join(out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        print(f"{name}: {len(cases)} cases, fp32 vs fp64 {worst:.2e}")
    return 0


def convert(out: str) -> int:
    import hf_to_gguf
    hf_dir = os.path.join(out, "hf")
    for name in sorted(os.listdir(hf_dir)):
        for out_type in ("f32", "q8_0"):
            hf_to_gguf.convert_model(os.path.join(hf_dir, name), os.path.join(out, f"{name}-{out_type}.gguf"),
                                     out_type, name=f"hearth-parity-{name}")
        print(f"{name}: converted")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--reference", metavar="OUT")
    group.add_argument("--convert", metavar="OUT")
    args = parser.parse_args(argv)
    if args.reference:
        return reference(args.reference)
    return convert(args.convert)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

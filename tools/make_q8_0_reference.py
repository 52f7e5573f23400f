"""Reference logits of the q8_0 parity models with their weights as stored.

HF transformers runs the float32 weights, so hearth's q8_0 logits differ from
<name>.logits.f32 by the weight quantization itself (about 3e-2 relative for
these small, deliberately peaked models) plus whatever the engine adds. This
script separates the two: it runs llama_reference.py's float64 forward pass
(proven equal to HF within 2e-5 on the f32 files by make_parity_fixtures.py)
over the dequantized q8_0 weights, for the same cases, and writes
<name>-q8_0.logits.f32 in the layout of <name>.logits.f32. The parity test
holds hearth's q8_0 engine (8-bit activations, F16 KV cache) to it.

Runs anywhere numpy does:  python3 tools/make_q8_0_reference.py tests/fixtures/parity [NAME,NAME...]
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import LlamaReference  # noqa: E402


def main(argv: list[str]) -> int:
    fixture_dir = argv[1] if len(argv) > 1 else os.path.join("tests", "fixtures", "parity")
    for name in argv[2].split(",") if len(argv) > 2 else ("llama", "qwen2", "qwen3", "mistral", "gemma3", "phi3"):
        with open(os.path.join(fixture_dir, f"{name}.json"), encoding="utf-8") as f:
            doc = json.load(f)
        reference = LlamaReference(os.path.join(fixture_dir, doc["files"]["q8_0"]))
        blobs = [reference.logits(case["ids"]).astype("<f4").tobytes() for case in doc["cases"]]
        out_path = os.path.join(fixture_dir, f"{name}-q8_0.logits.f32")
        with open(out_path, "wb") as f:
            f.write(b"".join(blobs))
        print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

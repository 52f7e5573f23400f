#!/usr/bin/env python3
"""Compares the per-tensor types of `hearth synth --type T` with llama-quantize's for the same model.

For each shape: hearth synthesizes an f32 file; llama.cpp's llama-quantize (run
in a root directory holding Debian's llama.cpp-tools, via chroot, so it needs
root) quantizes it to each file type; hearth synthesizes the same shape in that
type; the two files' tensor types are compared name by name. Prints one line
per (shape, type) and every tensor whose types differ; exits 1 on any
difference. Only the types are compared (the values differ: llama.cpp
quantizes with its own rounding, hearth writes its own random draws).

Usage (as root, from the repo root):
  python3 tools/compare_quant_mixes.py --hearth build/hearth --root /work/.cache/llama-root \\
      --shapes tiny,tiny-moe,smollm-135m --types q2_k,q3_k_s,...
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import GgufFile  # noqa: E402

# hearth's --type name -> llama-quantize's type argument.
LLAMA_TYPES = {"q2_k": "Q2_K", "q3_k_s": "Q3_K_S", "q3_k_m": "Q3_K_M", "q3_k_l": "Q3_K_L", "q4_k_s": "Q4_K_S",
               "q4_k_m": "Q4_K_M", "q5_k_s": "Q5_K_S", "q5_k_m": "Q5_K_M", "q6_k": "Q6_K", "q8_0": "Q8_0",
               "q4_0": "Q4_0", "q4_1": "Q4_1", "q5_0": "Q5_0", "q5_1": "Q5_1", "iq4_nl": "IQ4_NL",
               "iq4_xs": "IQ4_XS"}


def tensor_types(path: str) -> dict[str, str]:
    return {name: info.type_name for name, info in GgufFile(path).tensors.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True)
    parser.add_argument("--root", required=True, help="a root with /usr/bin/llama-quantize (chroot)")
    parser.add_argument("--shapes", default="tiny,tiny-moe")
    parser.add_argument("--types", default=",".join(LLAMA_TYPES))
    parser.add_argument("--threads", default="2")
    args = parser.parse_args(argv)
    work = os.path.join(args.root, "tmp", "hearth-mixes")
    os.makedirs(work, exist_ok=True)
    n_diff = 0
    try:
        for shape in args.shapes.split(","):
            f32 = os.path.join(work, f"{shape}-f32.gguf")
            subprocess.run([args.hearth, "synth", "--shape", shape, "--type", "f32", "-o", f32], check=True,
                           capture_output=True)
            for ftype in args.types.split(","):
                ours = os.path.join(work, f"{shape}-{ftype}-hearth.gguf")
                theirs = os.path.join(work, f"{shape}-{ftype}-llama.gguf")
                subprocess.run([args.hearth, "synth", "--shape", shape, "--type", ftype, "-o", ours], check=True,
                               capture_output=True)
                inside = lambda p: "/" + os.path.relpath(p, args.root)  # noqa: E731
                subprocess.run(["chroot", args.root, "llama-quantize", inside(f32), inside(theirs),
                                LLAMA_TYPES[ftype], args.threads], check=True, capture_output=True)
                a, b = tensor_types(ours), tensor_types(theirs)
                diffs = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
                n_diff += len(diffs)
                print(f"{shape} {ftype}: {len(a)} tensors, {len(diffs)} differ")
                for name in diffs:
                    print(f"  {name}: hearth {a.get(name)}, llama-quantize {b.get(name)}")
                os.remove(ours)
                os.remove(theirs)
            os.remove(f32)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if n_diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

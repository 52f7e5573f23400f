"""Tokenizers rebuilt from a GGUF's tokenizer.* keys alone (Python, for checking fixtures).

BpeReference ("gpt2" model) and SpmReference ("llama" model) implement the
algorithms a GGUF engine must implement, reading nothing but the GGUF
metadata; make_tokenizer_fixtures.py and test_tools.py check that they
reproduce HF `tokenizers` on every committed case. That is the evidence that
the GGUF files carry everything needed and that tools/README.md describes the
algorithms correctly. Needs the third-party `regex` module for \\p{L}/\\p{N}.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_to_gguf  # noqa: E402

SPM_SPACE = "\u2581"
PRE_PATTERNS = {"llama-bpe": hf_to_gguf.LLAMA3_PATTERN, "qwen2": hf_to_gguf.QWEN2_PATTERN}


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map used by byte-level BPE vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def split_specials(text: str, specials: list[str]) -> list[tuple[str, bool]]:
    """Leftmost-longest split of text at special-token strings: [(fragment, is_special)]."""
    out, start, pos = [], 0, 0
    by_len = sorted(specials, key=len, reverse=True)
    while pos < len(text):
        hit = next((s for s in by_len if text.startswith(s, pos)), None)
        if hit is None:
            pos += 1
            continue
        if pos > start:
            out.append((text[start:pos], False))
        out.append((hit, True))
        pos += len(hit)
        start = pos
    if start < len(text):
        out.append((text[start:], False))
    return out


class _Vocab:
    def __init__(self, md: dict):
        self.tokens: list[str] = md["tokenizer.ggml.tokens"]
        self.types: list[int] = md["tokenizer.ggml.token_type"]
        self.normal = {t: i for i, t in enumerate(self.tokens) if self.types[i] == hf_to_gguf.TOKEN_NORMAL}
        self.control = {t: i for i, t in enumerate(self.tokens)
                        if self.types[i] in (hf_to_gguf.TOKEN_CONTROL, hf_to_gguf.TOKEN_UNKNOWN)}
        self.user = {t: i for i, t in enumerate(self.tokens) if self.types[i] == hf_to_gguf.TOKEN_USER_DEFINED}
        self.bos = md.get("tokenizer.ggml.bos_token_id")
        self.add_bos = md.get("tokenizer.ggml.add_bos_token", False)
        self.eos = md.get("tokenizer.ggml.eos_token_id")
        self.add_eos = md.get("tokenizer.ggml.add_eos_token", False)

    def fragments(self, text: str, parse_special: bool) -> list[tuple[str, int | None]]:
        """User-defined tokens always match; control tokens only with parse_special."""
        table = dict(self.user)
        if parse_special:
            table.update(self.control)
        return [(frag, table[frag] if special else None) for frag, special in split_specials(text, list(table))]

    def wrap(self, ids: list[int], add_special: bool) -> list[int]:
        if add_special and self.add_bos:
            ids = [self.bos] + ids
        if add_special and self.add_eos:
            ids = ids + [self.eos]
        return ids


class BpeReference(_Vocab):
    def __init__(self, md: dict):
        super().__init__(md)
        import regex  # noqa: PLC0415 - optional dependency, only needed here
        if md["tokenizer.ggml.model"] != "gpt2":
            raise ValueError("not a byte-level BPE vocabulary")
        pre = md["tokenizer.ggml.pre"]
        self.pattern = regex.compile(PRE_PATTERNS[pre])
        self.ignore_merges = pre == "llama-bpe"
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(md["tokenizer.ggml.merges"])}
        self.byte_map = bytes_to_unicode()
        self.byte_unmap = {c: b for b, c in self.byte_map.items()}

    def _word(self, word: str) -> list[int]:
        if self.ignore_merges and word in self.normal:
            return [self.normal[word]]
        symbols = list(word)
        while len(symbols) > 1:
            best = min(range(len(symbols) - 1),
                       key=lambda k: (self.ranks.get((symbols[k], symbols[k + 1]), 1 << 62), k))
            if (symbols[best], symbols[best + 1]) not in self.ranks:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        return [self.normal[s] for s in symbols]

    def encode(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        ids: list[int] = []
        for frag, special_id in self.fragments(text, parse_special):
            if special_id is not None:
                ids.append(special_id)
                continue
            for piece in self.pattern.findall(frag):
                ids.extend(self._word("".join(self.byte_map[b] for b in piece.encode("utf-8"))))
        return self.wrap(ids, add_special)

    def decode(self, ids: list[int]) -> str:
        """Special tokens verbatim; others mapped back to bytes; invalid UTF-8 -> U+FFFD."""
        out, pending = [], bytearray()
        for i in ids:
            if self.types[i] == hf_to_gguf.TOKEN_NORMAL:
                pending.extend(self.byte_unmap[c] for c in self.tokens[i])
            else:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
                out.append(self.tokens[i])
        out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)


class SpmReference(_Vocab):
    def __init__(self, md: dict):
        super().__init__(md)
        if md["tokenizer.ggml.model"] != "llama":
            raise ValueError("not a SentencePiece-style vocabulary")
        self.scores: list[float] = md["tokenizer.ggml.scores"]
        self.add_space_prefix = md.get("tokenizer.ggml.add_space_prefix", True)
        self.byte_ids = {int(t[3:5], 16): i for i, t in enumerate(self.tokens)
                         if self.types[i] == hf_to_gguf.TOKEN_BYTE}

    def _fragment(self, frag: str) -> list[int]:
        text = (SPM_SPACE if self.add_space_prefix else "") + frag.replace(" ", SPM_SPACE)
        symbols = list(text)
        while True:
            best, best_score = -1, None
            for k in range(len(symbols) - 1):
                idx = self.normal.get(symbols[k] + symbols[k + 1])
                if idx is not None and (best_score is None or self.scores[idx] > best_score):
                    best, best_score = k, self.scores[idx]
            if best < 0:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        ids = []
        for s in symbols:
            if s in self.normal:
                ids.append(self.normal[s])
            else:
                ids.extend(self.byte_ids[b] for b in s.encode("utf-8"))
        return ids

    def encode(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        ids: list[int] = []
        for frag, special_id in self.fragments(text, parse_special):
            ids.extend([special_id] if special_id is not None else self._fragment(frag))
        return self.wrap(ids, add_special)

    def decode(self, ids: list[int]) -> str:
        """HF's Llama decoder chain: "▁" -> " ", byte tokens joined (invalid -> U+FFFD),
        then one leading space of the whole string removed."""
        out, pending = [], bytearray()
        for i in ids:
            if self.types[i] == hf_to_gguf.TOKEN_BYTE:
                pending.append(int(self.tokens[i][3:5], 16))
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
            out.append(self.tokens[i].replace(SPM_SPACE, " "))
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        text = "".join(out)
        return text[1:] if text.startswith(" ") else text


def reference_for(md: dict):
    return BpeReference(md) if md["tokenizer.ggml.model"] == "gpt2" else SpmReference(md)

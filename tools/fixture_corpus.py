"""Built-in training text for the fixture tokenizers (no data set is downloaded).

corpus_lines(seed) returns the same lines for the same seed: hand-written
English prose, code, accented Latin, CJK, other scripts, emoji and numbers,
plus seeded pseudo-words so that BPE training has enough distinct pairs to
reach a vocabulary of about 2,000.
"""

from __future__ import annotations

import random

_TEXT = """\
The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!
It's a truth universally acknowledged that a single model in possession of good weights must be in want of a tokenizer.
We'll see; they're sure you've done what I'd have done, and she'd say it isn't so. DON'T SHOUT, IT'S LATE.
In 1969, 600 million people watched the landing; by 2024 the number of devices exceeded 15,000,000,000.
Prices rose 3.5% to $1,299.99 on 2025-03-14 at 09:26:53 UTC (about 1.2e-3 per second).
Call +1 (555) 010-9999 or write to info@example.com, https://example.org/path?q=tokens&n=42#frag
Memory bandwidth bounds decoding: bytes read per token divided by the measured read bandwidth.
Continuous batching packs the next token of each running sequence and chunks of waiting prompts into one batch.
def fibonacci(n: int) -> int:
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
for (int row_idx = 0; row_idx < n_rows; ++row_idx) { sum += a[row_idx] * b[row_idx]; }
#include <vector>
template <typename T> struct Span { const T* data; size_t size; };
if (x != nullptr && x->next) { return std::move(x->value); } else { throw std::runtime_error("oops"); }
{"name": "hearth", "version": "0.1.0", "tags": ["llm", "gguf"], "ok": true, "n": null}
SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id DESC LIMIT 10;
$ ls -la /usr/local/bin | grep -v '^d' && echo "done" > /tmp/out.txt
<html><body><div class="main"><p>Hello, <b>world</b>!</p></div></body></html>
    indented line with four spaces
\tindented line with a tab
Café, naïve, résumé, façade, coöperate, jalapeño, piñata, déjà vu, crème brûlée, Noël.
Über die Straße gehen große Bären; Grüße aus München und Düsseldorf.
São Paulo é a maior cidade do Brasil; ação, coração, não, informação.
¿Dónde está la biblioteca? ¡Qué día más bonito! El niño comió paella en Sevilla.
Ærøskøbing ligger på Ærø. Smørrebrød og rødgrød med fløde. Åsa och Östen åker till Göteborg.
Tiếng Việt có nhiều dấu: người, được, những, trường, nghiêng, Hà Nội, Thành phố Hồ Chí Minh.
Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy. Čeština, Slovenčina, Hrvatski.
Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю.
Καλημέρα κόσμε. Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Ελληνικά γράμματα αβγδ.
مرحبا بالعالم. هذه جملة باللغة العربية مع أرقام ١٢٣٤٥.
שלום עולם. זהו משפט בעברית.
नमस्ते दुनिया। यह हिंदी में एक वाक्य है।
สวัสดีครับ ยินดีต้อนรับสู่ประเทศไทย
你好，世界！今天天气很好，我们去公园散步吧。机器学习和自然语言处理。
中文分词是一个经典问题；大模型的推理需要内存带宽。北京、上海、广州、深圳。
日本語のテキストです。東京は日本の首都です。ひらがな、カタカナ、漢字。
カタカナのトークン：コンピューター、インターネット、プログラミング。
한국어 문장입니다. 서울은 대한민국의 수도입니다. 안녕하세요!
Emoji time 😀😃😄 🎉🎊 👍👎 ❤️🧡💛 🚀🌍 🐍🦀 ✅❌ 🇫🇷🇯🇵🇺🇸
Family 👨‍👩‍👧‍👦, coder 👩‍💻, astronaut 🧑🏽‍🚀, rainbow flag 🏳️‍🌈, waving 👋🏿👋🏻.
Math: ∀x∈ℝ, x² ≥ 0; ∑ᵢ aᵢ = π ≈ 3.14159; √2 ≈ 1.41421; ∞ ≠ −∞; α β γ δ ε.
Quotes “curly” and ‘single’ — dashes – and … ellipsis; « guillemets » and „Anführungszeichen“.
Roman numerals Ⅰ Ⅱ Ⅲ Ⅻ, fractions ½ ¼ ¾, superscripts x³ and subscripts H₂O.
Line one\r\nLine two\r\n\r\nLine four after a blank line
Trailing spaces   
   Leading spaces and	a tab	inside.
A long number 31415926535897932384626433832795028841971 and 00000000 and 1234567890.
"""

_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sha", "vor", "qui", "zel", "an", "ex", "tion", "ing",
              "pre", "un", "ly", "est", "ment", "ful", "ness", "ble", "com", "pro", "trans", "graph",
              "phon", "bio", "geo", "micro", "nano", "ver", "dis", "re", "de", "in", "er", "or", "al",
              "ist", "ic", "ous", "ive", "ize", "ate", "ward", "ship", "hood", "dom", "scape"]


def corpus_lines(seed: int = 1234, n_synthetic: int = 1500) -> list[str]:
    rng = random.Random(seed)
    lines = [line for line in _TEXT.split("\n") if line]
    out = list(lines) * 3
    for _ in range(n_synthetic):
        words = []
        for _ in range(rng.randint(3, 12)):
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.15:
                word = word.capitalize()
            words.append(word)
        sentence = " ".join(words)
        if rng.random() < 0.3:
            sentence += rng.choice([".", "!", "?", ",", ";", ":"]) + " " + str(rng.randint(0, 10**rng.randint(1, 6)))
        out.append(sentence)
    rng.shuffle(out)
    return out

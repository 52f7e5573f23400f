// Synthetic vocabularies trained on the built-in corpus; see synthetic_vocab.h.
#include "text/synthetic_vocab.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cctype>
#include <map>
#include <set>

#include "text/bpe_trainer.h"
#include "text/byte_level.h"
#include "text/chat_template.h"
#include "text/pre_tokenizer.h"
#include "text/synthetic_corpus.h"
#include "text/utf8.h"

namespace hearth::text {
namespace {

constexpr std::array<std::string_view, 4> kStyles = {"llama3", "chatml", "spm", "wordpiece"};
constexpr int64_t kMinMergeRoom = 64;  // symbols a vocabulary must have room to learn
constexpr int64_t kMinPairCount = 1;   // every pair the corpus shows: as many merges as it supports
constexpr std::string_view kSpmSpace = "\xE2\x96\x81";

int32_t type_value(TokenType type) { return static_cast<int32_t>(type); }

// Fixed control tokens of each byte-level style, in vocabulary order.
std::vector<std::string> fixed_specials(std::string_view style) {
  if (style == "llama3") {
    return {"<|begin_of_text|>",
            "<|end_of_text|>",
            "<|reserved_special_token_0|>",
            "<|reserved_special_token_1|>",
            "<|reserved_special_token_2|>",
            "<|reserved_special_token_3|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|reserved_special_token_4|>",
            "<|eot_id|>"};
  }
  return {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
}

void pad_to(TokenizerSpec& spec, int64_t n_vocab, std::string_view style) {
  // Llama 3 pads with more reserved control tokens (numbered on from 5);
  // the others with unused [PAD{N}] entries, as llama.cpp's converter does.
  const bool reserved = style == "llama3";
  int64_t next = reserved ? 5 : 0;
  while (static_cast<int64_t>(spec.tokens.size()) < n_vocab) {
    spec.tokens.push_back(reserved ? "<|reserved_special_token_" + std::to_string(next++) + "|>"
                                   : "[PAD" + std::to_string(next++) + "]");
    if (!spec.scores.empty()) spec.scores.push_back(0.0f);
    spec.token_types.push_back(type_value(reserved ? TokenType::kControl : TokenType::kUnused));
  }
}

Result<TokenizerSpec> make_byte_level(std::string_view style, int64_t n_vocab) {
  const bool llama3 = style == "llama3";
  TokenizerSpec spec;
  spec.model = "gpt2";
  spec.pre = llama3 ? "llama-bpe" : "qwen2";
  const std::vector<std::string> specials = fixed_specials(style);
  const int64_t budget = n_vocab - 256 - static_cast<int64_t>(specials.size());

  // Word counts of the corpus under the style's own pre-tokenizer (std::map:
  // a fixed order keeps training deterministic).
  HEARTH_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::create(spec.pre));
  std::vector<std::string_view> words;
  pre.split(synthetic_corpus(), words);
  std::map<std::string_view, int64_t> word_counts;
  for (std::string_view word : words) ++word_counts[word];

  std::vector<std::string> byte_symbols;
  for (int byte = 0; byte < 256; ++byte) byte_symbols.emplace_back(1, static_cast<char>(byte));
  BpeTrainer trainer(std::move(byte_symbols));
  for (const auto& [word, count] : word_counts) {
    std::vector<int32_t> symbols;
    for (char c : word) symbols.push_back(static_cast<uint8_t>(c));
    trainer.add_word(std::move(symbols), count);
  }
  const std::vector<BpeMerge> merges = trainer.train(budget, kMinPairCount);

  for (const std::string& symbol : trainer.symbols()) {
    spec.tokens.push_back(byte_level_encode(symbol));
    spec.token_types.push_back(type_value(TokenType::kNormal));
  }
  for (const BpeMerge& merge : merges) {
    spec.merges.push_back(byte_level_encode(trainer.symbols()[merge.left]) + " " +
                          byte_level_encode(trainer.symbols()[merge.right]));
  }
  const auto first_special = static_cast<int32_t>(spec.tokens.size());
  for (const std::string& text : specials) {
    spec.tokens.push_back(text);
    spec.token_types.push_back(type_value(TokenType::kControl));
  }
  if (llama3) {
    spec.bos_id = first_special;      // <|begin_of_text|>
    spec.eos_id = first_special + 1;  // <|end_of_text|>
    spec.eot_id = first_special + 9;  // <|eot_id|>
    spec.add_bos = true;
  } else {
    // Qwen2 Instruct: no bos is added; <|im_end|> ends a turn, <|endoftext|> pads.
    spec.bos_id = first_special;
    spec.eos_id = first_special + 2;
    spec.pad_id = first_special;
    spec.add_bos = false;
  }
  pad_to(spec, n_vocab, style);
  return spec;
}

Result<TokenizerSpec> make_spm(int64_t n_vocab) {
  TokenizerSpec spec;
  spec.model = "llama";
  spec.pre = "default";
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.scores = {0.0f, 0.0f, 0.0f};
  spec.token_types = {type_value(TokenType::kUnknown), type_value(TokenType::kControl),
                      type_value(TokenType::kControl)};
  for (int byte = 0; byte < 256; ++byte) {
    char text[8];
    std::snprintf(text, sizeof(text), "<0x%02X>", byte);
    spec.tokens.push_back(text);
    spec.scores.push_back(0.0f);
    spec.token_types.push_back(type_value(TokenType::kByte));
  }
  const int64_t budget = n_vocab - static_cast<int64_t>(spec.tokens.size());

  // SentencePiece words: each line with a leading space, spaces as U+2581,
  // cut before every U+2581, then split into characters.
  std::map<std::vector<std::string>, int64_t> word_counts;
  std::map<std::string, int64_t> char_counts;
  const std::string_view corpus = synthetic_corpus();
  size_t line_start = 0;
  while (line_start < corpus.size()) {
    size_t line_end = corpus.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = corpus.size();
    const std::string_view line = corpus.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty()) continue;
    std::vector<std::string> word = {std::string(kSpmSpace)};
    auto finish_word = [&]() {
      for (const std::string& ch : word) ++char_counts[ch];
      ++word_counts[word];
      word.clear();
    };
    for (size_t pos = 0; pos < line.size();) {
      const uint32_t len = decode_utf8_char(line.substr(pos)).n_bytes;
      if (line[pos] == ' ') {
        finish_word();
        word.push_back(std::string(kSpmSpace));
      } else {
        word.emplace_back(line.substr(pos, len));
      }
      pos += len;
    }
    finish_word();
  }

  // Characters, most frequent first; at most half the budget, so merges get the rest.
  std::vector<std::pair<std::string, int64_t>> chars(char_counts.begin(), char_counts.end());
  std::stable_sort(chars.begin(), chars.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  chars.resize(std::min<size_t>(chars.size(), static_cast<size_t>(budget / 2)));
  std::map<std::string, int32_t> char_ids;
  std::vector<std::string> char_symbols;
  for (const auto& [text, count] : chars) {
    char_ids.emplace(text, static_cast<int32_t>(char_symbols.size()));
    char_symbols.push_back(text);
  }
  BpeTrainer trainer(char_symbols);
  for (const auto& [word, count] : word_counts) {
    std::vector<int32_t> symbols;
    for (const std::string& ch : word) {
      const auto it = char_ids.find(ch);
      symbols.push_back(it == char_ids.end() ? -1 : it->second);  // left out: byte fallback
    }
    trainer.add_word(std::move(symbols), count);
  }
  const std::vector<BpeMerge> merges = trainer.train(budget - static_cast<int64_t>(char_symbols.size()), kMinPairCount);

  // Learned pieces in merge order (score -index, so earlier merges win), then
  // the characters below them, as SentencePiece's BPE trainer orders them.
  const std::vector<std::string>& symbols = trainer.symbols();
  const auto n_new = static_cast<int64_t>(symbols.size() - char_symbols.size());
  for (int64_t idx = 0; idx < n_new; ++idx) {
    spec.tokens.push_back(symbols[char_symbols.size() + idx]);
    spec.scores.push_back(-static_cast<float>(idx));
    spec.token_types.push_back(type_value(TokenType::kNormal));
  }
  for (size_t idx = 0; idx < char_symbols.size(); ++idx) {
    spec.tokens.push_back(char_symbols[idx]);
    spec.scores.push_back(-static_cast<float>(n_new + static_cast<int64_t>(idx)));
    spec.token_types.push_back(type_value(TokenType::kNormal));
  }
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.add_bos = true;
  spec.add_space_prefix = true;
  pad_to(spec, n_vocab, "spm");
  return spec;
}

// BERT's WordPiece in llama.cpp's phantom-space form: [PAD] [UNK] [CLS] [SEP]
// [MASK] (control), then the "spm" style's learned pieces lowercased, each
// word-initial piece as "\u2581piece" and the others as continuations, every
// single character in both forms (so any lowercase word of known characters
// has a split), then [PAD{N}] (unused).
Result<TokenizerSpec> make_wordpiece(int64_t n_vocab) {
  constexpr std::string_view kSpecials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  HEARTH_ASSIGN_OR_RETURN(TokenizerSpec spm, make_spm(n_vocab));
  TokenizerSpec spec;
  spec.model = "bert";
  std::set<std::string> seen;
  auto add = [&](std::string text, TokenType type) {
    if (text.empty() || text == kSpmSpace || static_cast<int64_t>(spec.tokens.size()) >= n_vocab) return;
    if (!seen.insert(text).second) return;
    spec.tokens.push_back(std::move(text));
    spec.token_types.push_back(type_value(type));
  };
  for (std::string_view special : kSpecials) add(std::string(special), TokenType::kControl);
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  for (size_t idx = 0; idx < spm.tokens.size(); ++idx) {
    if (spm.token_types[idx] != type_value(TokenType::kNormal)) continue;
    const std::string text = lower(spm.tokens[idx]);
    const bool word_start = text.rfind(kSpmSpace, 0) == 0;
    const std::string body = word_start ? text.substr(kSpmSpace.size()) : text;
    if (body.find(kSpmSpace) != std::string::npos) continue;
    if (word_start) {
      add(text, TokenType::kNormal);
    } else {
      add(body, TokenType::kNormal);
      // A single character may also start a word.
      if (decode_utf8_char(body).n_bytes == body.size()) add(std::string(kSpmSpace) + body, TokenType::kNormal);
    }
  }
  spec.pad_id = 0;
  spec.unk_id = 1;
  spec.bos_id = 2;
  spec.eos_id = 3;
  spec.add_bos = true;
  spec.add_eos = true;
  pad_to(spec, n_vocab, "wordpiece");
  return spec;
}

}  // namespace

std::span<const std::string_view> synthetic_tokenizer_styles() { return kStyles; }

int64_t synthetic_vocab_min(std::string_view style) {
  if (style == "llama3") return 256 + 10 + kMinMergeRoom;
  if (style == "chatml") return 256 + 3 + kMinMergeRoom;
  if (style == "spm") return 3 + 256 + kMinMergeRoom;
  if (style == "wordpiece") return 3 + 256 + kMinMergeRoom;
  return -1;
}

Result<SyntheticTokenizer> make_synthetic_tokenizer(std::string_view style, int64_t n_vocab) {
  const int64_t n_min = synthetic_vocab_min(style);
  if (n_min < 0) {
    return invalid_argument_error("unknown tokenizer style '" + std::string(style.substr(0, 60)) +
                                  "' (known: llama3, chatml, spm, wordpiece)");
  }
  if (n_vocab < n_min || n_vocab > kSyntheticVocabMax) {
    return out_of_range_error("a synthetic '" + std::string(style) + "' vocabulary needs between " +
                              std::to_string(n_min) + " and " + std::to_string(kSyntheticVocabMax) +
                              " tokens, not " + std::to_string(n_vocab));
  }
  SyntheticTokenizer synth;
  if (style == "spm") {
    HEARTH_ASSIGN_OR_RETURN(synth.spec, make_spm(n_vocab));
  } else if (style == "wordpiece") {
    HEARTH_ASSIGN_OR_RETURN(synth.spec, make_wordpiece(n_vocab));
    return synth;  // an encoder: no chat template
  } else {
    HEARTH_ASSIGN_OR_RETURN(synth.spec, make_byte_level(style, n_vocab));
  }
  const std::string_view template_name = style == "llama3" ? "llama3" : style == "chatml" ? "chatml" : "llama2";
  HEARTH_ASSIGN_OR_RETURN(ChatTemplate chat, ChatTemplate::from_name(template_name));
  synth.chat_template = std::string(chat.jinja_source());
  return synth;
}

}  // namespace hearth::text

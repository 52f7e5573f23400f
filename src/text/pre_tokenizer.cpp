// Regex pre-tokenization with PCRE2; see pre_tokenizer.h.
#include "text/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <string>

#include "base/log.h"
#include "text/utf8.h"

namespace hearth::text {
namespace {

// ref: tokenizer.json of meta-llama/Meta-Llama-3-8B (pre_tokenizer Split pattern)
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// ref: tokenizer.json of Qwen/Qwen2-7B: the Llama 3 pattern with single digits.
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// ref: HF tokenizers ByteLevel pre-tokenizer (GPT-2's encoder.py pattern).
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// HF Digits(individual_digits=true).
constexpr const char* kSingleDigitPattern = R"(\p{N})";
// ref: tokenizer.json of deepseek-ai/DeepSeek-V3: digit groups, then runs of
// CJK ideographs and kana, then the word pattern (tokenizer.json spells the
// class ranges and CR/LF as the characters themselves).
constexpr const char* kDigitGroupPattern = R"(\p{N}{1,3})";
constexpr const char* kDeepseekV3CjkPattern = R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)";
constexpr const char* kDeepseekV3Pattern =
    R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// ref: tokenizer.json of mistralai/Mistral-Nemo-Instruct-2407 ("tekken"):
// case-aware words, single digits.
constexpr const char* kTekkenPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// HF tokenizers matches with Oniguruma, whose \s is Unicode White_Space.
// PCRE2's \s (with UCP) also matches U+180E MONGOLIAN VOWEL SEPARATOR, no
// longer White_Space since Unicode 6.3, so the patterns above keep HF's text
// and \s / \S are compiled as this set.
constexpr std::string_view kWhiteSpaceSet =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

struct PreTokenizerDef {
  std::vector<const char*> names;
  std::vector<const char*> patterns;
  bool ignore_merges;
  Normalization normalization = Normalization::kNone;
};

const std::vector<PreTokenizerDef>& definitions() {
  static const std::vector<PreTokenizerDef> defs = {
      {{"llama-bpe", "llama3", "llama-v3", "falcon3"}, {kLlama3Pattern}, true},
      {{"dbrx", "smaug-bpe", "chatglm-bpe"}, {kLlama3Pattern}, false},
      // Qwen2, 2.5 and 3 tokenizer.json files normalize to NFC first.
      {{"qwen2"}, {kQwen2Pattern}, false, Normalization::kNfc},
      {{"stablelm2", "megrez"}, {kQwen2Pattern}, false},
      {{"gpt2", "gpt-2", "default", "phi-2", "roberta-bpe", "mpt", "olmo", "jais"}, {kGpt2Pattern}, false},
      {{"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"},
       {kSingleDigitPattern, kGpt2Pattern},
       false},
      {{"deepseek-v3"}, {kDigitGroupPattern, kDeepseekV3CjkPattern, kDeepseekV3Pattern}, false},
      {{"tekken"}, {kTekkenPattern}, true},
  };
  return defs;
}

// `pattern` with every \s and \S spelled out as kWhiteSpaceSet (see there).
// kInternal for \S inside a character class, which no pattern here has.
Result<std::string> spell_out_white_space(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 256);
  bool in_class = false;
  for (size_t pos = 0; pos < pattern.size(); ++pos) {
    const char c = pattern[pos];
    if (c == '\\' && pos + 1 < pattern.size()) {
      const char escaped = pattern[++pos];
      if (escaped == 's') {
        out += in_class ? std::string(kWhiteSpaceSet) : "[" + std::string(kWhiteSpaceSet) + "]";
      } else if (escaped == 'S') {
        if (in_class) return internal_error("pre-tokenizer pattern has \\S inside a character class");
        out += "[^" + std::string(kWhiteSpaceSet) + "]";
      } else {
        out += c;
        out += escaped;
      }
      continue;
    }
    out += c;
    if (c == '[' && !in_class) {
      in_class = true;
      // A ']' first in a class (after an optional '^') is a literal.
      if (pos + 1 < pattern.size() && pattern[pos + 1] == '^') out += pattern[++pos];
      if (pos + 1 < pattern.size() && pattern[pos + 1] == ']') out += pattern[++pos];
    } else if (c == ']' && in_class) {
      in_class = false;
    }
  }
  return out;
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};

}  // namespace

struct PreTokenizer::Regex {
  struct CodeDeleter {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
  };
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  std::string pattern;
};

PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

Result<PreTokenizer> PreTokenizer::create(std::string_view name) {
  for (const PreTokenizerDef& def : definitions()) {
    bool named = false;
    for (const char* candidate : def.names) named = named || name == candidate;
    if (!named) continue;

    PreTokenizer pre;
    pre.ignore_merges_ = def.ignore_merges;
    pre.normalization_ = def.normalization;
    for (const char* hf_pattern : def.patterns) {
      HEARTH_ASSIGN_OR_RETURN(std::string pattern, spell_out_white_space(hf_pattern));
      int error_code = 0;
      PCRE2_SIZE error_offset = 0;
      pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                       PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
      if (code == nullptr) {
        std::array<PCRE2_UCHAR, 256> message{};
        pcre2_get_error_message(error_code, message.data(), message.size());
        return internal_error("pre-tokenizer regex does not compile at offset " + std::to_string(error_offset) +
                              ": " + reinterpret_cast<const char*>(message.data()));
      }
      auto regex = std::make_unique<Regex>();
      regex->code.reset(code);
      regex->pattern = std::move(pattern);
      // JIT is only a speed-up: the interpreter gives the same matches.
      pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
      pre.regexes_.push_back(std::move(regex));
    }
    return pre;
  }
  return unimplemented_error("unknown pre-tokenizer '" + std::string(name) + "'");
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  // Valid UTF-8 runs go through the regexes; ill-formed subparts are words of their own.
  std::vector<std::string_view> pieces;
  std::vector<bool> piece_is_valid;
  size_t run_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = decode_utf8_char(text.substr(pos));
    if (ch.status == Utf8Status::kValid) {
      pos += ch.n_bytes;
      continue;
    }
    if (pos > run_start) {
      pieces.push_back(text.substr(run_start, pos - run_start));
      piece_is_valid.push_back(true);
    }
    pieces.push_back(text.substr(pos, ch.n_bytes));
    piece_is_valid.push_back(false);
    pos += ch.n_bytes;
    run_start = pos;
  }
  if (run_start < text.size()) {
    pieces.push_back(text.substr(run_start));
    piece_is_valid.push_back(true);
  }

  // The JIT stack grows on demand up to 8 MiB (long whitespace runs backtrack deeply).
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jit_stack(pcre2_jit_stack_create(32 * 1024, 8 << 20, nullptr));
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> context(pcre2_match_context_create(nullptr));
  if (context && jit_stack) pcre2_jit_stack_assign(context.get(), nullptr, jit_stack.get());

  std::vector<std::string_view> next;
  std::vector<bool> next_is_valid;
  for (const auto& regex : regexes_) {
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> match(
        pcre2_match_data_create_from_pattern(regex->code.get(), nullptr));
    next.clear();
    next_is_valid.clear();
    for (size_t piece_idx = 0; piece_idx < pieces.size(); ++piece_idx) {
      const std::string_view piece = pieces[piece_idx];
      if (!piece_is_valid[piece_idx] || !match) {
        next.push_back(piece);
        next_is_valid.push_back(piece_is_valid[piece_idx]);
        continue;
      }
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
      size_t gap_start = 0;
      size_t offset = 0;
      while (offset < piece.size()) {
        const int rc = pcre2_match(regex->code.get(), subject, piece.size(), offset, PCRE2_NO_UTF_CHECK,
                                   match.get(), context.get());
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
          // A resource limit (no such case is known for these patterns): the
          // rest of the piece stays one word rather than being dropped.
          HEARTH_LOG(kWarn, "pre-tokenizer regex failed with PCRE2 error " + std::to_string(rc) +
                                "; the rest of the text is one word");
          break;
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
        const size_t start = ovector[0];
        const size_t end = ovector[1];
        if (end == start) {  // empty match: step over one character
          offset = start + decode_utf8_char(piece.substr(start)).n_bytes;
          continue;
        }
        if (start > gap_start) {
          next.push_back(piece.substr(gap_start, start - gap_start));
          next_is_valid.push_back(true);
        }
        next.push_back(piece.substr(start, end - start));
        next_is_valid.push_back(true);
        gap_start = end;
        offset = end;
      }
      if (gap_start < piece.size()) {
        next.push_back(piece.substr(gap_start));
        next_is_valid.push_back(true);
      }
    }
    pieces.swap(next);
    piece_is_valid.swap(next_is_valid);
  }
  words.insert(words.end(), pieces.begin(), pieces.end());
}

}  // namespace hearth::text

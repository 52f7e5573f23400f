// Tokenizer assembly, encode/decode dispatch; see tokenizer.h.
#include "text/tokenizer.h"

#include <algorithm>

#include "text/bert_normalizer.h"
#include "text/bpe_encoder.h"
#include "text/byte_level.h"
#include "text/pre_tokenizer.h"
#include "text/special_token_splitter.h"
#include "text/spm_encoder.h"
#include "text/vocab.h"
#include "text/wordpiece_encoder.h"

namespace hearth::text {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

// Texts that end a turn in some model family (besides the declared eos/eot).
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>",
    "<|end|>",    "<end_of_turn>", "<EOT>",       "</s>",
};

Status check_id(const Vocab& vocab, int32_t id, const char* what) {
  if (id == -1 || vocab.contains(id)) return ok_status();
  return data_loss_error(std::string(what) + " " + std::to_string(id) + " is outside the vocabulary of " +
                         std::to_string(vocab.size()) + " tokens");
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == ' ') {
      out.append(kSpmSpace);
    } else {
      out.push_back(c);
    }
  }
}

std::string unescape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos, kSpmSpace.size()) == kSpmSpace) {
      out.push_back(' ');
      pos += kSpmSpace.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::create(TokenizerSpec spec) {
  const bool is_spm = spec.model == "llama";
  const bool is_bert = spec.model == "bert";
  if (!is_spm && !is_bert && spec.model != "gpt2") {
    return unimplemented_error("unsupported tokenizer model '" + spec.model.substr(0, 60) +
                               "' (supported: llama, gpt2, bert)");
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  tokenizer->model_ = spec.model;
  tokenizer->is_spm_ = is_spm;
  tokenizer->is_bert_ = is_bert;

  HEARTH_ASSIGN_OR_RETURN(Vocab vocab,
                          Vocab::build(std::move(spec.tokens), std::move(spec.scores), std::move(spec.token_types)));
  tokenizer->vocab_ = std::make_unique<Vocab>(std::move(vocab));
  const Vocab& v = *tokenizer->vocab_;

  HEARTH_RETURN_IF_ERROR(check_id(v, spec.bos_id, "bos token id"));
  HEARTH_RETURN_IF_ERROR(check_id(v, spec.eos_id, "eos token id"));
  HEARTH_RETURN_IF_ERROR(check_id(v, spec.eot_id, "eot token id"));
  HEARTH_RETURN_IF_ERROR(check_id(v, spec.unk_id, "unknown token id"));
  HEARTH_RETURN_IF_ERROR(check_id(v, spec.pad_id, "padding token id"));
  if (spec.add_bos && spec.bos_id < 0) return data_loss_error("tokenizer adds a bos token but has no bos token id");
  if (spec.add_eos && spec.eos_id < 0) return data_loss_error("tokenizer adds an eos token but has no eos token id");
  tokenizer->bos_id_ = spec.bos_id;
  tokenizer->eos_id_ = spec.eos_id;
  tokenizer->eot_id_ = spec.eot_id;
  tokenizer->unk_id_ = spec.unk_id;
  tokenizer->pad_id_ = spec.pad_id;
  tokenizer->add_bos_ = spec.add_bos;
  tokenizer->add_eos_ = spec.add_eos;
  tokenizer->add_space_prefix_ = is_spm && spec.add_space_prefix;

  if (is_spm) {
    tokenizer->spm_ = std::make_unique<SpmEncoder>(v, spec.unk_id);
  } else if (is_bert) {
    if (spec.unk_id < 0) return data_loss_error("a bert (WordPiece) tokenizer needs an unknown token id");
    tokenizer->wordpiece_ = std::make_unique<WordPieceEncoder>(v, spec.unk_id);
  } else {
    HEARTH_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::create(spec.pre));
    HEARTH_ASSIGN_OR_RETURN(BpeEncoder bpe, BpeEncoder::create(v, spec.merges, std::move(pre), spec.unk_id));
    tokenizer->bpe_ = std::make_unique<BpeEncoder>(std::move(bpe));
  }
  tokenizer->splitter_ = std::make_unique<SpecialTokenSplitter>(v);

  std::vector<int32_t>& eog = tokenizer->end_of_generation_ids_;
  for (int32_t id : {spec.eos_id, spec.eot_id}) {
    if (id >= 0) eog.push_back(id);
  }
  for (std::string_view text : kEndOfGenerationTexts) {
    const int32_t id = v.find(text);
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  return tokenizer;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && add_bos_) out.push_back(bos_id_);

  std::vector<TextFragment> fragments;
  splitter_->split(text, parse_special, fragments);
  bool after_special = true;  // the start of the text counts as "after a special token"
  std::string escaped;
  std::vector<std::string> words;
  for (const TextFragment& fragment : fragments) {
    if (fragment.token_id >= 0) {
      out.push_back(fragment.token_id);
      after_special = true;
      continue;
    }
    if (is_spm_) {
      escaped.clear();
      if (add_space_prefix_ && after_special) escaped.append(kSpmSpace);
      append_escaped(escaped, fragment.text);
      spm_->encode(escaped, out);
    } else if (is_bert_) {
      words.clear();
      bert_words(fragment.text, words);
      for (const std::string& word : words) wordpiece_->encode_word(word, out);
    } else {
      bpe_->encode(fragment.text, out);
    }
    after_special = false;
  }

  if (add_special && add_eos_) out.push_back(eos_id_);
  return out;
}

std::string Tokenizer::token_to_bytes(int32_t id, bool render_special) const {
  if (!vocab_->contains(id)) return {};
  const std::string& text = vocab_->text(id);
  switch (vocab_->type(id)) {
    case TokenType::kNormal:
      return is_spm_ || is_bert_ ? unescape_spaces(text) : byte_level_decode(text);
    case TokenType::kByte:
      return is_spm_ ? std::string(1, static_cast<char>(vocab_->byte_value(id))) : byte_level_decode(text);
    case TokenType::kUserDefined:
      // SentencePiece vocabularies escape spaces in user-defined pieces too
      // (Gemma's runs of U+2581), and HF's decoder turns them back.
      return is_spm_ ? unescape_spaces(text) : text;
    case TokenType::kUnknown:
    case TokenType::kControl:
    case TokenType::kUnused:
    case TokenType::kUndefined:
      return render_special ? text : std::string();
  }
  return {};
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) out += token_to_bytes(id, !skip_special);
  if ((add_space_prefix_ || is_bert_) && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::vector<int32_t> Tokenizer::encode_truncated(std::string_view text, bool add_special, bool parse_special,
                                                 int64_t max_tokens) const {
  std::vector<int32_t> body = encode(text, /*add_special=*/false, parse_special);
  const bool bos = add_special && add_bos_;
  const bool eos = add_special && add_eos_;
  const int64_t n_special = (bos ? 1 : 0) + (eos ? 1 : 0);
  const int64_t keep = std::max<int64_t>(0, max_tokens - n_special);
  if (static_cast<int64_t>(body.size()) > keep) body.resize(static_cast<size_t>(keep));
  std::vector<int32_t> out;
  out.reserve(body.size() + 2);
  if (bos) out.push_back(bos_id_);
  out.insert(out.end(), body.begin(), body.end());
  if (eos) out.push_back(eos_id_);
  return out;
}

Tokenizer::Pair Tokenizer::encode_pair(std::string_view first, std::string_view second, int64_t max_tokens) const {
  std::vector<int32_t> a = encode(first, /*add_special=*/false, /*parse_special=*/false);
  std::vector<int32_t> b = encode(second, /*add_special=*/false, /*parse_special=*/false);
  const int64_t n_special = (add_bos_ ? 1 : 0) + (add_eos_ ? 2 : 0);
  const int64_t budget = std::max<int64_t>(0, max_tokens - n_special);
  while (static_cast<int64_t>(a.size() + b.size()) > budget) {
    if (a.size() > b.size()) {
      a.pop_back();
    } else {
      b.pop_back();
    }
  }
  Pair pair;
  if (add_bos_) pair.ids.push_back(bos_id_);
  pair.ids.insert(pair.ids.end(), a.begin(), a.end());
  if (add_eos_) pair.ids.push_back(eos_id_);
  pair.segments.assign(pair.ids.size(), 0);
  pair.ids.insert(pair.ids.end(), b.begin(), b.end());
  if (add_eos_) pair.ids.push_back(eos_id_);
  pair.segments.resize(pair.ids.size(), 1);
  return pair;
}

Status Tokenizer::validate_ids(std::span<const int32_t> ids) const {
  for (size_t idx = 0; idx < ids.size(); ++idx) {
    if (!vocab_->contains(ids[idx])) {
      return invalid_argument_error("token id " + std::to_string(ids[idx]) + " at position " + std::to_string(idx) +
                                    " is outside the vocabulary of " + std::to_string(vocab_->size()) + " tokens");
    }
  }
  return ok_status();
}

int64_t Tokenizer::n_vocab() const { return vocab_->size(); }

bool Tokenizer::is_end_of_generation(int32_t id) const {
  return std::binary_search(end_of_generation_ids_.begin(), end_of_generation_ids_.end(), id);
}

int32_t Tokenizer::find_token(std::string_view text) const { return vocab_->find(text); }

const std::string& Tokenizer::token_text(int32_t id) const { return vocab_->text(id); }

TokenType Tokenizer::token_type(int32_t id) const { return vocab_->type(id); }

}  // namespace hearth::text

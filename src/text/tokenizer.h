// Tokenizer: text <-> token ids for the two families GGUF models ship with:
// "llama" (SentencePiece-style BPE over U+2581-escaped text, byte fallback)
// and "gpt2" (byte-level BPE after a regex pre-tokenizer: GPT-2, Llama 3,
// Qwen2/3, SmolLM, DeepSeek V3, Mistral Nemo), Gemma's SentencePiece BPE
// as "llama" without a space prefix, and "bert" (WordPiece after BERT's
// normalizer: all-MiniLM, bge, e5; see bert_normalizer.h, wordpiece_encoder.h). Built from a TokenizerSpec (tests, `hearth synth`) or from a
// GGUF file's tokenizer.* keys.
//
//   HEARTH_ASSIGN_OR_RETURN(auto tokenizer, Tokenizer::from_gguf(file));
//   std::vector<int32_t> ids = tokenizer->encode(prompt, /*add_special=*/true, /*parse_special=*/false);
//   std::string text = tokenizer->decode(ids, /*skip_special=*/true);
//
// Encoding, in order: (1) special tokens are cut out of the text (see
// special_token_splitter.h: user-defined always, control only with
// parse_special); (2) "llama": a space is prepended to each text run at the
// start or after a special token (add_space_prefix), spaces become U+2581 and
// the run is merged by score; "gpt2": the run is normalized as the
// pre-tokenizer says (NFC for "qwen2"), split by its regexes and each word
// merged by rank; "bert": the run is normalized and split into words, each
// cut into WordPiece pieces; (3) with add_special, bos_id is
// prepended when add_bos and eos_id appended when add_eos.
// Text need not be valid UTF-8: ill-formed bytes are encoded as bytes (byte
// tokens or byte-level characters), never dropped silently when the
// vocabulary can represent them, and never a crash.
//
// Immutable once built; every const method is safe from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/tokenizer_spec.h"

namespace hearth::model {
class GgufFile;
}

namespace hearth::text {

class Vocab;
class SpecialTokenSplitter;
class SpmEncoder;
class BpeEncoder;
class WordPieceEncoder;

class Tokenizer {
 public:
  // Validates the whole spec: kUnimplemented for an unknown model or
  // pre-tokenizer (naming it); kDataLoss for arrays of different lengths,
  // repeated token texts, unknown token types, special ids out of range,
  // add_bos/add_eos without the id, merges that refer to missing tokens.
  static Result<std::unique_ptr<Tokenizer>> create(TokenizerSpec spec);
  // Reads the tokenizer.* keys (see tokenizer_gguf.h) and calls create().
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const model::GgufFile& file);

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes token `id` contributes to detokenized text: "llama" normal
  // tokens with U+2581 as ' ', byte tokens as their byte, "gpt2" tokens mapped
  // back from byte-level characters, user-defined tokens verbatim ("llama":
  // with U+2581 as ' '). Control,
  // unknown, unused and undefined tokens give their text only when
  // render_special, else nothing; an id out of range gives nothing. The bytes
  // of one token may be part of a UTF-8 character: stream them through
  // Utf8StreamDecoder. No leading space is stripped here (see decode()).
  std::string token_to_bytes(int32_t id, bool render_special = false) const;

  // encode() with at most max_tokens ids: the text's own ids are cut from the
  // end so that they and the special tokens add_special adds fit (HF's
  // truncation to max_length, right side). max_tokens below the special
  // tokens' count keeps those alone.
  std::vector<int32_t> encode_truncated(std::string_view text, bool add_special, bool parse_special,
                                        int64_t max_tokens) const;

  // Two texts as one input, for a cross-encoder: bos A eos B eos with the
  // text ids of each (add_special's tokens; "bert": [CLS] A [SEP] B [SEP]),
  // each id's segment in `segments` (0 for bos, A and its eos; 1 for the
  // rest). Longer than max_tokens: one id at a time is cut from the end of
  // the longer text (the second on a tie), as transformers' longest_first.
  struct Pair {
    std::vector<int32_t> ids;
    std::vector<int32_t> segments;
  };
  Pair encode_pair(std::string_view first, std::string_view second, int64_t max_tokens) const;

  // Concatenated token_to_bytes(id, !skip_special), then, for a tokenizer with
  // add_space_prefix, one leading space removed (the one encode() added), as
  // HF's Strip decoder does. Ids out of range contribute nothing: callers
  // holding ids from outside check them with validate_ids() first. The result
  // is raw bytes, valid UTF-8 whenever the ids came from encoding valid text;
  // pass arbitrary ids' output through sanitize_utf8() before emitting JSON.
  std::string decode(std::span<const int32_t> ids, bool skip_special) const;

  // kInvalidArgument naming the first id outside [0, n_vocab).
  Status validate_ids(std::span<const int32_t> ids) const;

  int64_t n_vocab() const;
  const std::string& model() const { return model_; }  // "llama", "gpt2" or "bert"
  int32_t bos_id() const { return bos_id_; }  // -1 when the vocabulary has none
  int32_t eos_id() const { return eos_id_; }
  int32_t eot_id() const { return eot_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t pad_id() const { return pad_id_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }

  // True for eos, eot and the control tokens that end a turn in some family:
  // <|eot_id|>, <|eom_id|>, <|end_of_text|>, <|im_end|>, <|endoftext|>,
  // <|end|>, <end_of_turn>, <EOT>, </s>.
  bool is_end_of_generation(int32_t id) const;
  // The id whose vocabulary text is exactly `text`, or -1.
  int32_t find_token(std::string_view text) const;
  // Vocabulary text and type of a valid id (precondition: 0 <= id < n_vocab).
  const std::string& token_text(int32_t id) const;
  TokenType token_type(int32_t id) const;

 private:
  Tokenizer();

  std::string model_;
  bool is_spm_ = false;
  bool is_bert_ = false;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_space_prefix_ = false;
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  int32_t eot_id_ = -1;
  int32_t unk_id_ = -1;
  int32_t pad_id_ = -1;
  std::vector<int32_t> end_of_generation_ids_;  // sorted
  // Members below keep pointers into *vocab_, which is heap-held and never replaced.
  std::unique_ptr<Vocab> vocab_;
  std::unique_ptr<SpecialTokenSplitter> splitter_;
  std::unique_ptr<SpmEncoder> spm_;
  std::unique_ptr<BpeEncoder> bpe_;
  std::unique_ptr<WordPieceEncoder> wordpiece_;
};

}  // namespace hearth::text

// The GGUF tokenizer.* keys <-> TokenizerSpec.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md ("Tokenizer")
//
//   tokenizer.ggml.model              string     "llama" | "gpt2" | "bert" (required)
//   tokenizer.ggml.pre                string     pre-tokenizer ("gpt2" models; absent: "default")
//   tokenizer.ggml.tokens             [string]   required
//   tokenizer.ggml.scores             [float32]  optional
//   tokenizer.ggml.token_type         [int32]    optional
//   tokenizer.ggml.merges             [string]   required for "gpt2"
//   tokenizer.ggml.{bos,eos,unknown,padding,eot}_token_id   uint32, optional
//   tokenizer.ggml.add_bos_token, add_eos_token, add_space_prefix            bool, optional
//
// Defaults for absent keys follow llama.cpp, which wrote most GGUF files in
// circulation: "llama" adds bos and a space prefix, with bos 1, eos 2, unk 0;
// "gpt2" adds bos only for the Llama 3 pre-tokenizers; "bert" adds [CLS] and
// [SEP] (tokenizer.ggml.cls_token_id, seperator_token_id as llama.cpp spells
// them; bos/eos ids or the texts "[CLS]", "[SEP]", "[UNK]" when absent).
#pragma once

#include "base/status.h"
#include "text/tokenizer_spec.h"

namespace hearth::model {
class GgufFile;
class GgufWriter;
}  // namespace hearth::model

namespace hearth::text {

// kNotFound when the file has no tokenizer (or a "gpt2" one lacks merges);
// kUnimplemented for a model other than "llama"/"gpt2"/"bert"; kInvalidArgument naming the key
// for a value of the wrong type; kDataLoss for an id that does not fit int32.
// The spec is not validated here: Tokenizer::create() does that.
Result<TokenizerSpec> read_tokenizer_spec(const model::GgufFile& file);

// Adds the keys above for `spec`: the flags always (so a reader never depends
// on the defaults), ids only when set (GGUF readers expect uint32, so -1 is
// left out). tokenizer.chat_template is the caller's.
void write_tokenizer_metadata(const TokenizerSpec& spec, model::GgufWriter& writer);

}  // namespace hearth::text

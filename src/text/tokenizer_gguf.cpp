// GGUF tokenizer keys; see tokenizer_gguf.h.
#include "text/tokenizer_gguf.h"

#include <limits>
#include <optional>

#include "base/log.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"
#include "text/tokenizer.h"

namespace hearth::text {
namespace {

constexpr const char* kModelKey = "tokenizer.ggml.model";
constexpr const char* kPreKey = "tokenizer.ggml.pre";
constexpr const char* kTokensKey = "tokenizer.ggml.tokens";
constexpr const char* kScoresKey = "tokenizer.ggml.scores";
constexpr const char* kTokenTypeKey = "tokenizer.ggml.token_type";
constexpr const char* kMergesKey = "tokenizer.ggml.merges";
constexpr const char* kBosKey = "tokenizer.ggml.bos_token_id";
constexpr const char* kEosKey = "tokenizer.ggml.eos_token_id";
constexpr const char* kUnkKey = "tokenizer.ggml.unknown_token_id";
constexpr const char* kPadKey = "tokenizer.ggml.padding_token_id";
constexpr const char* kEotKey = "tokenizer.ggml.eot_token_id";
// "bert": llama.cpp's converter writes [CLS] and [SEP] under these (sic: "seperator").
constexpr const char* kClsKey = "tokenizer.ggml.cls_token_id";
constexpr const char* kSepKey = "tokenizer.ggml.seperator_token_id";
constexpr const char* kAddBosKey = "tokenizer.ggml.add_bos_token";
constexpr const char* kAddEosKey = "tokenizer.ggml.add_eos_token";
constexpr const char* kAddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";

// Prefixes the key to a typed-lookup error (the reader's own kNotFound message
// already names it).
Status with_key(const Status& status, const char* key) {
  if (status.message().find(key) != std::string::npos) return status;
  return Status(status.code(), std::string("GGUF key '") + key + "': " + status.message());
}

// Absent -> std::nullopt; -1 (written by some converters for "none") -> -1.
Result<std::optional<int32_t>> read_token_id(const model::GgufFile& file, const char* key) {
  const model::GgufValue* value = file.find(key);
  if (value == nullptr) return std::optional<int32_t>();
  Result<int64_t> id = value->as_int();
  if (!id.ok()) return with_key(id.status(), key);
  if (*id < -1 || *id > std::numeric_limits<int32_t>::max()) {
    return data_loss_error(std::string("GGUF key '") + key + "' holds token id " + std::to_string(*id) +
                           ", which does not fit int32");
  }
  return std::optional<int32_t>(static_cast<int32_t>(*id));
}

Result<std::optional<bool>> read_bool(const model::GgufFile& file, const char* key) {
  if (file.find(key) == nullptr) return std::optional<bool>();
  Result<bool> value = file.get_bool(key);
  if (!value.ok()) return with_key(value.status(), key);
  return std::optional<bool>(*value);
}

bool is_llama3_pre(std::string_view pre) {
  return pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "falcon3";
}

}  // namespace

Result<TokenizerSpec> read_tokenizer_spec(const model::GgufFile& file) {
  TokenizerSpec spec;
  if (file.find(kModelKey) == nullptr) return not_found_error("the GGUF file has no tokenizer (no tokenizer.ggml.model)");
  Result<std::string_view> model = file.get_string(kModelKey);
  if (!model.ok()) return with_key(model.status(), kModelKey);
  spec.model = std::string(*model);
  const bool is_spm = spec.model == "llama";
  const bool is_bert = spec.model == "bert";
  if (!is_spm && !is_bert && spec.model != "gpt2") {
    return unimplemented_error("unsupported tokenizer model '" + spec.model.substr(0, 60) +
                               "' (supported: llama, gpt2, bert)");
  }

  if (file.find(kPreKey) != nullptr) {
    Result<std::string_view> pre = file.get_string(kPreKey);
    if (!pre.ok()) return with_key(pre.status(), kPreKey);
    spec.pre = std::string(*pre);
  }
  if (!is_spm && !is_bert && spec.pre.empty()) {
    HEARTH_LOG(kWarn, "GGUF has no tokenizer.ggml.pre; using the GPT-2 pre-tokenizer (\"default\")");
    spec.pre = "default";
  }

  Result<std::vector<std::string_view>> tokens = file.get_string_array(kTokensKey);
  if (!tokens.ok()) return with_key(tokens.status(), kTokensKey);
  spec.tokens.assign(tokens->begin(), tokens->end());

  if (file.find(kScoresKey) != nullptr) {
    Result<std::vector<float>> scores = file.get_float_array(kScoresKey);
    if (!scores.ok()) return with_key(scores.status(), kScoresKey);
    spec.scores = std::move(scores).value();
  }
  if (file.find(kTokenTypeKey) != nullptr) {
    Result<std::vector<int32_t>> types = file.get_int32_array(kTokenTypeKey);
    if (!types.ok()) return with_key(types.status(), kTokenTypeKey);
    spec.token_types = std::move(types).value();
  }
  const bool is_bpe = !is_spm && !is_bert;
  if (is_bpe || file.find(kMergesKey) != nullptr) {
    Result<std::vector<std::string_view>> merges = file.get_string_array(kMergesKey);
    if (!merges.ok()) return with_key(merges.status(), kMergesKey);
    if (is_bpe) spec.merges.assign(merges->begin(), merges->end());
  }

  // llama.cpp's defaults for SentencePiece vocabularies: <unk>=0, <s>=1, </s>=2.
  const int64_t n_tokens = static_cast<int64_t>(spec.tokens.size());
  const auto default_id = [&](int32_t spm_id) { return is_spm && spm_id < n_tokens ? spm_id : -1; };
  struct IdKey {
    const char* key;
    int32_t* field;
    int32_t fallback;
  };
  const IdKey id_keys[] = {
      {kBosKey, &spec.bos_id, default_id(1)}, {kEosKey, &spec.eos_id, default_id(2)},
      {kUnkKey, &spec.unk_id, default_id(0)}, {kPadKey, &spec.pad_id, -1},
      {kEotKey, &spec.eot_id, -1},
  };
  for (const IdKey& id_key : id_keys) {
    HEARTH_ASSIGN_OR_RETURN(std::optional<int32_t> id, read_token_id(file, id_key.key));
    *id_key.field = id.value_or(id_key.fallback);
  }

  if (is_bert) {
    // [CLS] and [SEP] play bos and eos: the keys the converter writes, else
    // bos/eos keys, else the tokens by their text.
    const auto find_text = [&](std::string_view text) {
      for (size_t idx = 0; idx < spec.tokens.size(); ++idx) {
        if (spec.tokens[idx] == text) return static_cast<int32_t>(idx);
      }
      return -1;
    };
    HEARTH_ASSIGN_OR_RETURN(std::optional<int32_t> cls, read_token_id(file, kClsKey));
    HEARTH_ASSIGN_OR_RETURN(std::optional<int32_t> sep, read_token_id(file, kSepKey));
    if (cls.has_value()) spec.bos_id = *cls;
    if (sep.has_value()) spec.eos_id = *sep;
    if (spec.bos_id < 0) spec.bos_id = find_text("[CLS]");
    if (spec.eos_id < 0) spec.eos_id = find_text("[SEP]");
    if (spec.unk_id < 0) spec.unk_id = find_text("[UNK]");
  }

  HEARTH_ASSIGN_OR_RETURN(std::optional<bool> add_bos, read_bool(file, kAddBosKey));
  HEARTH_ASSIGN_OR_RETURN(std::optional<bool> add_eos, read_bool(file, kAddEosKey));
  HEARTH_ASSIGN_OR_RETURN(std::optional<bool> add_space_prefix, read_bool(file, kAddSpacePrefixKey));
  spec.add_bos = add_bos.value_or(is_spm || is_bert || is_llama3_pre(spec.pre));
  spec.add_eos = add_eos.value_or(is_bert);
  spec.add_space_prefix = add_space_prefix.value_or(is_spm);
  return spec;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const model::GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(TokenizerSpec spec, read_tokenizer_spec(file));
  return create(std::move(spec));
}

void write_tokenizer_metadata(const TokenizerSpec& spec, model::GgufWriter& writer) {
  writer.add_string(kModelKey, spec.model);
  if (!spec.pre.empty()) writer.add_string(kPreKey, spec.pre);
  writer.add_string_array(kTokensKey, spec.tokens);
  if (!spec.scores.empty()) writer.add_float32_array(kScoresKey, spec.scores);
  if (!spec.token_types.empty()) writer.add_int32_array(kTokenTypeKey, spec.token_types);
  if (!spec.merges.empty()) writer.add_string_array(kMergesKey, spec.merges);
  const bool is_bert = spec.model == "bert";
  const std::pair<const char*, int32_t> ids[] = {
      {is_bert ? kClsKey : kBosKey, spec.bos_id}, {is_bert ? kSepKey : kEosKey, spec.eos_id},
      {kUnkKey, spec.unk_id}, {kPadKey, spec.pad_id}, {kEotKey, spec.eot_id},
  };
  for (const auto& [key, id] : ids) {
    if (id >= 0) writer.add_uint32(key, static_cast<uint32_t>(id));
  }
  writer.add_bool(kAddBosKey, spec.add_bos);
  writer.add_bool(kAddEosKey, spec.add_eos);
  writer.add_bool(kAddSpacePrefixKey, spec.add_space_prefix);
}

}  // namespace hearth::text

// The Whisper family's keys, tensor list and binding (see whisper.h).
#include "model/arch/whisper.h"

#include <map>
#include <set>

#include "model/arch/config_limits.h"
#include "tensor/dtype.h"

namespace hearth::model {
namespace {

std::string key(std::string_view suffix) { return std::string(kWhisperArch) + "." + std::string(suffix); }

struct IntKey {
  std::string_view suffix;
  int64_t WhisperConfig::*field;
  bool required;
};

constexpr IntKey kIntKeys[] = {
    {"vocab_size", &WhisperConfig::n_vocab, true},
    {"context_length", &WhisperConfig::n_text_ctx, true},
    {"embedding_length", &WhisperConfig::n_embd, true},
    {"block_count", &WhisperConfig::n_enc_layer, true},
    {"decoder_block_count", &WhisperConfig::n_dec_layer, true},
    {"feed_forward_length", &WhisperConfig::n_ff, true},
    {"attention.head_count", &WhisperConfig::n_head, true},
    {"audio.num_mel_bins", &WhisperConfig::n_mels, true},
    {"audio.context_length", &WhisperConfig::n_audio_ctx, true},
};

Status check_range(std::string_view name, int64_t value, int64_t max) {
  if (value < 1 || value > max) {
    return invalid_argument_error("whisper: " + std::string(name) + " is " + std::to_string(value) +
                                  ", expected 1.." + std::to_string(max));
  }
  return ok_status();
}

void add_attention(std::vector<WhisperTensorSpec>& out, const std::string& prefix, int64_t d) {
  out.push_back({prefix + "_norm.weight", {d}, false, WhisperFill::kOnes});
  out.push_back({prefix + "_norm.bias", {d}, false, WhisperFill::kZeros});
  for (const char* m : {"q", "k", "v", "o"}) {
    out.push_back({prefix + "_" + m + ".weight", {d, d}, true, WhisperFill::kRandom});
    if (std::string_view(m) != "k") out.push_back({prefix + "_" + m + ".bias", {d}, false, WhisperFill::kRandom});
  }
}

void add_block(std::vector<WhisperTensorSpec>& out, const std::string& prefix, const WhisperConfig& c, bool cross) {
  add_attention(out, prefix + "attn", c.n_embd);
  if (cross) add_attention(out, prefix + "cross_attn", c.n_embd);
  out.push_back({prefix + "ffn_norm.weight", {c.n_embd}, false, WhisperFill::kOnes});
  out.push_back({prefix + "ffn_norm.bias", {c.n_embd}, false, WhisperFill::kZeros});
  out.push_back({prefix + "ffn_up.weight", {c.n_embd, c.n_ff}, true, WhisperFill::kRandom});
  out.push_back({prefix + "ffn_up.bias", {c.n_ff}, false, WhisperFill::kRandom});
  out.push_back({prefix + "ffn_down.weight", {c.n_ff, c.n_embd}, true, WhisperFill::kRandom});
  out.push_back({prefix + "ffn_down.bias", {c.n_embd}, false, WhisperFill::kRandom});
}

// Looks tensors up by name, checks dims and types, and records which were bound.
class Binder {
 public:
  explicit Binder(const GgufFile& file) : file_(file) {}

  Result<const GgufTensorInfo*> find(const std::string& name, const std::vector<int64_t>& ne) {
    const GgufTensorInfo* t = file_.find_tensor(name);
    if (t == nullptr) return data_loss_error("whisper: missing tensor " + name);
    bool same = t->n_dims == static_cast<int>(ne.size());
    for (size_t dim = 0; same && dim < ne.size(); ++dim) same = t->ne[dim] == ne[dim];
    if (!same) {
      std::string want, got;
      for (int64_t v : ne) want += (want.empty() ? "" : ", ") + std::to_string(v);
      for (int dim = 0; dim < t->n_dims; ++dim) got += (got.empty() ? "" : ", ") + std::to_string(t->ne[dim]);
      return data_loss_error("whisper: tensor " + name + " has dims [" + got + "], expected [" + want + "]");
    }
    bound_.insert(name);
    bytes_ += static_cast<int64_t>(t->n_bytes);
    return t;
  }

  Result<const float*> vector(const std::string& name, int64_t n) {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* t, find(name, {n}));
    if (t->dtype != tensor::DType::kF32) return data_loss_error("whisper: tensor " + name + " must be F32");
    return reinterpret_cast<const float*>(t->data);
  }

  // A matrix of n_rows x n_cols stored with dims `ne` (2-D, or the 3-D convolutions).
  Result<tensor::WeightView> matrix(const std::string& name, const std::vector<int64_t>& ne, int64_t n_rows,
                                    int64_t n_cols, bool float_only = false) {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* t, find(name, ne));
    const int64_t block = tensor::dtype_info(t->dtype).block_elems;
    if (t->dtype == tensor::DType::kQ8_K || n_cols % block != 0) {
      return data_loss_error("whisper: tensor " + name + " cannot be " +
                             std::string(tensor::dtype_info(t->dtype).name));
    }
    if (float_only && t->dtype != tensor::DType::kF32 && t->dtype != tensor::DType::kF16) {
      return data_loss_error("whisper: tensor " + name + " must be F32 or F16");
    }
    return tensor::WeightView{t->dtype, t->data, n_rows, n_cols};
  }

  Status check_all_bound() const {
    for (const GgufTensorInfo& t : file_.tensors()) {
      if (!bound_.contains(t.name)) return data_loss_error("whisper: tensor " + t.name + " is not part of the graph");
    }
    return ok_status();
  }

  int64_t bytes() const { return bytes_; }

 private:
  const GgufFile& file_;
  std::set<std::string> bound_;
  int64_t bytes_ = 0;
};

Result<WhisperAttentionWeights> bind_attention(Binder& b, const std::string& prefix, int64_t d) {
  WhisperAttentionWeights a;
  HEARTH_ASSIGN_OR_RETURN(a.norm_w, b.vector(prefix + "_norm.weight", d));
  HEARTH_ASSIGN_OR_RETURN(a.norm_b, b.vector(prefix + "_norm.bias", d));
  HEARTH_ASSIGN_OR_RETURN(a.q, b.matrix(prefix + "_q.weight", {d, d}, d, d));
  HEARTH_ASSIGN_OR_RETURN(a.k, b.matrix(prefix + "_k.weight", {d, d}, d, d));
  HEARTH_ASSIGN_OR_RETURN(a.v, b.matrix(prefix + "_v.weight", {d, d}, d, d));
  HEARTH_ASSIGN_OR_RETURN(a.o, b.matrix(prefix + "_o.weight", {d, d}, d, d));
  HEARTH_ASSIGN_OR_RETURN(a.q_b, b.vector(prefix + "_q.bias", d));
  HEARTH_ASSIGN_OR_RETURN(a.v_b, b.vector(prefix + "_v.bias", d));
  HEARTH_ASSIGN_OR_RETURN(a.o_b, b.vector(prefix + "_o.bias", d));
  return a;
}

Result<WhisperLayerWeights> bind_layer(Binder& b, const std::string& prefix, const WhisperConfig& c, bool cross) {
  WhisperLayerWeights l;
  const int64_t d = c.n_embd;
  HEARTH_ASSIGN_OR_RETURN(l.self_attn, bind_attention(b, prefix + "attn", d));
  if (cross) {
    HEARTH_ASSIGN_OR_RETURN(l.cross_attn, bind_attention(b, prefix + "cross_attn", d));
  }
  HEARTH_ASSIGN_OR_RETURN(l.ffn_norm_w, b.vector(prefix + "ffn_norm.weight", d));
  HEARTH_ASSIGN_OR_RETURN(l.ffn_norm_b, b.vector(prefix + "ffn_norm.bias", d));
  HEARTH_ASSIGN_OR_RETURN(l.ffn_up, b.matrix(prefix + "ffn_up.weight", {d, c.n_ff}, c.n_ff, d));
  HEARTH_ASSIGN_OR_RETURN(l.ffn_up_b, b.vector(prefix + "ffn_up.bias", c.n_ff));
  HEARTH_ASSIGN_OR_RETURN(l.ffn_down, b.matrix(prefix + "ffn_down.weight", {c.n_ff, d}, d, c.n_ff));
  HEARTH_ASSIGN_OR_RETURN(l.ffn_down_b, b.vector(prefix + "ffn_down.bias", d));
  return l;
}

}  // namespace

Status validate_whisper_config(const WhisperConfig& c) {
  HEARTH_RETURN_IF_ERROR(check_range("vocab_size", c.n_vocab, kMaxVocab));
  HEARTH_RETURN_IF_ERROR(check_range("embedding_length", c.n_embd, kMaxEmbd));
  HEARTH_RETURN_IF_ERROR(check_range("attention.head_count", c.n_head, kMaxHeads));
  HEARTH_RETURN_IF_ERROR(check_range("feed_forward_length", c.n_ff, kMaxFf));
  HEARTH_RETURN_IF_ERROR(check_range("block_count", c.n_enc_layer, kMaxLayers));
  HEARTH_RETURN_IF_ERROR(check_range("decoder_block_count", c.n_dec_layer, kMaxLayers));
  HEARTH_RETURN_IF_ERROR(check_range("context_length", c.n_text_ctx, 1 << 16));
  HEARTH_RETURN_IF_ERROR(check_range("audio.context_length", c.n_audio_ctx, 1 << 16));
  if (c.n_embd % c.n_head != 0 || c.head_dim() > kMaxHeadDim) {
    return invalid_argument_error("whisper: embedding_length " + std::to_string(c.n_embd) +
                                  " does not split into " + std::to_string(c.n_head) + " heads");
  }
  if (c.n_mels != 80 && c.n_mels != 128) {
    return invalid_argument_error("whisper: audio.num_mel_bins is " + std::to_string(c.n_mels) +
                                  ", expected 80 or 128");
  }
  if (c.n_audio_ctx % 2 != 0 && c.n_audio_ctx != 1) {
    return invalid_argument_error("whisper: audio.context_length must be even");
  }
  if (!(c.ln_eps > 0.0f && c.ln_eps < 1.0f)) {
    return invalid_argument_error("whisper: attention.layer_norm_epsilon must be in (0, 1)");
  }
  return ok_status();
}

Result<WhisperConfig> read_whisper_config(const GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(std::string_view arch, file.get_string("general.architecture"));
  if (arch != kWhisperArch) {
    return invalid_argument_error("general.architecture is \"" + std::string(arch) + "\", not whisper");
  }
  WhisperConfig c;
  for (const IntKey& k : kIntKeys) {
    const GgufValue* v = file.find(key(k.suffix));
    if (v == nullptr) return data_loss_error("whisper: missing key " + key(k.suffix));
    Result<uint64_t> value = v->as_uint();
    if (!value.ok() || *value > static_cast<uint64_t>(INT64_MAX)) {
      return data_loss_error("whisper: key " + key(k.suffix) + " is not a count");
    }
    c.*(k.field) = static_cast<int64_t>(*value);
  }
  if (const GgufValue* v = file.find(key("attention.layer_norm_epsilon")); v != nullptr) {
    Result<double> eps = v->as_float();
    if (!eps.ok()) return data_loss_error("whisper: key " + key("attention.layer_norm_epsilon") + " is not a number");
    c.ln_eps = static_cast<float>(*eps);
  }
  Status valid = validate_whisper_config(c);
  if (!valid.ok()) return data_loss_error(valid.message());
  return c;
}

void write_whisper_config(GgufWriter& w, const WhisperConfig& c) {
  w.add_string("general.architecture", std::string(kWhisperArch));
  for (const IntKey& k : kIntKeys) w.add_uint32(key(k.suffix), static_cast<uint32_t>(c.*(k.field)));
  w.add_float32(key("attention.layer_norm_epsilon"), c.ln_eps);
}

std::vector<WhisperTensorSpec> whisper_tensors(const WhisperConfig& c) {
  const int64_t d = c.n_embd;
  std::vector<WhisperTensorSpec> out = {
      {"enc.conv1d.0.weight", {3, c.n_mels, d}, true, WhisperFill::kRandom},
      {"enc.conv1d.0.bias", {d}, false, WhisperFill::kRandom},
      {"enc.conv1d.1.weight", {3, d, d}, true, WhisperFill::kRandom},
      {"enc.conv1d.1.bias", {d}, false, WhisperFill::kRandom},
      {"enc.position_embd.weight", {d, c.n_audio_ctx}, false, WhisperFill::kSinusoids},
      {"enc.output_norm.weight", {d}, false, WhisperFill::kOnes},
      {"enc.output_norm.bias", {d}, false, WhisperFill::kZeros},
      {"token_embd.weight", {d, c.n_vocab}, true, WhisperFill::kRandom},
      {"dec.position_embd.weight", {d, c.n_text_ctx}, false, WhisperFill::kRandom},
      {"dec.output_norm.weight", {d}, false, WhisperFill::kOnes},
      {"dec.output_norm.bias", {d}, false, WhisperFill::kZeros},
  };
  for (int64_t layer = 0; layer < c.n_enc_layer; ++layer) {
    add_block(out, "enc.blk." + std::to_string(layer) + ".", c, false);
  }
  for (int64_t layer = 0; layer < c.n_dec_layer; ++layer) {
    add_block(out, "dec.blk." + std::to_string(layer) + ".", c, true);
  }
  return out;
}

Result<WhisperWeights> bind_whisper_weights(const GgufFile& file, const WhisperConfig& c) {
  Binder b(file);
  WhisperWeights w;
  const int64_t d = c.n_embd;
  HEARTH_ASSIGN_OR_RETURN(w.conv1, b.matrix("enc.conv1d.0.weight", {3, c.n_mels, d}, d, c.n_mels * 3, true));
  HEARTH_ASSIGN_OR_RETURN(w.conv1_b, b.vector("enc.conv1d.0.bias", d));
  HEARTH_ASSIGN_OR_RETURN(w.conv2, b.matrix("enc.conv1d.1.weight", {3, d, d}, d, d * 3, true));
  HEARTH_ASSIGN_OR_RETURN(w.conv2_b, b.vector("enc.conv1d.1.bias", d));
  {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* t, b.find("enc.position_embd.weight", {d, c.n_audio_ctx}));
    if (t->dtype != tensor::DType::kF32) return data_loss_error("whisper: tensor enc.position_embd.weight must be F32");
    w.enc_pos = reinterpret_cast<const float*>(t->data);
  }
  HEARTH_ASSIGN_OR_RETURN(w.enc_norm_w, b.vector("enc.output_norm.weight", d));
  HEARTH_ASSIGN_OR_RETURN(w.enc_norm_b, b.vector("enc.output_norm.bias", d));
  HEARTH_ASSIGN_OR_RETURN(w.token_embd, b.matrix("token_embd.weight", {d, c.n_vocab}, c.n_vocab, d));
  HEARTH_ASSIGN_OR_RETURN(w.dec_pos, b.matrix("dec.position_embd.weight", {d, c.n_text_ctx}, c.n_text_ctx, d, true));
  HEARTH_ASSIGN_OR_RETURN(w.dec_norm_w, b.vector("dec.output_norm.weight", d));
  HEARTH_ASSIGN_OR_RETURN(w.dec_norm_b, b.vector("dec.output_norm.bias", d));
  for (int64_t layer = 0; layer < c.n_enc_layer; ++layer) {
    HEARTH_ASSIGN_OR_RETURN(auto l, bind_layer(b, "enc.blk." + std::to_string(layer) + ".", c, false));
    w.enc_layers.push_back(l);
  }
  for (int64_t layer = 0; layer < c.n_dec_layer; ++layer) {
    HEARTH_ASSIGN_OR_RETURN(auto l, bind_layer(b, "dec.blk." + std::to_string(layer) + ".", c, true));
    w.dec_layers.push_back(l);
  }
  HEARTH_RETURN_IF_ERROR(b.check_all_bound());
  w.weights_bytes = b.bytes();
  return w;
}

}  // namespace hearth::model

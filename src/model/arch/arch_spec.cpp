// What a family's description implies: its fixed config fields and its
// concrete tensor list.
#include "model/arch/arch_spec.h"

namespace hearth::model {

namespace {

constexpr std::pair<Capability, std::string_view> kCapabilityNames[] = {
    {Capability::kGenerate, "generate"}, {Capability::kEmbed, "embed"}, {Capability::kTranscribe, "transcribe"},
    {Capability::kSpeak, "speak"},       {Capability::kOcr, "ocr"},       {Capability::kRerank, "rerank"},
};

}  // namespace

std::string_view capability_name(Capability cap) {
  for (const auto& [known, name] : kCapabilityNames) {
    if (known == cap) return name;
  }
  return "unknown";
}

std::vector<std::string_view> capability_name_list(Capabilities caps) {
  std::vector<std::string_view> names;
  for (const auto& [cap, name] : kCapabilityNames) {
    if (has_capability(caps, cap)) names.push_back(name);
  }
  return names;
}

std::string capability_names(Capabilities caps) {
  std::string joined;
  for (std::string_view name : capability_name_list(caps)) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined.empty() ? "none" : joined;
}

const ArchTensor* find_tensor_spec(const ArchSpec& spec, WeightSlot slot) {
  for (const ArchTensor& tensor : spec.tensors) {
    if (tensor.slot == slot) return &tensor;
  }
  return nullptr;
}

LlamaConfig family_config(const ArchSpec& spec) {
  LlamaConfig config;
  config.arch = std::string(spec.name);
  config.rope_neox = spec.rope_mode == RopeMode::kNeox;
  config.has_qkv_bias = find_tensor_spec(spec, WeightSlot::kAttnQBias) != nullptr;
  config.ffn_activation = spec.graph.activation;
  config.scale_embedding = spec.graph.scale_embedding;
  config.global_layer_period = spec.graph.global_layer_period;
  config.rope_local_theta = spec.graph.local_rope_base;
  config.soft_capping = spec.graph.soft_capping;
  config.embd_per_head_scale_layers = spec.graph.embd_per_head_scale_layers;
  config.encoder = spec.graph.encoder;
  return config;
}

std::optional<TensorRole> quant_role(WeightSlot slot) {
  switch (slot) {
    case WeightSlot::kTokenEmbd:
      return TensorRole::kTokenEmbedding;
    case WeightSlot::kOutput:
      return TensorRole::kOutput;
    case WeightSlot::kAttnQ:
      return TensorRole::kAttnQ;
    case WeightSlot::kAttnK:
      return TensorRole::kAttnK;
    case WeightSlot::kAttnV:
      return TensorRole::kAttnV;
    case WeightSlot::kAttnOutput:
      return TensorRole::kAttnOutput;
    case WeightSlot::kFfnGate:
    case WeightSlot::kFfnGateExps:
      return TensorRole::kFfnGate;
    case WeightSlot::kFfnUp:
    case WeightSlot::kFfnGateUp:
    case WeightSlot::kFfnUpExps:
      return TensorRole::kFfnUp;
    case WeightSlot::kAttnQkv:
      // llama.cpp's quantizer gives attn_qkv the type rules of attn_v.
      return TensorRole::kAttnV;
    case WeightSlot::kFfnDown:
    case WeightSlot::kFfnDownExps:
      return TensorRole::kFfnDown;
    case WeightSlot::kFfnGateInp:
    case WeightSlot::kOutputNorm:
    case WeightSlot::kRopeFreqs:
    case WeightSlot::kAttnNorm:
    case WeightSlot::kAttnQBias:
    case WeightSlot::kAttnKBias:
    case WeightSlot::kAttnVBias:
    case WeightSlot::kFfnNorm:
    case WeightSlot::kAttnQNorm:
    case WeightSlot::kAttnKNorm:
    case WeightSlot::kAttnPostNorm:
    case WeightSlot::kFfnPostNorm:
    // llama-quantize keeps BERT's position and token-type embeddings F32.
    case WeightSlot::kPosEmbd:
    case WeightSlot::kTokenTypes:
    case WeightSlot::kTokenEmbdNorm:
    case WeightSlot::kTokenEmbdNormBias:
    case WeightSlot::kAttnOutputBias:
    case WeightSlot::kAttnOutNorm:
    case WeightSlot::kAttnOutNormBias:
    case WeightSlot::kFfnUpBias:
    case WeightSlot::kFfnDownBias:
    case WeightSlot::kLayerOutNorm:
    case WeightSlot::kLayerOutNormBias:
    // The classification head is small; hearth's writers keep it F32.
    case WeightSlot::kCls:
    case WeightSlot::kClsBias:
    case WeightSlot::kClsOut:
    case WeightSlot::kClsOutBias:
      return std::nullopt;
  }
  return std::nullopt;
}

tensor::DType tensor_type_in(FileType file_type, const ModelTensor& tensor, const LlamaConfig& config) {
  const std::optional<TensorRole> role = quant_role(tensor.spec->slot);
  if (tensor.spec->form != TensorForm::kMatrix || !role.has_value()) return tensor::DType::kF32;
  MixContext context;
  context.n_layer = config.n_layer;
  context.n_gqa = config.n_head / config.n_head_kv;
  context.n_expert = config.n_expert;
  context.tied_output = config.tied_output;
  constexpr int64_t kLlama70bLayers = 80;  // llama.cpp's LLM_TYPE_70B for the llama family
  context.llama_70b = config.arch == "llama" && config.n_layer == kLlama70bLayers;
  return pick_tensor_type(file_type, *role, tensor.layer_idx, tensor.shape.n_cols, context);
}

std::vector<ModelTensor> model_tensors(const ArchSpec& spec, const LlamaConfig& config, TensorSelection which) {
  const auto selected = [&](const ArchTensor& tensor) {
    return which == TensorSelection::kPossible || tensor.written_when == nullptr || tensor.written_when(config);
  };
  std::vector<ModelTensor> tensors;
  for (const ArchTensor& tensor : spec.tensors) {
    if (tensor.scope == TensorScope::kGlobal && selected(tensor)) {
      tensors.push_back({std::string(tensor.name), &tensor, -1, tensor.shape(config)});
    }
  }
  for (int64_t layer_idx = 0; layer_idx < config.n_layer; ++layer_idx) {
    const std::string prefix = "blk." + std::to_string(layer_idx) + ".";
    for (const ArchTensor& tensor : spec.tensors) {
      if (tensor.scope == TensorScope::kPerBlock && selected(tensor)) {
        tensors.push_back({prefix + std::string(tensor.name), &tensor, layer_idx, tensor.shape(config)});
      }
    }
  }
  return tensors;
}

}  // namespace hearth::model

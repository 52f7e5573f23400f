#include "store/model_info.h"

#include <algorithm>
#include <map>

#include "tensor/dtype.h"

namespace hearth::store {
namespace {

int64_t uint_or_zero(const model::GgufFile& file, const std::string& key) {
  const Result<uint64_t> value = file.get_uint(key);
  if (!value.ok() || *value > uint64_t{1} << 40) return 0;
  return static_cast<int64_t>(*value);
}

}  // namespace

std::string file_type_label(int64_t file_type_id) {
  static constexpr std::pair<int64_t, const char*> kLabels[] = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},     {3, "Q4_1"},    {7, "Q8_0"},    {8, "Q5_0"},    {9, "Q5_1"},
      {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"},  {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"},
      {17, "Q5_K_M"}, {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"}, {22, "IQ3_XS"}, {23, "IQ3_XXS"},
      {24, "IQ1_S"},  {25, "IQ4_NL"}, {26, "IQ3_S"},   {27, "IQ3_M"},  {28, "IQ2_S"},  {29, "IQ2_M"},  {30, "IQ4_XS"},
      {31, "IQ1_M"},  {32, "BF16"},   {36, "TQ1_0"},   {37, "TQ2_0"},
  };
  for (const auto& [id, label] : kLabels) {
    if (id == file_type_id) return label;
  }
  return "";
}

ModelInfo describe_model(const model::GgufFile& file) {
  ModelInfo info;
  info.gguf_version = file.version();
  info.file_bytes = file.file_bytes();
  if (Result<std::string_view> arch = file.get_string("general.architecture"); arch.ok()) {
    info.architecture = std::string(*arch);
  }
  if (Result<std::string_view> name = file.get_string("general.name"); name.ok()) info.model_name = std::string(*name);

  std::map<std::string, int64_t> type_counts;
  std::map<std::string, uint64_t> type_bytes;
  for (const model::GgufTensorInfo& tensor : file.tensors()) {
    const std::string type(tensor::dtype_info(tensor.dtype).name);
    ++type_counts[type];
    if (tensor.n_dims >= 2) type_bytes[type] += tensor.n_bytes;
    info.n_params += tensor.n_elements();
    info.tensor_bytes += tensor.n_bytes;
  }
  info.n_tensors = static_cast<int64_t>(file.tensors().size());
  info.tensor_types.assign(type_counts.begin(), type_counts.end());
  std::stable_sort(info.tensor_types.begin(), info.tensor_types.end(),
                   [](const auto& lhs, const auto& rhs) { return lhs.second > rhs.second; });
  uint64_t most_bytes = 0;
  for (const auto& [type, n_bytes] : type_bytes) {
    if (n_bytes > most_bytes) {
      most_bytes = n_bytes;
      info.main_tensor_type = type;
    }
  }
  if (Result<uint64_t> file_type = file.get_uint("general.file_type"); file_type.ok() && *file_type < 1024) {
    info.file_type_id = static_cast<int64_t>(*file_type);
    info.file_type = file_type_label(info.file_type_id);
  }

  if (!info.architecture.empty()) {
    const std::string& arch = info.architecture;
    info.n_ctx_train = uint_or_zero(file, arch + ".context_length");
    info.n_embd = uint_or_zero(file, arch + ".embedding_length");
    info.n_layer = uint_or_zero(file, arch + ".block_count");
    info.n_head = uint_or_zero(file, arch + ".attention.head_count");
    info.n_head_kv = uint_or_zero(file, arch + ".attention.head_count_kv");
    info.n_ff = uint_or_zero(file, arch + ".feed_forward_length");
  }
  if (Result<std::string_view> tokenizer = file.get_string("tokenizer.ggml.model"); tokenizer.ok()) {
    info.tokenizer_model = std::string(*tokenizer);
  }
  if (const model::GgufValue* tokens = file.find("tokenizer.ggml.tokens");
      tokens != nullptr && tokens->type() == model::GgufValueType::kArray) {
    info.n_vocab = static_cast<int64_t>(tokens->array_size());
  }
  info.has_chat_template = file.find("tokenizer.chat_template") != nullptr;
  return info;
}

}  // namespace hearth::store

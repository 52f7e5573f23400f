// libFuzzer target: GgufFile::parse on arbitrary bytes, then every accessor a
// consumer may call and the llama binding. Any crash, sanitizer report or
// leak is a bug; error Statuses are the expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "model/gguf.h"
#include "model/llama_arch.h"

namespace {

using hearth::model::GgufFile;
using hearth::model::GgufValue;

uint64_t touch_values(const GgufFile& file) {
  uint64_t checksum = 0;
  for (const std::string& key : file.keys()) {
    const GgufValue* value = file.find(key);
    if (value == nullptr) __builtin_trap();  // every listed key must be found
    checksum += value->as_uint().ok() + value->as_int().ok() + value->as_float().ok() + value->as_bool().ok();
    checksum += static_cast<uint64_t>(value->type()) + value->array_size();
    if (auto text = value->as_string(); text.ok()) {
      for (char c : text.value()) checksum += static_cast<uint8_t>(c);
    }
    if (auto strings = value->as_string_array(); strings.ok()) {
      for (std::string_view text : strings.value()) checksum += text.size() + (text.empty() ? 0 : text.back());
    }
    if (auto floats = value->as_float_array(); floats.ok()) checksum += floats->size();
    if (auto ints = value->as_int32_array(); ints.ok()) checksum += ints->size();
    checksum += file.get_uint(key).ok() + file.get_float(key).ok() + file.get_string(key).ok() +
                file.get_bool(key).ok() + file.get_string_array(key).ok() + file.get_float_array(key).ok() +
                file.get_int32_array(key).ok();
  }
  return checksum;
}

uint64_t touch_tensors(const GgufFile& file) {
  uint64_t checksum = 0;
  for (const hearth::model::GgufTensorInfo& info : file.tensors()) {
    if (file.find_tensor(info.name) != &info) __builtin_trap();  // names are unique and indexed
    // First and last byte: ASan reports any tensor range outside the input.
    if (info.n_bytes > 0) checksum += info.data[0] + info.data[info.n_bytes - 1];
    checksum += static_cast<uint64_t>(info.n_elements());
  }
  return checksum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The default limits, as production uses them; -max_len bounds the work per input.
  hearth::Result<GgufFile> file = GgufFile::parse(std::span<const uint8_t>(data, size));
  if (!file.ok()) return 0;
  volatile uint64_t sink = touch_values(file.value()) + touch_tensors(file.value());
  auto config = hearth::model::read_llama_config(file.value());
  if (config.ok()) {
    auto weights = hearth::model::bind_llama_weights(file.value(), config.value());
    if (weights.ok()) {
      sink = sink + weights->n_bytes;
      if (weights->layers.size() != static_cast<size_t>(config->n_layer)) __builtin_trap();
      // Norms are bound as float pointers: read the ends of one.
      if (weights->output_norm[0] == weights->output_norm[config->n_embd - 1]) sink = sink + 1;
    }
  }
  (void)sink;
  return 0;
}

#include "api/status_route.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"
#include "infer/kv_block_pool.h"
#include "planner/memory_plan.h"

namespace hearth::api {
namespace {

nlohmann::json machine_object(const Result<planner::HardwareProfile>& machine) {
  if (!machine.ok()) return nullptr;
  return {{"name", machine->name},           {"description", machine->description},
          {"ram_bytes", machine->ram_bytes}, {"usable_bytes", machine->usable_bytes},
          {"cores", machine->n_cores},       {"gpu_name", machine->gpu_name},
          {"gpu_bytes", machine->gpu_bytes}};
}

nlohmann::json model_object(const node::ServedModel& served) {
  const infer::SchedulerStats stats = served.scheduler->stats();
  const infer::SchedulerOptions& options = served.scheduler->options();
  const model::LlamaConfig& config = served.model->config();
  const int64_t kv_bytes =
      stats.kv_blocks_total * options.kv_block_tokens *
      infer::KvBlockPool::bytes_per_token({config.n_layer, config.n_head_kv, config.head_dim}, options.kv_dtype);
  return {{"id", served.id},
          {"path", served.path},
          {"n_ctx", served.n_ctx()},
          {"weights_bytes", planner::file_weights_bytes(served.model->file())},
          {"kv",
           {{"blocks_total", stats.kv_blocks_total},
            {"blocks_used", stats.kv_blocks_used},
            {"blocks_cached", stats.kv_blocks_cached},
            {"block_tokens", options.kv_block_tokens},
            {"bytes", kv_bytes}}},
          {"running", stats.n_running},
          {"waiting", stats.n_waiting},
          {"prompt_tokens_total", stats.n_prompt_tokens_total},
          {"cached_tokens_total", stats.n_cached_tokens_total},
          {"generated_tokens_total", stats.n_generated_tokens_total},
          {"steps_total", stats.n_steps_total},
          {"prefill_tps", stats.prefill_tps},
          {"decode_tps", stats.decode_tps}};
}

}  // namespace

std::string render_status(const node::ModelRegistry& registry, const Result<planner::HardwareProfile>& machine) {
  nlohmann::json models = nlohmann::json::array();
  for (const node::ServedModel* served : registry.list()) models.push_back(model_object(*served));
  return dump_json({{"object", "hearth.status"}, {"machine", machine_object(machine)}, {"models", std::move(models)}});
}

}  // namespace hearth::api

#include "api/status_route.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

nlohmann::json machine_object(const Result<planner::HardwareProfile>& machine) {
  if (!machine.ok()) return nullptr;
  return {{"name", machine->name},           {"description", machine->description},
          {"ram_bytes", machine->ram_bytes}, {"usable_bytes", machine->usable_bytes},
          {"cores", machine->n_cores},       {"gpu_name", machine->gpu_name},
          {"gpu_bytes", machine->gpu_bytes}};
}

nlohmann::json engine_object(const std::optional<infer::EngineStats>& stats,
                             const std::optional<infer::EngineMemory>& memory) {
  if (!stats) return nullptr;
  nlohmann::json held = nullptr;  // only while resident
  if (memory) {
    held = {{"weights_bytes", memory->weights_bytes},
            {"cache_bytes", memory->cache_bytes},
            {"scratch_bytes", memory->scratch_bytes}};
  }
  return {{"memory", std::move(held)},
          {"kv",
           {{"blocks_total", stats->kv_blocks_total},
            {"blocks_used", stats->kv_blocks_used},
            {"blocks_cached", stats->kv_blocks_cached}}},
          {"running", stats->n_running},
          {"waiting", stats->n_waiting},
          {"prompt_tokens_total", stats->n_prompt_tokens_total},
          {"cached_tokens_total", stats->n_cached_tokens_total},
          {"generated_tokens_total", stats->n_generated_tokens_total},
          {"steps_total", stats->n_steps_total},
          {"prefill_tps", stats->prefill_tps},
          {"decode_tps", stats->decode_tps}};
}

// A model on an external engine process: its kind, and while resident its process.
nlohmann::json external_object(const node::ModelInfo& model) {
  if (model.external_kind.empty()) return nullptr;
  return {{"kind", model.external_kind},
          {"pid", model.external_pid},
          {"restarts", model.external_restarts},
          {"last_exit", model.external_last_exit}};
}

const char* state_name(const node::ModelInfo& model) {
  if (!model.invalid_reason.empty()) return model.being_written ? "being_written" : "invalid";
  if (model.resident) return "resident";
  return model.loading ? "loading" : "unloaded";
}

nlohmann::json model_object(const node::ModelInfo& model) {
  const planner::MemoryPlan& plan = model.plan;
  return {{"id", model.id},
          {"path", model.path},
          {"state", state_name(model)},
          {"invalid_reason", model.invalid_reason.empty() ? nlohmann::json() : nlohmann::json(model.invalid_reason)},
          {"pinned", model.pinned},
          {"capabilities", model::capability_name_list(model.capabilities)},
          {"n_ctx", model.n_ctx},
          {"planned_bytes", plan.total_bytes()},
          {"fits_budget", model.fits_budget},
          {"plan",
           {{"weights_bytes", plan.weights_bytes},
            {"kv_bytes", plan.kv_bytes},
            {"kv_positions", plan.kv_pool_tokens},
            {"scratch_bytes", plan.scratch_bytes},
            {"overhead_bytes", plan.overhead_bytes}}},
          {"in_use", model.n_active},
          {"keep_alive_ms", model.keep_alive_ms < 0 ? -1 : model.keep_alive_ms},
          {"idle_ms", model.idle_for_ms},
          {"last_used_unix_ms", model.last_used_unix_ms},
          {"loads", model.n_loads},
          {"load_ms", model.load_ms},
          {"engine", engine_object(model.stats, model.memory)},
          {"external", external_object(model)}};
}

}  // namespace

std::string render_status(const node::ModelManager& models, const Result<planner::HardwareProfile>& machine,
                          nlohmann::json gateway) {
  nlohmann::json model_list = nlohmann::json::array();
  int64_t n_running = 0;
  int64_t n_waiting = 0;
  for (const node::ModelInfo& model : models.list()) {
    if (model.resident && model.stats) {
      n_running += model.stats->n_running;
      n_waiting += model.stats->n_waiting;
    }
    model_list.push_back(model_object(model));
  }
  nlohmann::json status = {
      {"object", "hearth.status"},
      {"machine", machine_object(machine)},
      {"memory", {{"budget_bytes", models.budget_bytes()}, {"committed_bytes", models.committed_bytes()}}},
      {"queue", {{"running", n_running}, {"waiting", n_waiting}}},
      {"models", std::move(model_list)}};
  if (!gateway.is_null()) status["gateway"] = std::move(gateway);
  return dump_json(status);
}

}  // namespace hearth::api

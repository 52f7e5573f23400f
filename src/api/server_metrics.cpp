#include "api/server_metrics.h"

#include <array>
#include <charconv>

#include "api/metrics_text.h"

namespace hearth::api {
namespace {

using Labels1 = std::array<std::string_view, 1>;
using Labels2 = std::array<std::string_view, 2>;
using Labels3 = std::array<std::string_view, 3>;

// Time to first token: interactive answers in tens of milliseconds to a minute on a busy node.
const std::vector<double> kTtftBoundsS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
// Per output token: a fast decode at a few ms to a slow one at a second.
const std::vector<double> kTimePerTokenBoundsS = {0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5};

}  // namespace

ServerMetrics::ServerMetrics(size_t max_series_per_family) : registry_(max_series_per_family) {
  requests_ =
      registry_.add_family(MetricKind::kCounter, "hearth_http_requests_total",
                           "HTTP requests answered, by route pattern, model and status.", {"route", "model", "status"});
  ttft_ = registry_.add_family(MetricKind::kHistogram, "hearth_time_to_first_token_seconds",
                               "From the request read to the first token sent.", {"route", "model"}, kTtftBoundsS);
  time_per_token_ = registry_.add_family(MetricKind::kHistogram, "hearth_time_per_output_token_seconds",
                                         "Mean time per output token after the first, per request.", {"route", "model"},
                                         kTimePerTokenBoundsS);
  model_requests_ = registry_.add_family(MetricKind::kGauge, "hearth_model_requests",
                                         "Sequences of a resident model: running (admitted) or waiting (queued).",
                                         {"model", "state"});
  kv_blocks_used_ = registry_.add_family(MetricKind::kGauge, "hearth_kv_blocks_used",
                                         "KV cache blocks held by sequences of a resident model.", {"model"});
  kv_blocks_capacity_ = registry_.add_family(MetricKind::kGauge, "hearth_kv_blocks_capacity",
                                             "KV cache blocks of a resident model.", {"model"});
  models_resident_ =
      registry_.add_family(MetricKind::kGauge, "hearth_models_resident", "Models resident on this node.", {});
  resident_planned_bytes_ = registry_.add_family(MetricKind::kGauge, "hearth_resident_planned_bytes",
                                                 "Planned bytes of the resident models together.", {});
  model_loads_ = registry_.add_family(MetricKind::kCounter, "hearth_model_loads_total",
                                      "Times a model was loaded since the server started.", {"model"});
  model_unloads_ = registry_.add_family(MetricKind::kCounter, "hearth_model_unloads_total",
                                        "Times a model was unloaded (evictions included).", {"model"});
  model_evictions_ = registry_.add_family(MetricKind::kCounter, "hearth_model_evictions_total",
                                          "Times a model was unloaded to make room for another one.", {"model"});
  gateway_routes_ = registry_.add_family(MetricKind::kCounter, "hearth_gateway_routes_total",
                                         "Requests the gateway sent to a target that answered, by data class.",
                                         {"target", "data_class"});
  egress_rows_ = registry_.add_family(MetricKind::kCounter, "hearth_egress_rows_total",
                                      "Egress rows written before a request left for a cloud provider.",
                                      {"provider", "data_class"});
}

void ServerMetrics::record_request(const AccessRecord& record, bool route_matched) {
  const int status = record.status == 0 ? 499 : record.status;
  char status_text[16];
  const std::to_chars_result written = std::to_chars(status_text, status_text + sizeof(status_text), status);
  const std::string_view route = route_matched ? std::string_view(record.route) : std::string_view("_unmatched");
  const Labels3 request_labels{route, record.model, std::string_view(status_text, written.ptr - status_text)};
  registry_.add(requests_, request_labels, 1.0);
  if (!record.ttft_ms) return;
  const Labels2 timing_labels{route, record.model};
  registry_.observe(ttft_, timing_labels, *record.ttft_ms / 1000.0);
  const int64_t n_tokens = record.completion_tokens.value_or(0);
  if (n_tokens >= 2 && record.total_ms >= *record.ttft_ms) {
    const double per_token_s = (record.total_ms - *record.ttft_ms) / 1000.0 / static_cast<double>(n_tokens - 1);
    registry_.observe(time_per_token_, timing_labels, per_token_s);
  }
}

void ServerMetrics::record_route(std::string_view target, std::string_view data_class) {
  const Labels2 labels{target, data_class};
  registry_.add(gateway_routes_, labels, 1.0);
}

void ServerMetrics::record_egress(std::string_view provider, std::string_view data_class) {
  const Labels2 labels{provider, data_class};
  registry_.add(egress_rows_, labels, 1.0);
}

std::string ServerMetrics::scrape(const node::ModelManager& models) {
  for (const FamilyId family :
       {model_requests_, kv_blocks_used_, kv_blocks_capacity_, model_loads_, model_unloads_, model_evictions_}) {
    registry_.clear(family);  // models removed from the directory leave
  }
  int64_t n_resident = 0;
  int64_t resident_bytes = 0;
  for (const node::ModelInfo& model : models.list()) {
    if (!model.invalid_reason.empty()) continue;
    const Labels1 model_label{model.id};
    registry_.set(model_loads_, model_label, static_cast<double>(model.n_loads));
    registry_.set(model_unloads_, model_label, static_cast<double>(model.n_unloads));
    registry_.set(model_evictions_, model_label, static_cast<double>(model.n_evictions));
    if (!model.resident) continue;
    ++n_resident;
    resident_bytes += model.plan.total_bytes();
    if (!model.stats) continue;
    const Labels2 running{model.id, "running"};
    const Labels2 waiting{model.id, "waiting"};
    registry_.set(model_requests_, running, model.stats->n_running);
    registry_.set(model_requests_, waiting, model.stats->n_waiting);
    registry_.set(kv_blocks_used_, model_label, static_cast<double>(model.stats->kv_blocks_used));
    registry_.set(kv_blocks_capacity_, model_label, static_cast<double>(model.stats->kv_blocks_total));
  }
  const std::array<std::string_view, 0> no_labels{};
  registry_.set(models_resident_, no_labels, static_cast<double>(n_resident));
  registry_.set(resident_planned_bytes_, no_labels, static_cast<double>(resident_bytes));
  return render_metrics_text(registry_.snapshot());
}

}  // namespace hearth::api

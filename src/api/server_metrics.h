// What `GET /metrics` shows: hearth's metric families in one registry
// (api/metrics_registry.h), fed per request from the access record and at
// each scrape from the model manager's state.
//
//   hearth_http_requests_total{route,model,status}          counter
//   hearth_time_to_first_token_seconds{route,model}         histogram
//   hearth_time_per_output_token_seconds{route,model}       histogram
//   hearth_model_requests{model,state="running"|"waiting"}  gauge
//   hearth_kv_blocks_used{model}, hearth_kv_blocks_capacity{model}  gauges
//   hearth_models_resident, hearth_resident_planned_bytes   gauges
//   hearth_model_loads_total{model}, hearth_model_unloads_total{model},
//   hearth_model_evictions_total{model}                      counters
//   hearth_gateway_routes_total{target,data_class}           counter
//   hearth_egress_rows_total{provider,data_class}            counter
//
// Routes are the route patterns ("/v1/models/{id}"); a path no route has is
// "_unmatched", so clients cannot make new series with made-up paths. Models
// come from requests: the registry caps each family's series (its overflow
// series has every label "_other").
//
// Thread-safety: every method may be called from any thread (the registry locks).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/access_log.h"
#include "api/metrics_registry.h"
#include "node/model_manager.h"

namespace hearth::api {

class ServerMetrics {
 public:
  explicit ServerMetrics(size_t max_series_per_family = MetricsRegistry::kDefaultMaxSeriesPerFamily);

  // One answered request, as its access log line says (status 0, a client
  // that left before any response, counts as "499"). `route_matched`: false
  // for a path no route has. Time per output token is
  // (total - ttft) / (completion_tokens - 1), for requests with a first token
  // and at least two tokens.
  void record_request(const AccessRecord& record, bool route_matched);

  // The gateway sent a request to `target` ("self", "node:studio", a provider) and it answered.
  void record_route(std::string_view target, std::string_view data_class);

  // An egress row was written before a request left for a provider.
  void record_egress(std::string_view provider, std::string_view data_class);

  // Refreshes the model gauges and counters from `models`, then renders the
  // Prometheus text body (api/metrics_text.h).
  std::string scrape(const node::ModelManager& models);

  const MetricsRegistry& registry() const { return registry_; }

 private:
  MetricsRegistry registry_;
  FamilyId requests_;
  FamilyId ttft_;
  FamilyId time_per_token_;
  FamilyId model_requests_;
  FamilyId kv_blocks_used_;
  FamilyId kv_blocks_capacity_;
  FamilyId models_resident_;
  FamilyId resident_planned_bytes_;
  FamilyId model_loads_;
  FamilyId model_unloads_;
  FamilyId model_evictions_;
  FamilyId gateway_routes_;
  FamilyId egress_rows_;
};

}  // namespace hearth::api

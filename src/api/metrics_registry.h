// A small metrics registry: counters, gauges and histograms with fixed
// buckets, each a family of series told apart by label values. It holds
// numbers only; api/metrics_text.h renders a snapshot in Prometheus' text
// format.
//
//   MetricsRegistry registry;
//   const FamilyId requests = registry.add_family(MetricKind::kCounter, "hearth_http_requests_total",
//                                                 "Requests answered.", {"route", "status"});
//   const std::array<std::string_view, 2> labels{"/v1/models", "200"};
//   registry.add(requests, labels, 1.0);
//
// Thread-safety: every method may be called from any thread. One mutex
// guards all series; an update holds it for one map lookup and a few adds,
// and allocates only when it creates a series (its first observation).
//
// Cardinality: label values may come from clients (a model name), so a family
// holds at most `max_series_per_family` series; past that, new label sets are
// folded into one series whose every label value is "_other".
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::api {

enum class MetricKind { kCounter, kGauge, kHistogram };

using FamilyId = size_t;

struct MetricSeries {
  std::vector<std::string> label_values;  // in the family's label_names order
  double value = 0.0;                     // counter, gauge
  // Histogram: observations <= bucket_bounds[idx] and above the previous
  // bound (not cumulative; rendering makes them so), then the +Inf bucket.
  std::vector<uint64_t> bucket_counts;
  double sum = 0.0;
  uint64_t count = 0;
};

struct MetricFamily {
  MetricKind kind = MetricKind::kCounter;
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bucket_bounds;  // histograms: strictly increasing, finite
  std::vector<MetricSeries> series;   // in a snapshot: sorted by label values
};

class MetricsRegistry {
 public:
  static constexpr size_t kDefaultMaxSeriesPerFamily = 1000;
  inline static const std::string kOverflowLabel = "_other";

  explicit MetricsRegistry(size_t max_series_per_family = kDefaultMaxSeriesPerFamily);
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family; names are the caller's to choose well (the renderer
  // writes them as given). `bucket_bounds` only for histograms: strictly
  // increasing finite bounds (a programming error otherwise: asserted).
  FamilyId add_family(MetricKind kind, std::string name, std::string help, std::vector<std::string> label_names,
                      std::vector<double> bucket_bounds = {});

  // Each takes one label value per label name (asserted).
  // Counter: adds `delta` (>= 0). Gauge: adds `delta` (any sign).
  void add(FamilyId family, std::span<const std::string_view> label_values, double delta);
  // Gauge, or a counter mirrored from a source that counts by itself (the
  // caller keeps it monotonic): sets the value.
  void set(FamilyId family, std::span<const std::string_view> label_values, double value);
  // Histogram: one observation.
  void observe(FamilyId family, std::span<const std::string_view> label_values, double value);
  // Drops every series of the family (gauges refilled from scratch at each scrape).
  void clear(FamilyId family);

  // A copy of every family, in registration order, series sorted by labels.
  std::vector<MetricFamily> snapshot() const;

 private:
  struct LabelsLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& lhs, const B& rhs) const {
      return std::lexicographical_compare(lhs.begin(), lhs.end(), rhs.begin(), rhs.end(),
                                          [](std::string_view a, std::string_view b) { return a < b; });
    }
  };
  struct Family {
    MetricFamily meta;  // series unused here: they live in `series`
    std::map<std::vector<std::string>, MetricSeries, LabelsLess> series;
  };

  // The series for these labels, created (or the overflow one) if new. Holds mutex_.
  MetricSeries& series_for(Family& family, std::span<const std::string_view> label_values);

  const size_t max_series_per_family_;
  mutable std::mutex mutex_;
  std::vector<Family> families_;  // guarded by mutex_
};

}  // namespace hearth::api

#include "api/metrics_registry.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hearth::api {

MetricsRegistry::MetricsRegistry(size_t max_series_per_family)
    : max_series_per_family_(std::max<size_t>(1, max_series_per_family)) {}

FamilyId MetricsRegistry::add_family(MetricKind kind, std::string name, std::string help,
                                     std::vector<std::string> label_names, std::vector<double> bucket_bounds) {
  assert(kind == MetricKind::kHistogram || bucket_bounds.empty());
  for (size_t bound_idx = 0; bound_idx < bucket_bounds.size(); ++bound_idx) {
    assert(std::isfinite(bucket_bounds[bound_idx]));
    assert(bound_idx == 0 || bucket_bounds[bound_idx - 1] < bucket_bounds[bound_idx]);
  }
  std::lock_guard lock(mutex_);
  Family family;
  family.meta.kind = kind;
  family.meta.name = std::move(name);
  family.meta.help = std::move(help);
  family.meta.label_names = std::move(label_names);
  family.meta.bucket_bounds = std::move(bucket_bounds);
  families_.push_back(std::move(family));
  return families_.size() - 1;
}

MetricSeries& MetricsRegistry::series_for(Family& family, std::span<const std::string_view> label_values) {
  assert(label_values.size() == family.meta.label_names.size());
  auto found = family.series.find(label_values);
  if (found != family.series.end()) return found->second;
  std::vector<std::string> key;
  if (family.series.size() + 1 >= max_series_per_family_) {
    // The last slot is the overflow series.
    key.assign(label_values.size(), kOverflowLabel);
    found = family.series.find(key);
    if (found != family.series.end()) return found->second;
  } else {
    key.assign(label_values.begin(), label_values.end());
  }
  MetricSeries series;
  series.label_values = key;
  if (family.meta.kind == MetricKind::kHistogram) series.bucket_counts.assign(family.meta.bucket_bounds.size() + 1, 0);
  return family.series.emplace(std::move(key), std::move(series)).first->second;
}

void MetricsRegistry::add(FamilyId family, std::span<const std::string_view> label_values, double delta) {
  std::lock_guard lock(mutex_);
  Family& entry = families_.at(family);
  assert(entry.meta.kind != MetricKind::kHistogram);
  assert(entry.meta.kind != MetricKind::kCounter || delta >= 0.0);
  series_for(entry, label_values).value += delta;
}

void MetricsRegistry::set(FamilyId family, std::span<const std::string_view> label_values, double value) {
  std::lock_guard lock(mutex_);
  Family& entry = families_.at(family);
  assert(entry.meta.kind != MetricKind::kHistogram);
  series_for(entry, label_values).value = value;
}

void MetricsRegistry::observe(FamilyId family, std::span<const std::string_view> label_values, double value) {
  std::lock_guard lock(mutex_);
  Family& entry = families_.at(family);
  assert(entry.meta.kind == MetricKind::kHistogram);
  MetricSeries& series = series_for(entry, label_values);
  const std::vector<double>& bounds = entry.meta.bucket_bounds;
  // The first bound >= value (le is "less or equal"); NaN lands in +Inf.
  const size_t bucket_idx =
      std::isnan(value) ? bounds.size() : std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++series.bucket_counts[bucket_idx];
  series.sum += value;
  ++series.count;
}

void MetricsRegistry::clear(FamilyId family) {
  std::lock_guard lock(mutex_);
  families_.at(family).series.clear();
}

std::vector<MetricFamily> MetricsRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<MetricFamily> out;
  out.reserve(families_.size());
  for (const Family& family : families_) {
    MetricFamily copy = family.meta;
    copy.series.reserve(family.series.size());
    for (const auto& [labels, series] : family.series) copy.series.push_back(series);  // map order: sorted
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace hearth::api

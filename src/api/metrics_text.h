// Metrics families (api/metrics_registry.h) in Prometheus' text exposition
// format, version 0.0.4: `# HELP` and `# TYPE` lines, then one line per
// series; a histogram as cumulative `_bucket{le="..."}` lines ending with
// `le="+Inf"`, then `_sum` and `_count`.
// ref: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/metrics_registry.h"

namespace hearth::api {

// The Content-Type of the body render_metrics_text writes.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The whole body. Families with no series are left out.
std::string render_metrics_text(const std::vector<MetricFamily>& families);

// A label value inside its double quotes: backslash, double quote and line
// feed escaped as \\, \" and \n; invalid UTF-8 replaced by U+FFFD.
std::string escape_label_value(std::string_view value);

// HELP text: backslash and line feed escaped.
std::string escape_help(std::string_view help);

// A sample value: integers without a fraction, others shortest round-trip,
// "NaN", "+Inf", "-Inf".
std::string format_sample_value(double value);

}  // namespace hearth::api

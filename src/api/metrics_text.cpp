#include "api/metrics_text.h"

#include <charconv>
#include <cmath>

#include "text/utf8.h"

namespace hearth::api {
namespace {

std::string_view kind_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"}` with an optional extra `le` label last; nothing without labels.
void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view le) {
  if (names.empty() && le.empty()) return;
  out += '{';
  for (size_t label_idx = 0; label_idx < names.size(); ++label_idx) {
    if (label_idx > 0) out += ',';
    out += names[label_idx];
    out += "=\"";
    out += escape_label_value(values[label_idx]);
    out += '"';
  }
  if (!le.empty()) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names, const std::vector<std::string>& label_values,
                   std::string_view le, double value) {
  out += name;
  out += suffix;
  append_labels(out, label_names, label_values, le);
  out += ' ';
  out += format_sample_value(value);
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  const std::string valid = text::sanitize_utf8(value);
  std::string out;
  out.reserve(valid.size());
  for (const char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : text::sanitize_utf8(help)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const std::to_chars_result written = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, written.ptr);
}

std::string render_metrics_text(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& family : families) {
    if (family.series.empty()) continue;
    out += "# HELP " + family.name + ' ' + escape_help(family.help) + '\n';
    out += "# TYPE " + family.name + ' ' + std::string(kind_name(family.kind)) + '\n';
    for (const MetricSeries& series : family.series) {
      if (family.kind != MetricKind::kHistogram) {
        append_sample(out, family.name, "", family.label_names, series.label_values, "", series.value);
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t bound_idx = 0; bound_idx < family.bucket_bounds.size(); ++bound_idx) {
        cumulative += series.bucket_counts[bound_idx];
        const std::string le = format_sample_value(family.bucket_bounds[bound_idx]);
        append_sample(out, family.name, "_bucket", family.label_names, series.label_values, le,
                      static_cast<double>(cumulative));
      }
      append_sample(out, family.name, "_bucket", family.label_names, series.label_values, "+Inf",
                    static_cast<double>(series.count));
      append_sample(out, family.name, "_sum", family.label_names, series.label_values, "", series.sum);
      append_sample(out, family.name, "_count", family.label_names, series.label_values, "",
                    static_cast<double>(series.count));
    }
  }
  return out;
}

}  // namespace hearth::api

// The metrics registry, its Prometheus text rendering, and hearth's families fed from access records.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "api/metrics_registry.h"
#include "api/metrics_text.h"
#include "api/server_metrics.h"

namespace hearth::api {
namespace {

using Labels1 = std::array<std::string_view, 1>;
using Labels2 = std::array<std::string_view, 2>;

bool contains_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsRegistryTest, CountersAddPerLabelSetAndGaugesSet) {
  MetricsRegistry registry;
  const FamilyId requests = registry.add_family(MetricKind::kCounter, "requests_total", "Requests.", {"route"});
  const FamilyId depth = registry.add_family(MetricKind::kGauge, "depth", "Depth.", {});
  registry.add(requests, Labels1{"/b"}, 1);
  registry.add(requests, Labels1{"/a"}, 2);
  registry.add(requests, Labels1{"/b"}, 3);
  registry.set(depth, std::array<std::string_view, 0>{}, 7);
  registry.set(depth, std::array<std::string_view, 0>{}, 5);
  const std::vector<MetricFamily> families = registry.snapshot();
  ASSERT_EQ(families.size(), 2u);
  ASSERT_EQ(families[0].series.size(), 2u);
  EXPECT_EQ(families[0].series[0].label_values, std::vector<std::string>{"/a"});  // sorted
  EXPECT_EQ(families[0].series[0].value, 2);
  EXPECT_EQ(families[0].series[1].value, 4);
  ASSERT_EQ(families[1].series.size(), 1u);
  EXPECT_EQ(families[1].series[0].value, 5);
  registry.clear(depth);
  EXPECT_TRUE(registry.snapshot()[1].series.empty());
}

TEST(MetricsRegistryTest, HistogramBucketsAreLessOrEqualWithAnInfBucket) {
  MetricsRegistry registry;
  const FamilyId latency = registry.add_family(MetricKind::kHistogram, "latency_seconds", "L.", {}, {0.1, 1.0});
  const std::array<std::string_view, 0> none{};
  for (const double value : {0.05, 0.1, 0.5, 1.0, 3.0, std::numeric_limits<double>::quiet_NaN()}) {
    registry.observe(latency, none, value);
  }
  const MetricSeries series = registry.snapshot()[0].series.at(0);
  EXPECT_EQ(series.bucket_counts, (std::vector<uint64_t>{2, 2, 2}));  // 0.1 is in le="0.1"; NaN in +Inf
  EXPECT_EQ(series.count, 6u);
  EXPECT_TRUE(std::isnan(series.sum));
}

TEST(MetricsRegistryTest, NewLabelSetsPastTheCapShareTheOverflowSeries) {
  MetricsRegistry registry(3);
  const FamilyId family = registry.add_family(MetricKind::kCounter, "x_total", "X.", {"model", "status"});
  for (const std::string_view model : {"a", "b", "c", "d", "e"}) registry.add(family, Labels2{model, "200"}, 1);
  registry.add(family, Labels2{"a", "200"}, 1);  // an existing series still counts as itself
  const std::vector<MetricSeries> series = registry.snapshot()[0].series;
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].label_values, (std::vector<std::string>{"_other", "_other"}));
  EXPECT_EQ(series[0].value, 3);  // c, d, e
  EXPECT_EQ(series[1].label_values, (std::vector<std::string>{"a", "200"}));
  EXPECT_EQ(series[1].value, 2);
  EXPECT_EQ(series[2].value, 1);
}

TEST(MetricsTextTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(escape_label_value("bad\xff"), "bad\xef\xbf\xbd");  // U+FFFD
  EXPECT_EQ(escape_help("line\none \\ \"q\""), "line\\none \\\\ \"q\"");
}

TEST(MetricsTextTest, FormatsValues) {
  EXPECT_EQ(format_sample_value(3), "3");
  EXPECT_EQ(format_sample_value(0.25), "0.25");
  EXPECT_EQ(format_sample_value(-1.5), "-1.5");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_sample_value(1e21), "1e+21");
}

TEST(MetricsTextTest, RendersCountersWithEscapedLabelsAndHistogramsCumulatively) {
  MetricsRegistry registry;
  const FamilyId requests =
      registry.add_family(MetricKind::kCounter, "hearth_requests_total", "Requests\nanswered.", {"route", "model"});
  const FamilyId ttft =
      registry.add_family(MetricKind::kHistogram, "hearth_ttft_seconds", "TTFT.", {"model"}, {0.1, 0.5, 1});
  registry.add_family(MetricKind::kGauge, "hearth_unused", "Never set: left out.", {});
  registry.add(requests, Labels2{"/v1/models", R"(we"ird\)"}, 2);
  for (const double value : {0.0625, 0.25, 0.375, 2.0}) registry.observe(ttft, Labels1{"tiny"}, value);
  const std::string text = render_metrics_text(registry.snapshot());
  const std::string expected =
      "# HELP hearth_requests_total Requests\\nanswered.\n"
      "# TYPE hearth_requests_total counter\n"
      "hearth_requests_total{route=\"/v1/models\",model=\"we\\\"ird\\\\\"} 2\n"
      "# HELP hearth_ttft_seconds TTFT.\n"
      "# TYPE hearth_ttft_seconds histogram\n"
      "hearth_ttft_seconds_bucket{model=\"tiny\",le=\"0.1\"} 1\n"
      "hearth_ttft_seconds_bucket{model=\"tiny\",le=\"0.5\"} 3\n"
      "hearth_ttft_seconds_bucket{model=\"tiny\",le=\"1\"} 3\n"
      "hearth_ttft_seconds_bucket{model=\"tiny\",le=\"+Inf\"} 4\n"
      "hearth_ttft_seconds_sum{model=\"tiny\"} 2.6875\n"
      "hearth_ttft_seconds_count{model=\"tiny\"} 4\n";
  EXPECT_EQ(text, expected);
}

TEST(MetricsTextTest, AFamilyWithoutLabelsHasNoBraces) {
  MetricsRegistry registry;
  const FamilyId resident = registry.add_family(MetricKind::kGauge, "hearth_models_resident", "R.", {});
  const FamilyId latency = registry.add_family(MetricKind::kHistogram, "lat_seconds", "L.", {}, {1});
  registry.set(resident, std::array<std::string_view, 0>{}, 0);
  registry.observe(latency, std::array<std::string_view, 0>{}, 0.5);
  const std::string text = render_metrics_text(registry.snapshot());
  EXPECT_TRUE(contains_line(text, "hearth_models_resident 0")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_bucket{le=\"1\"} 1")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_sum 0.5")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_count 1")) << text;
}

TEST(ServerMetricsTest, CountsRequestsAndTheirTokenLatencies) {
  ServerMetrics metrics;
  AccessRecord chat;
  chat.route = "/v1/chat/completions";
  chat.model = "tiny";
  chat.status = 200;
  chat.completion_tokens = 5;
  chat.ttft_ms = 100.0;
  chat.total_ms = 300.0;  // 4 tokens after the first in 200 ms: 50 ms each
  metrics.record_request(chat, true);
  AccessRecord gone;  // the client left before any response
  gone.route = "/v1/chat/completions";
  gone.model = "tiny";
  metrics.record_request(gone, true);
  AccessRecord unknown;
  unknown.route = "/made/up/path";
  unknown.status = 404;
  metrics.record_request(unknown, false);
  metrics.record_route("node:studio", "internal");
  metrics.record_egress("openai", "public");
  node::ModelManagerOptions options;
  options.budget_bytes = int64_t{1} << 30;
  std::unique_ptr<node::ModelManager> models = std::move(node::ModelManager::create({}, std::move(options))).value();
  const std::string text = metrics.scrape(*models);
  for (const std::string line : {
           R"(hearth_http_requests_total{route="/v1/chat/completions",model="tiny",status="200"} 1)",
           R"(hearth_http_requests_total{route="/v1/chat/completions",model="tiny",status="499"} 1)",
           R"(hearth_http_requests_total{route="_unmatched",model="",status="404"} 1)",
           R"(hearth_time_to_first_token_seconds_bucket{route="/v1/chat/completions",model="tiny",le="0.1"} 1)",
           R"(hearth_time_to_first_token_seconds_count{route="/v1/chat/completions",model="tiny"} 1)",
           R"(hearth_time_per_output_token_seconds_bucket{route="/v1/chat/completions",model="tiny",le="0.02"} 0)",
           R"(hearth_time_per_output_token_seconds_bucket{route="/v1/chat/completions",model="tiny",le="0.05"} 1)",
           R"(hearth_time_per_output_token_seconds_sum{route="/v1/chat/completions",model="tiny"} 0.05)",
           R"(hearth_gateway_routes_total{target="node:studio",data_class="internal"} 1)",
           R"(hearth_egress_rows_total{provider="openai",data_class="public"} 1)",
           "hearth_models_resident 0",
           "hearth_resident_planned_bytes 0",
       }) {
    EXPECT_TRUE(contains_line(text, line)) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("made/up"), std::string::npos);
}

}  // namespace
}  // namespace hearth::api

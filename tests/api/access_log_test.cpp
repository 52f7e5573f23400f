// The access-log line: one JSON object, every field present, nulls for what a request lacks.
#include "api/access_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

TEST(AccessLogTest, FormatsUtcTimesWithMilliseconds) {
  EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(1714564800123), "2024-05-01T12:00:00.123Z");
}

TEST(AccessLogTest, GenerationRequestHasEveryField) {
  AccessRecord record;
  record.ts_unix_ms = 1714564800123;
  record.id = "chatcmpl-abc";
  record.method = "POST";
  record.route = "/v1/chat/completions";
  record.model = "tiny";
  record.status = 200;
  record.prompt_tokens = 12;
  record.completion_tokens = 30;
  record.cached_tokens = 0;
  record.ttft_ms = 41.26;
  record.total_ms = 380.54;
  record.priority = "batch";
  const std::string line = render_access_line(record);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["ts"], "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(parsed["id"], "chatcmpl-abc");
  EXPECT_EQ(parsed["method"], "POST");
  EXPECT_EQ(parsed["route"], "/v1/chat/completions");
  EXPECT_EQ(parsed["model"], "tiny");
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_EQ(parsed["prompt_tokens"], 12);
  EXPECT_EQ(parsed["completion_tokens"], 30);
  EXPECT_EQ(parsed["cached_tokens"], 0);
  EXPECT_DOUBLE_EQ(parsed["ttft_ms"].get<double>(), 41.3);
  EXPECT_DOUBLE_EQ(parsed["total_ms"].get<double>(), 380.5);
  EXPECT_EQ(parsed["priority"], "batch");
}

TEST(AccessLogTest, MissingFieldsAreNull) {
  AccessRecord record;
  record.id = "req-1";
  record.method = "GET";
  record.route = "/health";
  record.status = 200;
  const nlohmann::json parsed = nlohmann::json::parse(render_access_line(record));
  for (const char* key : {"model", "prompt_tokens", "completion_tokens", "cached_tokens", "ttft_ms", "priority"}) {
    ASSERT_TRUE(parsed.contains(key)) << key;
    EXPECT_TRUE(parsed[key].is_null()) << key;
  }
  EXPECT_EQ(parsed.size(), 12u);
}

TEST(AccessLogTest, HostileRouteStaysOneValidLine) {
  AccessRecord record;
  record.route = "/a\nb\"c\xff";
  record.method = "GET";
  const std::string line = render_access_line(record);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["route"], "/a\nb\"c\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hearth::api

// GET /hearth/v1/costs: the month it asks for, its errors naming `month`, and
// the body over a temp hearth.db (the same JSON `hearth costs --json` prints).
#include "api/costs_route.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "temp_dir.h"

namespace hearth::api {
namespace {

constexpr int64_t kNov2026 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z

TEST(CostsRouteTest, MonthFromTheQueryOrNow) {
  auto given = costs_month("/hearth/v1/costs?month=2026-11", 0);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->start_unix_ms, kNov2026);
  auto encoded = costs_month("/hearth/v1/costs?mon%74h=2026%2D11", 0);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->start_unix_ms, kNov2026);
  auto now = costs_month("/hearth/v1/costs", kNov2026 + 5 * 86'400'000);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->start_unix_ms, kNov2026);
}

TEST(CostsRouteTest, BadQueriesAre400sNamingTheParameter) {
  for (const char* target : {"/hearth/v1/costs?month=2026-13", "/hearth/v1/costs?month=", "/hearth/v1/costs?month",
                             "/hearth/v1/costs?month=2026-11&month=2026-12"}) {
    auto month = costs_month(target, 0);
    ASSERT_FALSE(month.ok()) << target;
    EXPECT_EQ(month.error().http_status, 400) << target;
    EXPECT_EQ(month.error().param, "month") << target;
  }
  auto unknown = costs_month("/hearth/v1/costs?key=alice", 0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().http_status, 400);
  EXPECT_NE(unknown.error().message.find("Unknown query parameter 'key'"), std::string::npos);
  EXPECT_FALSE(costs_month("/hearth/v1/costs?month=%zz", 0).ok());
}

TEST(CostsRouteTest, RendersTheReport) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto db = db::Database::open(dir.file("hearth.db"));
  ASSERT_TRUE(db.ok());
  std::vector<db::Migration> steps(ledger::egress_migrations().begin(), ledger::egress_migrations().end());
  steps.insert(steps.end(), ledger::usage_migrations().begin(), ledger::usage_migrations().end());
  ASSERT_TRUE((*db)->migrate(steps).ok());
  auto usage = ledger::UsageLedger::open(**db);
  auto egress = ledger::EgressLedger::open(**db);
  ASSERT_TRUE(usage.ok() && egress.ok());
  ASSERT_TRUE(usage->insert({kNov2026 + 1, "core-01", "", "qwen", 1'000'000, 0, 3'600'000'000, std::nullopt}).ok());
  ledger::CostSettings settings;
  settings.hardware = ledger::OwnedHardware{4'500'000'000, 0, 48, 60'000, 0};
  settings.kwh_udollars = 300'000;
  settings.clouds.push_back({"openai", 150'000, 600'000});
  const CostsSources sources{&*usage, &*egress, &settings, "core-01"};
  auto body = costs_body(sources, "/hearth/v1/costs?month=2026-11", 0);
  ASSERT_TRUE(body.ok());
  const nlohmann::json json = nlohmann::json::parse(*body);
  EXPECT_EQ(json["object"], "hearth.costs");
  EXPECT_EQ(json["month"], "2026-11");
  EXPECT_EQ(json["start"], "2026-11-01T00:00:00.000Z");
  EXPECT_EQ(json["node"], "core-01");
  EXPECT_EQ(json["total"]["local"]["energy_udollars"], 18'000);  // 60 W, 1 h, 0.30/kWh
  EXPECT_EQ(json["total"]["local"]["capex_udollars"], 128'337);  // 4500 / (48 * 730.5)
  EXPECT_EQ(json["total"]["counterfactual"][0]["cost_udollars"], 150'000);
  EXPECT_EQ(json["by_key"][0]["name"], nullptr);
  EXPECT_EQ(json["hardware"]["purchase_date"], nullptr);
  EXPECT_EQ(json["gpu_hourly_udollars"], nullptr);

  const CostsSources no_db{nullptr, nullptr, &settings, "core-01"};
  auto refused = costs_body(no_db, "/hearth/v1/costs", 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http_status, 503);
}

}  // namespace
}  // namespace hearth::api

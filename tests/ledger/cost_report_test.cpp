// A month's cost report over a temp hearth.db with hand-computed rows.
#include "ledger/cost_report.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace hearth::ledger {
namespace {

constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;
constexpr int64_t kNov2026 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z

class CostReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    // Not the state schema's order (cli/state_db.h): these tests open their own file.
    std::vector<db::Migration> both(egress_migrations().begin(), egress_migrations().end());
    both.insert(both.end(), usage_migrations().begin(), usage_migrations().end());
    ASSERT_TRUE(db_->migrate(both).ok());
    auto usage = UsageLedger::open(*db_);
    ASSERT_TRUE(usage.ok()) << usage.status().to_string();
    usage_.emplace(std::move(usage).value());
    auto egress = EgressLedger::open(*db_);
    ASSERT_TRUE(egress.ok());
    egress_.emplace(std::move(egress).value());
  }

  void add_usage(int64_t ts, const std::string& model, const std::string& key, int64_t in, int64_t out, int64_t wall_us,
                 std::optional<int64_t> energy_uj = std::nullopt) {
    UsageRecord row{ts, "core-01", key, model, in, out, wall_us, energy_uj};
    ASSERT_TRUE(usage_->insert(row).ok());
  }

  static CostSettings settings() {
    CostSettings out;
    out.hardware = OwnedHardware{4'500'000'000, 0, 48, 60'000, 7'000};
    out.kwh_udollars = 300'000;
    out.gpu_hourly_udollars = 3'000'000;
    out.clouds.push_back({"openai", 150'000, 600'000});
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::optional<UsageLedger> usage_;
  std::optional<EgressLedger> egress_;
};

TEST_F(CostReportTest, PricesTheMonthHandComputed) {
  add_usage(kNov2026 + 1000, "qwen", "alice", 1'000'000, 500'000, kHourUs);
  // Half an hour with a measured 0.05 kWh (1.8e11 uJ).
  add_usage(kNov2026 + 2000, "qwen", "bob", 200'000, 100'000, kHourUs / 2, 180'000'000'000);
  add_usage(kNov2026 - 1, "qwen", "alice", 7, 7, kHourUs);  // October: not in the report
  EgressRecord sent{kNov2026 + 3000, "alice", "public", "openai", "gpt-4o-mini", std::string(64, 'a')};
  auto id = egress_->begin(sent);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(egress_->finish(*id, 1000, 500, 450, EgressStatus::kOk).ok());

  auto month = parse_utc_month("2026-11");
  ASSERT_TRUE(month.ok());
  auto report = build_cost_report(*usage_, *egress_, settings(), *month);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->month, "2026-11");
  EXPECT_TRUE(report->within_life);
  EXPECT_EQ(report->month_capex_udollars, 93'750'000);

  const CostLine& total = report->total;
  EXPECT_EQ(total.local.n_requests, 2);
  EXPECT_EQ(total.local.prompt_tokens, 1'200'000);
  EXPECT_EQ(total.local.completion_tokens, 600'000);
  EXPECT_EQ(total.local.wall_us, kHourUs * 3 / 2);
  // Capex: 4500 / (48 * 730.5 h) * 1.5 h = 0.192505..; energy: 0.018 (60 W, 1 h) + 0.015 (measured).
  EXPECT_EQ(total.local_capex_udollars, 192'505);
  EXPECT_EQ(total.local_energy_udollars, 33'000);
  EXPECT_EQ(total.local_cost_udollars, 225'505);
  EXPECT_EQ(*total.local_per_mtok_udollars, 125'281);
  EXPECT_EQ(total.cloud_requests, 1);
  EXPECT_EQ(total.cloud_spend_udollars, 450);
  ASSERT_EQ(total.counterfactual.size(), 2u);
  EXPECT_EQ(total.counterfactual[0].name, "openai");
  EXPECT_EQ(total.counterfactual[0].cost_udollars, 540'000);  // 1.2M * 0.15 + 0.6M * 0.60
  EXPECT_EQ(total.counterfactual[0].savings_udollars, 314'495);
  EXPECT_EQ(total.counterfactual[1].name, kRentedGpuName);
  EXPECT_EQ(total.counterfactual[1].cost_udollars, 4'500'000);  // 1.5 h * 3
  EXPECT_EQ(total.counterfactual[1].savings_udollars, 4'274'495);

  ASSERT_EQ(report->by_key.size(), 2u);
  EXPECT_EQ(report->by_key[0].name, "alice");
  EXPECT_EQ(report->by_key[0].local_capex_udollars, 128'337);
  EXPECT_EQ(report->by_key[0].local_cost_udollars, 146'337);
  EXPECT_EQ(report->by_key[0].cloud_spend_udollars, 450);
  EXPECT_EQ(report->by_key[0].counterfactual[0].cost_udollars, 450'000);
  EXPECT_EQ(report->by_key[1].name, "bob");
  EXPECT_EQ(report->by_key[1].local_cost_udollars, 79'168);
  ASSERT_EQ(report->by_model.size(), 2u);
  EXPECT_EQ(report->by_model[0].name, "gpt-4o-mini");
  EXPECT_EQ(report->by_model[0].local.n_requests, 0);
  EXPECT_EQ(report->by_model[0].cloud_spend_udollars, 450);
  EXPECT_EQ(report->by_model[1].name, "qwen");
  EXPECT_EQ(report->by_model[1].local_cost_udollars, 225'505);
  ASSERT_EQ(report->by_node.size(), 1u);
  EXPECT_EQ(report->by_node[0].name, "core-01");
}

TEST_F(CostReportTest, OutsideTheHardwareLifeCarriesNoCapex) {
  add_usage(kNov2026 + 1000, "qwen", "", 10, 10, kHourUs);
  CostSettings paid_off = settings();
  paid_off.hardware->purchase_unix_ms = 1'600'000'000'000;  // 2020-09-13: 48 months ended in 2024
  auto report = build_cost_report(*usage_, *egress_, paid_off, *parse_utc_month("2026-11"));
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->within_life);
  EXPECT_EQ(report->month_capex_udollars, 0);
  EXPECT_EQ(report->total.local_capex_udollars, 0);
  EXPECT_EQ(report->total.local_energy_udollars, 18'000);
  EXPECT_EQ(report->by_key[0].name, "");
}

TEST_F(CostReportTest, WithoutHardwareLocalCostIsZeroAndCounterfactualsStand) {
  add_usage(kNov2026 + 1000, "qwen", "alice", 1'000'000, 0, kHourUs);
  CostSettings none;
  none.clouds.push_back({"openai", 150'000, 600'000});
  auto report = build_cost_report(*usage_, *egress_, none, *parse_utc_month("2026-11"));
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->hardware_configured);
  EXPECT_EQ(report->total.local_cost_udollars, 0);
  ASSERT_EQ(report->total.counterfactual.size(), 1u);
  EXPECT_EQ(report->total.counterfactual[0].savings_udollars, 150'000);
}

TEST(CostMonthTest, ParsesMonths) {
  auto month = parse_utc_month("2026-11");
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(month->start_unix_ms, kNov2026);
  EXPECT_EQ(month->end_unix_ms, 1'796'083'200'000);  // 2026-12-01
  EXPECT_FALSE(parse_utc_month("2026-13").ok());
  EXPECT_FALSE(parse_utc_month("2026-1").ok());
  EXPECT_FALSE(parse_utc_month("26-11-01").ok());
  EXPECT_FALSE(parse_utc_month("1969-12").ok());
  EXPECT_EQ(format_utc_month(kNov2026 + 5), "2026-11");
}

}  // namespace
}  // namespace hearth::ledger

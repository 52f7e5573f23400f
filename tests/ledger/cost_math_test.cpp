// The cost formulas on hand-computed cases, and the rounding rule (half up,
// once, to the pico-dollar per formula and to the micro-dollar per figure).
#include "ledger/cost_math.h"

#include <gtest/gtest.h>

namespace hearth::ledger {
namespace {

constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;

TEST(CostMathTest, RoundsHalfUpAwayFromZero) {
  EXPECT_EQ(static_cast<int64_t>(divide_round_half_up(5, 2)), 3);
  EXPECT_EQ(static_cast<int64_t>(divide_round_half_up(-5, 2)), -3);
  EXPECT_EQ(static_cast<int64_t>(divide_round_half_up(7, 3)), 2);
  EXPECT_EQ(static_cast<int64_t>(divide_round_half_up(4, 3)), 1);
  EXPECT_EQ(static_cast<int64_t>(divide_round_half_up(0, 7)), 0);
  EXPECT_EQ(to_udollars(1'499'999), 1);
  EXPECT_EQ(to_udollars(1'500'000), 2);
  EXPECT_EQ(to_udollars(-1'500'000), -2);
}

TEST(CostMathTest, EnergyAtAConstantDraw) {
  // 60 W for one hour = 0.06 kWh; at USD 0.30/kWh: USD 0.018.
  EXPECT_EQ(to_udollars(energy_cost_pd(60'000, kHourUs, 300'000)), 18'000);
  // 7.5 W for one second at USD 0.25/kWh: 7.5 J = 2.083.. uWh; USD 5.208333e-7 -> 1 micro-dollar.
  EXPECT_EQ(static_cast<int64_t>(energy_cost_pd(7'500, 1'000'000, 250'000)), 520'833);
  EXPECT_EQ(to_udollars(energy_cost_pd(7'500, 1'000'000, 250'000)), 1);
  EXPECT_EQ(to_udollars(energy_cost_pd(0, kHourUs, 300'000)), 0);
}

TEST(CostMathTest, MeasuredEnergy) {
  // 1 kWh = 3.6e12 uJ at USD 0.30.
  EXPECT_EQ(to_udollars(measured_energy_cost_pd(3'600'000'000'000, 300'000)), 300'000);
}

TEST(CostMathTest, CapexSpreadOverLife) {
  // USD 4,500 over 48 months: one month of wall time carries USD 93.75.
  EXPECT_EQ(to_udollars(capex_share_pd(4'500'000'000, 48, kMicrosPerMonth)), 93'750'000);
  // One hour of it: 93.75 / 730.5 = USD 0.12833675...
  EXPECT_EQ(to_udollars(capex_share_pd(4'500'000'000, 48, kHourUs)), 128'337);
}

TEST(CostMathTest, CloudPricesPerMillionTokens) {
  // 1M in at USD 0.15 and 1M out at USD 0.60.
  EXPECT_EQ(to_udollars(cloud_cost_pd(1'000'000, 1'000'000, 150'000, 600'000)), 750'000);
  // 10 tokens at USD 0.05/1M = 0.5 micro-dollars exactly: rounds up.
  EXPECT_EQ(static_cast<int64_t>(cloud_cost_pd(10, 0, 50'000, 0)), 500'000);
  EXPECT_EQ(to_udollars(cloud_cost_pd(10, 0, 50'000, 0)), 1);
  // 3 tokens at USD 0.15/1M = 0.45 micro-dollars: rounds down.
  EXPECT_EQ(to_udollars(cloud_cost_pd(3, 0, 150'000, 0)), 0);
}

TEST(CostMathTest, RentedByTheHour) {
  EXPECT_EQ(to_udollars(rent_cost_pd(3'000'000, kHourUs * 3 / 2)), 4'500'000);
  // One second at USD 3/h: USD 0.000833.. -> 833 micro-dollars.
  EXPECT_EQ(to_udollars(rent_cost_pd(3'000'000, 1'000'000)), 833);
}

TEST(CostMathTest, PerMillionTokens) {
  // USD 1 for 2M tokens: USD 0.50 per 1M.
  EXPECT_EQ(per_mtok_udollars(PicoDollars{1'000'000} * 1'000'000, 2'000'000), 500'000);
  // USD 1 for 3 tokens: 333,333.33.. per 1M tokens -> 333,333,333,333 micro-dollars.
  EXPECT_EQ(per_mtok_udollars(PicoDollars{1'000'000} * 1'000'000, 3), 333'333'333'333);
}

}  // namespace
}  // namespace hearth::ledger

// TCO on the story's example (docs/costs.md has the same numbers worked by hand).
#include "ledger/tco.h"

#include <gtest/gtest.h>

namespace hearth::ledger {
namespace {

TcoInputs story() {
  TcoInputs in;
  in.capex_udollars = 4'500'000'000;  // USD 4,500 Mac Studio
  in.life_months = 48;
  in.watts_load_mw = 60'000;
  in.watts_idle_mw = 60'000;
  in.kwh_udollars = 300'000;
  in.gpu_hourly_udollars = 3'000'000;
  in.tps_milli = 30'000;
  return in;
}

TEST(TcoTest, StoryExampleAtFullUtilization) {
  auto out = compute_tco(story());
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->busy_hours_milli, 730'500);
  EXPECT_EQ(out->capex_month_udollars, 93'750'000);    // 4500 / 48
  EXPECT_EQ(out->energy_month_udollars, 13'149'000);   // 60 W * 730.5 h * 0.30
  EXPECT_EQ(out->rent_month_udollars, 2'191'500'000);  // 3 * 730.5
  ASSERT_TRUE(out->break_even_month.has_value());
  EXPECT_EQ(*out->break_even_month, 3);  // 4500 / (2191.5 - 13.149) = 2.07 months
  EXPECT_EQ(*out->break_even_day, 63);
  EXPECT_TRUE(out->break_even_within_life);
  EXPECT_EQ(out->owned_life_udollars, 5'131'152'000);     // 4500 + 48 * 13.149
  EXPECT_EQ(out->rented_life_udollars, 105'192'000'000);  // 48 * 2191.5
  EXPECT_EQ(out->savings_life_udollars, 100'060'848'000);
  EXPECT_EQ(*out->tokens_month, 78'894'000);              // 30 tok/s * 2,629,800 s
  EXPECT_EQ(*out->owned_per_mtok_udollars, 1'354'970);    // 106.899 / 78.894
  EXPECT_EQ(*out->rented_per_mtok_udollars, 27'777'778);  // 3 / 108,000 tokens * 1M
  ASSERT_EQ(out->months.size(), 49u);
  EXPECT_EQ(out->months[0].owned_udollars, 4'500'000'000);
  EXPECT_EQ(out->months[0].rented_udollars, 0);
  EXPECT_EQ(out->months[2].owned_udollars, 4'526'298'000);
  EXPECT_EQ(out->months[2].rented_udollars, 4'383'000'000);  // two months: not yet
  EXPECT_EQ(out->months[3].rented_udollars, 6'574'500'000);  // three: past it
}

TEST(TcoTest, HalfUtilizationWithIdleDraw) {
  TcoInputs in = story();
  in.utilization_ppm = 500'000;
  in.watts_idle_mw = 10'000;
  auto out = compute_tco(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->energy_month_udollars, 7'670'250);  // (60 + 10) W * 365.25 h * 0.30
  EXPECT_EQ(out->rent_month_udollars, 1'095'750'000);
  EXPECT_EQ(*out->break_even_month, 5);
  EXPECT_EQ(*out->break_even_day, 126);
  EXPECT_EQ(*out->tokens_month, 39'447'000);
  EXPECT_EQ(*out->owned_per_mtok_udollars, 2'571'051);
  EXPECT_EQ(*out->rented_per_mtok_udollars, 27'777'778);  // renting only busy hours: the same per token
}

TEST(TcoTest, NoBreakEvenWhenRentIsCheaperThanPower) {
  TcoInputs in = story();
  in.gpu_hourly_udollars = 10'000;  // USD 0.01/h: below 60 W at 0.30/kWh (0.018/h)
  auto out = compute_tco(in);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->break_even_month.has_value());
  EXPECT_FALSE(out->break_even_within_life);
  EXPECT_LT(out->savings_life_udollars, 0);
}

TEST(TcoTest, BreakEvenBeyondLife) {
  TcoInputs in = story();
  in.gpu_hourly_udollars = 100'000;  // USD 0.10/h: 73.05 a month against 13.149 of power
  in.life_months = 12;
  auto out = compute_tco(in);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->break_even_month.has_value());
  EXPECT_EQ(*out->break_even_month, 76);  // 4500 / 59.901 = 75.12
  EXPECT_FALSE(out->break_even_within_life);
}

TEST(TcoTest, BurstyShopBreaksEvenPastTheLife) {
  // docs/costs.md: 4% of each month at work (29.2 h), idle drawing the load figure.
  TcoInputs in = story();
  in.utilization_ppm = 40'000;
  auto out = compute_tco(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->rent_month_udollars, 87'660'000);
  EXPECT_EQ(out->energy_month_udollars, 13'149'000);
  EXPECT_EQ(*out->break_even_month, 61);
  EXPECT_FALSE(out->break_even_within_life);
}

TEST(TcoTest, RefusesInputsOutOfRange) {
  TcoInputs in = story();
  in.life_months = 0;
  auto out = compute_tco(in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("life_months"), std::string::npos);
  in = story();
  in.utilization_ppm = 1'000'001;
  EXPECT_FALSE(compute_tco(in).ok());
  in = story();
  in.tps_milli = 0;
  EXPECT_FALSE(compute_tco(in).ok());
}

}  // namespace
}  // namespace hearth::ledger

// [costs] parsing: the documented example, and every refusal names its key and line.
#include "ledger/cost_config.h"

#include <gtest/gtest.h>

namespace hearth::ledger {
namespace {

Result<CostConfig> parse(const std::string& text) { return parse_cost_config(text, "/etc/hearth.toml"); }

void expect_error(const std::string& text, const std::string& needle) {
  auto config = parse(text);
  ASSERT_FALSE(config.ok()) << text;
  EXPECT_NE(config.status().message().find(needle), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find("/etc/hearth.toml:"), std::string::npos) << config.status().message();
}

TEST(CostConfigTest, ReadsTheDocumentedExample) {
  auto config = parse(R"(
models_dir = "/srv/models"
[costs]
node = "core-01"
purchase_usd = "4500"
purchase_date = "2026-01-15"
life_months = 48
watts_load = 60
watts_idle = 7.5
kwh_usd = "0.30"
gpu_hourly_usd = "3"
[[costs.compare]]
name = "frontier-api"
input_usd_per_mtok = "3"
output_usd_per_mtok = "15"
[[providers]]
name = "ignored-here"
)");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->node, "core-01");
  ASSERT_TRUE(config->hardware.has_value());
  EXPECT_EQ(config->hardware->purchase_udollars, 4'500'000'000);
  EXPECT_EQ(config->hardware->purchase_unix_ms, 1'768'435'200'000);  // 2026-01-15T00:00:00Z
  EXPECT_EQ(config->hardware->life_months, 48);
  EXPECT_EQ(config->hardware->watts_load_mw, 60'000);
  EXPECT_EQ(config->hardware->watts_idle_mw, 7'500);
  EXPECT_EQ(config->kwh_udollars, 300'000);
  ASSERT_TRUE(config->gpu_hourly_udollars.has_value());
  EXPECT_EQ(*config->gpu_hourly_udollars, 3'000'000);
  ASSERT_EQ(config->compare.size(), 1u);
  EXPECT_EQ(config->compare[0].name, "frontier-api");
  EXPECT_EQ(config->compare[0].input_udollars_per_mtok, 3'000'000);
  EXPECT_EQ(config->compare[0].output_udollars_per_mtok, 15'000'000);
}

TEST(CostConfigTest, NoSectionIsNoHardware) {
  auto config = parse("models_dir = \"/m\"\n");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->hardware.has_value());
  EXPECT_FALSE(config->gpu_hourly_udollars.has_value());
  EXPECT_TRUE(config->node.empty());
}

TEST(CostConfigTest, RefusesWhatItCannotPriceExactly) {
  expect_error("[costs]\npurchase_usd = 4500\nlife_months = 48\n", "purchase_usd must be a string of dollars");
  expect_error("[costs]\npurchase_usd = \"4500.1234567\"\nlife_months = 48\n", "purchase_usd is wrong");
  expect_error("[costs]\nkwh_usd = \"-0.3\"\nwatts_load = 60\n", "kwh_usd is wrong");
  expect_error("[costs]\ngpu_hourly_usd = \"2000000\"\n", "gpu_hourly_usd must be at most");
}

TEST(CostConfigTest, RefusesIncompleteOrBadHardware) {
  expect_error("[costs]\npurchase_usd = \"4500\"\n", "needs both purchase_usd and life_months");
  expect_error("[costs]\npurchase_usd = \"4500\"\nlife_months = 0\n", "life_months must be a whole number from 1");
  expect_error("[costs]\npurchase_usd = \"4500\"\nlife_months = 48\npurchase_date = \"2026-02-30\"\n",
               "purchase_date is wrong");
  expect_error("[costs]\nwatts_load = -5\nkwh_usd = \"0.3\"\n", "watts_load must be a number of watts");
  expect_error("[costs]\nwatts_load = \"60W\"\nkwh_usd = \"0.3\"\n", "watts_load must be a number of watts");
  expect_error("[costs]\nkwh_usd = \"0.3\"\n", "kwh_usd needs watts_load");
  expect_error("[costs]\npurchase_usd = \"1\"\nlife_months = 1\nwatts_load = 60\n", "need kwh_usd");
  expect_error("[costs]\nwatts_load = 60\nkwh_usd = \"0.3\"\n", "needs both purchase_usd and life_months");
  expect_error("[costs]\nnode = \"core 01\"\n", "node must be printable ASCII without spaces");
}

TEST(CostConfigTest, RefusesUnknownKeysAndShapes) {
  expect_error("[costs]\nwatts = 60\n", "unknown key 'watts' in [costs]");
  expect_error("costs = 5\n", "costs must be a table");
  expect_error("[costs]\ncompare = 1\n", "costs.compare must be an array of tables");
  expect_error("[[costs.compare]]\nname = \"a\"\ninput_usd_per_mtok = \"1\"\n", "needs input_usd_per_mtok and output");
  expect_error(
      "[[costs.compare]]\nname = \"a\"\ninput_usd_per_mtok = \"1\"\noutput_usd_per_mtok = \"1\"\n"
      "[[costs.compare]]\nname = \"a\"\ninput_usd_per_mtok = \"1\"\noutput_usd_per_mtok = \"1\"\n",
      "two [[costs.compare]] entries are named 'a'");
  expect_error("[costs\n", "/etc/hearth.toml:1");
}

TEST(CostConfigTest, PowerMeasuredOrConfigured) {
  auto rapl = parse("[costs]\npower = \"rapl\"\nkwh_usd = \"0.25\"\n");
  ASSERT_TRUE(rapl.ok()) << rapl.status().to_string();
  EXPECT_TRUE(rapl->measure_rapl);
  EXPECT_EQ(rapl->kwh_udollars, 250'000);
  auto configured = parse(
      "[costs]\npower = \"config\"\npurchase_usd = \"1\"\nlife_months = 1\nwatts_load = 60\nkwh_usd = \"0.25\"\n");
  ASSERT_TRUE(configured.ok());
  EXPECT_FALSE(configured->measure_rapl);
  expect_error("[costs]\npower = \"meter\"\nkwh_usd = \"0.25\"\n", "power must be \"rapl\"");
  expect_error("[costs]\npower = \"rapl\"\n", "power = \"rapl\" needs kwh_usd");
}

TEST(CostConfigTest, ParsesDates) {
  auto date = parse_utc_date("1970-01-02");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(*date, 86'400'000);
  EXPECT_FALSE(parse_utc_date("2026-1-15").ok());
  EXPECT_FALSE(parse_utc_date("2026-13-01").ok());
  EXPECT_FALSE(parse_utc_date("2025-02-29").ok());
  EXPECT_TRUE(parse_utc_date("2024-02-29").ok());
}

}  // namespace
}  // namespace hearth::ledger

// The config file shared by the node, the gateway and [costs]; exact decimal
// flags; the TCO plot's document.
#include "cli/config_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "cli/decimal_flag.h"
#include "cli/tco_svg.h"
#include "temp_dir.h"

namespace hearth::cli {
namespace {

TEST(ConfigFileTest, EachParserSkipsTheOthersKeys) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("hearth.toml");
  std::ofstream(path) << R"(models_dir = "/srv/models"
[costs]
node = "core-01"
purchase_usd = "4500"
life_months = 48
watts_load = 60
kwh_usd = "0.30"
gpu_hourly_usd = "3"
[[costs.compare]]
name = "frontier"
input_usd_per_mtok = "3"
output_usd_per_mtok = "15"
[[providers]]
name = "openai"
kind = "openai"
input_usd_per_mtok = "0.15"
output_usd_per_mtok = "0.60"
)";
  auto config = load_hearth_config(path, "/home/a");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(*config->node.models_dir, "/srv/models");
  ASSERT_EQ(config->gateway.providers.size(), 1u);
  EXPECT_EQ(node_name(config->costs), "core-01");
  const ledger::CostSettings settings = cost_settings(*config);
  ASSERT_EQ(settings.clouds.size(), 2u);
  EXPECT_EQ(settings.clouds[0].name, "openai");  // providers first
  EXPECT_EQ(settings.clouds[0].input_udollars_per_mtok, 150'000);
  EXPECT_EQ(settings.clouds[1].name, "frontier");
  ASSERT_TRUE(settings.hardware.has_value());
  EXPECT_EQ(settings.hardware->watts_load_mw, 60'000);
  EXPECT_EQ(*settings.gpu_hourly_udollars, 3'000'000);
}

TEST(ConfigFileTest, AKeyNobodyOwnsIsStillAnError) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("hearth.toml");
  std::ofstream(path) << "[cost]\npurchase_usd = \"1\"\n";
  auto config = load_hearth_config(path, "");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("unknown key 'cost'"), std::string::npos) << config.status().message();
}

TEST(ConfigFileTest, NodeNameFallsBackToTheHostName) {
  const std::string name = node_name(ledger::CostConfig{});
  EXPECT_FALSE(name.empty());
  for (char ch : name) EXPECT_TRUE(ch > 0x20 && ch < 0x7f);
}

TEST(DecimalFlagTest, ParsesExactly) {
  EXPECT_EQ(*parse_decimal_flag("--utilization", "0.5", 6, 1, 1'000'000), 500'000);
  EXPECT_EQ(*parse_decimal_flag("--utilization", "1", 6, 1, 1'000'000), 1'000'000);
  EXPECT_EQ(*parse_decimal_flag("--tps", "12.375", 3, 1, 1'000'000'000), 12'375);
  EXPECT_EQ(*parse_decimal_flag("--life-months", "48", 0, 1, 600), 48);
}

TEST(DecimalFlagTest, RefusesNamingTheFlag) {
  for (const char* bad : {"", ".", "1.", ".5x", "-1", "0.0000001", "1e3", "1.5", "0", " 1", "99999999999999999999"}) {
    auto parsed = parse_decimal_flag("--utilization", bad, 6, 1, 1'000'000);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().message().rfind("--utilization must be a number from 0.000001 to 1", 0), 0u)
        << parsed.status().message();
  }
  EXPECT_FALSE(parse_decimal_flag("--life-months", "48.5", 0, 1, 600).ok());
}

TEST(TcoSvgTest, DrawsBothLinesAndTheBreakEven) {
  ledger::TcoInputs in;
  in.capex_udollars = 4'500'000'000;
  in.life_months = 48;
  in.watts_load_mw = 60'000;
  in.watts_idle_mw = 60'000;
  in.kwh_udollars = 300'000;
  in.gpu_hourly_udollars = 3'000'000;
  auto tco = ledger::compute_tco(in);
  ASSERT_TRUE(tco.ok());
  const std::string svg = render_tco_svg(*tco);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<polyline id=\"owned\""), std::string::npos);
  EXPECT_NE(svg.find("<polyline id=\"rented\""), std::string::npos);
  EXPECT_NE(svg.find("break-even: month 3 (day 63)"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (char ch : svg) EXPECT_TRUE(ch == '\n' || (ch >= 0x20 && ch < 0x7f));
}

}  // namespace
}  // namespace hearth::cli

// The RAPL reader over a powercap tree laid out as Linux does (files in a temp
// dir: the same reads the kernel's sysfs answers), wrap-around included.
#include "ledger/rapl_meter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace hearth::ledger {
namespace {

void write_zone(const std::string& root, const std::string& zone, int64_t energy_uj, int64_t max_uj) {
  std::filesystem::create_directories(root + "/" + zone);
  std::ofstream(root + "/" + zone + "/energy_uj") << energy_uj << "\n";
  std::ofstream(root + "/" + zone + "/max_energy_range_uj") << max_uj << "\n";
}

TEST(RaplMeterTest, SumsPackagesAndSkipsSubzones) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string root = dir.path();
  write_zone(root, "intel-rapl:0", 1'000, 262'143'328'850);
  write_zone(root, "intel-rapl:0:0", 500, 262'143'328'850);  // core: inside package 0 already
  write_zone(root, "intel-rapl:1", 2'000, 262'143'328'850);
  std::filesystem::create_directories(root + "/intel-rapl-mmio:0");
  auto meter = RaplMeter::open(root);
  ASSERT_TRUE(meter.ok()) << meter.status().to_string();
  EXPECT_EQ(meter->n_zones(), 2u);
  auto before = meter->read();
  ASSERT_TRUE(before.ok());
  write_zone(root, "intel-rapl:0", 61'000, 262'143'328'850);  // +60 mJ
  write_zone(root, "intel-rapl:0:0", 9'999'999, 262'143'328'850);
  write_zone(root, "intel-rapl:1", 32'000, 262'143'328'850);  // +30 mJ
  auto after = meter->read();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(meter->energy_between(*before, *after), 90'000);
}

TEST(RaplMeterTest, UnwrapsACounterThatWrapped) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  write_zone(dir.path(), "intel-rapl:0", 999'000, 1'000'000);
  auto meter = RaplMeter::open(dir.path());
  ASSERT_TRUE(meter.ok());
  auto before = meter->read();
  write_zone(dir.path(), "intel-rapl:0", 4'000, 1'000'000);
  auto after = meter->read();
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(meter->energy_between(*before, *after), 5'000);
  EXPECT_EQ(meter->energy_between(RaplReading{}, *after), 0);  // not this meter's reading
}

TEST(RaplMeterTest, SaysWhyWhenThereIsNoMeter) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto none = RaplMeter::open(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no RAPL package zone"), std::string::npos);
  auto missing = RaplMeter::open(dir.path() + "/absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot list"), std::string::npos);
  std::filesystem::create_directories(dir.path() + "/intel-rapl:0");
  std::ofstream(dir.path() + "/intel-rapl:0/max_energy_range_uj") << "100\n";
  auto unreadable = RaplMeter::open(dir.path());  // energy_uj missing, as for a non-root user
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.status().message().find("readable by root only"), std::string::npos);
  std::ofstream(dir.path() + "/intel-rapl:0/energy_uj") << "12x\n";
  auto garbage = RaplMeter::open(dir.path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("does not hold a counter"), std::string::npos);
}

}  // namespace
}  // namespace hearth::ledger

// Built-in profiles and /proc/meminfo parsing.
#include "planner/hardware_profile.h"

#include <gtest/gtest.h>

namespace hearth::planner {
namespace {

TEST(HardwareProfileTest, BuiltInProfilesAreFoundByName) {
  const HardwareProfile* studio = find_profile("mac-studio-m4max-64");
  ASSERT_NE(studio, nullptr);
  EXPECT_EQ(studio->ram_bytes, int64_t{64} << 30);
  EXPECT_EQ(studio->usable_bytes, int64_t{48} << 30);  // 75% GPU working set
  EXPECT_EQ(studio->bandwidth_gbps, 546.0);
  for (const char* name : {"mac-mini-m4-16", "mac-mini-m4-24", "mac-mini-m4-32", "mac-studio-m4max-36",
                           "mac-studio-m4max-128", "mac-studio-m3ultra-96", "mac-studio-m3ultra-256",
                           "mac-studio-m3ultra-512", "macbook-pro-m4pro-48", "h100-80", "rtx4090-24"}) {
    const HardwareProfile* profile = find_profile(name);
    ASSERT_NE(profile, nullptr) << name;
    EXPECT_GT(profile->usable_bytes, 0);
    EXPECT_LE(profile->usable_bytes, profile->ram_bytes);
    EXPECT_GT(profile->bandwidth_gbps, 0.0);
  }
  EXPECT_EQ(find_profile("h100-80")->bandwidth_gbps, 3350.0);
  EXPECT_EQ(find_profile("mac-studio-m4max-99"), nullptr);
  EXPECT_EQ(find_profile(""), nullptr);
}

TEST(HardwareProfileTest, MeminfoGivesTotalAndAvailable) {
  Result<HardwareProfile> profile =
      profile_from_meminfo("MemTotal:       16384000 kB\nMemFree:         1000 kB\nMemAvailable:    8192000 kB\n", 4);
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  EXPECT_EQ(profile->ram_bytes, int64_t{16384000} * 1024);
  EXPECT_EQ(profile->usable_bytes, int64_t{8192000} * 1024);
  EXPECT_EQ(profile->n_cores, 4);
}

TEST(HardwareProfileTest, MalformedMeminfoIsAnError) {
  EXPECT_FALSE(profile_from_meminfo("", 1).ok());
  EXPECT_FALSE(profile_from_meminfo("MemTotal: 100 kB\n", 1).ok());
  EXPECT_FALSE(profile_from_meminfo("MemTotal: x kB\nMemAvailable: 10 kB\n", 1).ok());
  EXPECT_FALSE(profile_from_meminfo("MemTotal: -5 kB\nMemAvailable: 10 kB\n", 1).ok());
  EXPECT_FALSE(profile_from_meminfo("MemTotal: 99999999999999999999 kB\nMemAvailable: 10 kB\n", 1).ok());
  EXPECT_FALSE(profile_from_meminfo("MemTotalX: 100 kB\nMemAvailable: 10 kB\n", 1).ok());
}

TEST(HardwareProfileTest, NvidiaSmiGivesTheFirstGpu) {
  HardwareProfile profile;
  ASSERT_TRUE(parse_nvidia_smi("NVIDIA H100 80GB HBM3, 81559\nNVIDIA H100 80GB HBM3, 81559\n", profile).ok());
  EXPECT_EQ(profile.gpu_name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(profile.gpu_bytes, int64_t{81559} << 20);
  EXPECT_EQ(profile.usable_bytes, 0);  // the CPU engine's budget is not the GPU's
  HardwareProfile bad;
  EXPECT_FALSE(parse_nvidia_smi("", bad).ok());
  EXPECT_FALSE(parse_nvidia_smi("No devices were found\n", bad).ok());
  EXPECT_FALSE(parse_nvidia_smi("GPU, [N/A]\n", bad).ok());
  EXPECT_FALSE(parse_nvidia_smi("GPU, -1\n", bad).ok());
  EXPECT_FALSE(parse_nvidia_smi(", 100\n", bad).ok());
  EXPECT_TRUE(bad.gpu_name.empty());
  EXPECT_EQ(bad.gpu_bytes, 0);
}

TEST(HardwareProfileTest, LocalMachineIsDetected) {
  Result<HardwareProfile> local = detect_local_profile();
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_GT(local->ram_bytes, 0);
  EXPECT_GT(local->usable_bytes, 0);
  EXPECT_LE(local->usable_bytes, local->ram_bytes);
}

}  // namespace
}  // namespace hearth::planner

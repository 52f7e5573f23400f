// Built-in hardware profiles and local detection.
#include "planner/hardware_profile.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace hearth::planner {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

HardwareProfile apple(std::string name, std::string description, int64_t ram_gib, double bandwidth_gbps,
                      int64_t n_cores) {
  HardwareProfile profile;
  profile.name = std::move(name);
  profile.description = std::move(description);
  profile.ram_bytes = ram_gib * kGiB;
  profile.usable_bytes = static_cast<int64_t>(static_cast<double>(profile.ram_bytes) * kAppleGpuWorkingSetFraction);
  profile.bandwidth_gbps = bandwidth_gbps;
  profile.n_cores = n_cores;
  return profile;
}

// Discrete GPU: its memory less ~5% for the driver and CUDA context.
HardwareProfile gpu(std::string name, std::string description, int64_t mem_gib, double bandwidth_gbps) {
  HardwareProfile profile;
  profile.name = std::move(name);
  profile.description = std::move(description);
  profile.ram_bytes = mem_gib * kGiB;
  profile.usable_bytes = profile.ram_bytes / 20 * 19;
  profile.bandwidth_gbps = bandwidth_gbps;
  profile.n_cores = 16;  // the host's CPU threads for hearth's engine; a typical server share
  return profile;
}

const std::vector<HardwareProfile>& profiles() {
  static const std::vector<HardwareProfile> table = {
      apple("mac-mini-m4-16", "Mac mini, M4, 16 GB", 16, 120.0, 10),
      apple("mac-mini-m4-24", "Mac mini, M4, 24 GB", 24, 120.0, 10),
      apple("mac-mini-m4-32", "Mac mini, M4, 32 GB", 32, 120.0, 10),
      apple("macbook-pro-m4pro-48", "MacBook Pro, M4 Pro, 48 GB", 48, 273.0, 14),
      apple("mac-studio-m4max-36", "Mac Studio, M4 Max, 36 GB", 36, 410.0, 14),
      apple("mac-studio-m4max-64", "Mac Studio, M4 Max, 64 GB", 64, 546.0, 16),
      apple("mac-studio-m4max-128", "Mac Studio, M4 Max, 128 GB", 128, 546.0, 16),
      apple("mac-studio-m3ultra-96", "Mac Studio, M3 Ultra, 96 GB", 96, 819.0, 28),
      apple("mac-studio-m3ultra-256", "Mac Studio, M3 Ultra, 256 GB", 256, 819.0, 32),
      apple("mac-studio-m3ultra-512", "Mac Studio, M3 Ultra, 512 GB", 512, 819.0, 32),
      gpu("h100-80", "NVIDIA H100 SXM, 80 GB HBM3", 80, 3350.0),
      gpu("rtx4090-24", "NVIDIA RTX 4090, 24 GB GDDR6X", 24, 1008.0),
  };
  return table;
}

// The value in kB of the "Key:   N kB" line of /proc/meminfo.
Result<int64_t> meminfo_kib(std::string_view meminfo, std::string_view key) {
  size_t pos = 0;
  while (pos < meminfo.size()) {
    size_t end = meminfo.find('\n', pos);
    if (end == std::string_view::npos) end = meminfo.size();
    std::string_view line = meminfo.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':') continue;
    line.remove_prefix(key.size() + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    const std::string_view rest(ptr, static_cast<size_t>(line.data() + line.size() - ptr));
    if (ec != std::errc() || value < 0 || value > (int64_t{1} << 40) || (rest != " kB" && !rest.empty())) {
      return invalid_argument_error("/proc/meminfo has a malformed " + std::string(key) + " line");
    }
    return value;
  }
  return invalid_argument_error("/proc/meminfo has no " + std::string(key) + " line");
}

}  // namespace

std::span<const HardwareProfile> builtin_profiles() { return profiles(); }

const HardwareProfile* find_profile(std::string_view name) {
  for (const HardwareProfile& profile : profiles()) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

Result<HardwareProfile> profile_from_meminfo(std::string_view meminfo, int64_t n_cores) {
  HEARTH_ASSIGN_OR_RETURN(int64_t total_kib, meminfo_kib(meminfo, "MemTotal"));
  HEARTH_ASSIGN_OR_RETURN(int64_t available_kib, meminfo_kib(meminfo, "MemAvailable"));
  HardwareProfile profile;
  profile.name = "local";
  profile.description = "this machine (Linux, MemAvailable)";
  profile.ram_bytes = total_kib * 1024;
  profile.usable_bytes = std::min(available_kib, total_kib) * 1024;
  profile.n_cores = std::max<int64_t>(1, n_cores);
  return profile;
}

Status parse_nvidia_smi(std::string_view csv, HardwareProfile& profile) {
  const std::string_view line = csv.substr(0, csv.find('\n'));
  const size_t comma = line.rfind(',');
  if (comma == std::string_view::npos || comma == 0) return invalid_argument_error("nvidia-smi printed no GPU line");
  std::string_view mib_text = line.substr(comma + 1);
  while (!mib_text.empty() && mib_text.front() == ' ') mib_text.remove_prefix(1);
  while (!mib_text.empty() && (mib_text.back() == ' ' || mib_text.back() == '\r')) mib_text.remove_suffix(1);
  int64_t mib = 0;
  const auto [ptr, ec] = std::from_chars(mib_text.data(), mib_text.data() + mib_text.size(), mib);
  if (ec != std::errc() || ptr != mib_text.data() + mib_text.size() || mib <= 0 || mib > (int64_t{1} << 24)) {
    return invalid_argument_error("nvidia-smi printed a malformed memory size");
  }
  profile.gpu_name = std::string(line.substr(0, comma));
  profile.gpu_bytes = mib << 20;
  return ok_status();
}

Result<HardwareProfile> detect_local_profile() {
  const int64_t n_cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
#if defined(__APPLE__)
  // Untested: hearth is built and tested on Debian.
  uint64_t memsize = 0;
  size_t len = sizeof(memsize);
  if (sysctlbyname("hw.memsize", &memsize, &len, nullptr, 0) != 0 || memsize == 0) {
    return io_error("cannot read hw.memsize");
  }
  HardwareProfile profile;
  profile.name = "local";
  profile.ram_bytes = static_cast<int64_t>(memsize);
  profile.usable_bytes = static_cast<int64_t>(static_cast<double>(profile.ram_bytes) * kAppleGpuWorkingSetFraction);
  profile.description = "this Mac (default GPU working set)";
  int wired_mb = 0;
  len = sizeof(wired_mb);
  if (sysctlbyname("iogpu.wired_limit_mb", &wired_mb, &len, nullptr, 0) == 0 && wired_mb > 0) {
    profile.usable_bytes = std::min(profile.ram_bytes, int64_t{wired_mb} << 20);
    profile.description = "this Mac (iogpu.wired_limit_mb)";
  }
  profile.n_cores = n_cores;
  return profile;
#else
  std::ifstream in("/proc/meminfo");
  if (!in) return io_error("cannot read /proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  HEARTH_ASSIGN_OR_RETURN(HardwareProfile profile, profile_from_meminfo(text.str(), n_cores));
  // No GPU, no nvidia-smi or odd output: the profile stays CPU-only.
  if (FILE* pipe = popen("nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null", "r")) {
    std::string csv;
    char chunk[256];
    while (csv.size() < 4096 && std::fgets(chunk, sizeof(chunk), pipe) != nullptr) csv += chunk;
    if (pclose(pipe) == 0) (void)parse_nvidia_smi(csv, profile);
  }
  return profile;
#endif
}

}  // namespace hearth::planner

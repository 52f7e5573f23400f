// Hardware profiles: how much memory a box lets a model use and how fast it
// reads it. Built-in profiles cover the shop's likely boxes; detect_local_profile
// reads the machine it runs on.
//
// Apple Silicon: the GPU may wire only part of unified memory (about 75% by
// default; `sudo sysctl iogpu.wired_limit_mb=N` raises it), so usable_bytes
// is that part, so a model planned for a Mac also fits the Metal engines the
// node may drive through an adapter.
//
// Thread-safety: pure functions; the built-in table is constant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::planner {

// Default share of unified memory the GPU may wire on macOS without iogpu.wired_limit_mb.
inline constexpr double kAppleGpuWorkingSetFraction = 0.75;

struct HardwareProfile {
  std::string name;         // "mac-studio-m4max-64", or "local"
  std::string description;  // "Mac Studio, M4 Max, 64 GB"
  int64_t ram_bytes = 0;
  int64_t usable_bytes = 0;     // what one engine process may allocate
  double bandwidth_gbps = 0.0;  // memory read bandwidth, GB/s (1e9); 0: unknown
  int64_t n_cores = 0;          // CPU cores (forward-pass threads of hearth's engine)
  // An NVIDIA GPU found on the local machine (the first one), for engines
  // driven through an adapter; hearth's own engine runs on the CPU, so it does
  // not change usable_bytes. Empty / 0 when none.
  std::string gpu_name;
  int64_t gpu_bytes = 0;
};

std::span<const HardwareProfile> builtin_profiles();
const HardwareProfile* find_profile(std::string_view name);  // nullptr when unknown

// Parses /proc/meminfo text: usable = MemAvailable, ram = MemTotal.
// kInvalidArgument when either line is missing or malformed.
Result<HardwareProfile> profile_from_meminfo(std::string_view meminfo, int64_t n_cores);

// Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`
// output ("NVIDIA H100 80GB HBM3, 81559" per GPU, MiB) into the first GPU's
// name and bytes. kInvalidArgument when the first line is malformed.
Status parse_nvidia_smi(std::string_view csv, HardwareProfile& profile);

// The machine this runs on: Linux via /proc/meminfo; macOS via sysctl
// hw.memsize and iogpu.wired_limit_mb (compiled only there, untested).
// On Linux, an NVIDIA GPU is looked up with nvidia-smi when it is installed
// (tested only with canned output here). Bandwidth is unknown (0).
Result<HardwareProfile> detect_local_profile();

}  // namespace hearth::planner

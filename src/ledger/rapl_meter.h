// The CPU packages' energy counters on Linux (Intel/AMD RAPL through the
// powercap interface), for `[costs] power = "rapl"`: a usage row then holds
// the energy the packages drew over the request's wall time instead of
// watts_load x wall time.
//
//   HEARTH_ASSIGN_OR_RETURN(RaplMeter meter, RaplMeter::open("/sys/class/powercap"));
//   HEARTH_ASSIGN_OR_RETURN(RaplReading before, meter.read());
//   ... serve ...
//   HEARTH_ASSIGN_OR_RETURN(RaplReading after, meter.read());
//   int64_t energy_uj = meter.energy_between(before, after);
//
// Reads ROOT/intel-rapl:N/energy_uj (and max_energy_range_uj, for the
// counter's wrap) of every top-level zone N (one per package; the sub-zones
// intel-rapl:N:M, which the package counter already includes, are skipped).
// Since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694): as
// another user open() fails saying so. What is measured is the whole
// packages' energy, idle draw and other processes included, and requests
// that overlap each count the whole interval (docs/costs.md).
//
// Thread-safety: read() and energy_between() from any thread (each read opens the files anew).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::ledger {

struct RaplReading {
  std::vector<int64_t> energy_uj;  // per zone, in the meter's zone order
};

class RaplMeter {
 public:
  // kNotFound when ROOT has no intel-rapl:N zone; kPermissionDenied-like kIo
  // naming the file when a counter cannot be read.
  static Result<RaplMeter> open(const std::string& root);

  Result<RaplReading> read() const;
  // The energy from `start` to `end`, each zone's counter unwrapped once
  // (readings further apart than one wrap, hours at full load, undercount).
  // Readings of another meter, or with zones missing: 0.
  int64_t energy_between(const RaplReading& start, const RaplReading& end) const;

  size_t n_zones() const { return zones_.size(); }

 private:
  struct Zone {
    std::string energy_path;
    int64_t max_range_uj = 0;  // the counter wraps to 0 after this
  };
  explicit RaplMeter(std::vector<Zone> zones) : zones_(std::move(zones)) {}
  std::vector<Zone> zones_;
};

}  // namespace hearth::ledger

#include "ledger/rapl_meter.h"

#include <algorithm>
#include <filesystem>

#include "base/file_text.h"

namespace hearth::ledger {
namespace {

constexpr int64_t kMaxCounterFileBytes = 64;

// A non-negative decimal integer file ("123456\n").
Result<int64_t> read_counter(const std::string& path) {
  Result<std::string> text = read_text_file(path, kMaxCounterFileBytes);
  if (!text.ok()) {
    return io_error("cannot read " + path + " (" + text.status().message() +
                    "); since Linux 5.10 the RAPL counters are readable by root only");
  }
  int64_t value = 0;
  size_t pos = 0;
  while (pos < text->size() && (*text)[pos] >= '0' && (*text)[pos] <= '9') {
    if (value > (int64_t{1} << 58)) return data_loss_error(path + " holds a number too large for a counter");
    value = value * 10 + ((*text)[pos] - '0');
    ++pos;
  }
  if (pos == 0 || (pos < text->size() && (*text)[pos] != '\n')) {
    return data_loss_error(path + " does not hold a counter");
  }
  return value;
}

// "intel-rapl:N" with N digits only (a package), not "intel-rapl:N:M".
bool is_package_zone(const std::string& name) {
  constexpr std::string_view kPrefix = "intel-rapl:";
  if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(kPrefix.size()), name.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; });
}

}  // namespace

Result<RaplMeter> RaplMeter::open(const std::string& root) {
  std::error_code error;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (is_package_zone(name)) names.push_back(name);
  }
  if (error) return not_found_error("cannot list " + root + ": " + error.message() + " (no RAPL on this machine?)");
  if (names.empty()) return not_found_error("no RAPL package zone (intel-rapl:N) under " + root);
  std::sort(names.begin(), names.end());
  std::vector<Zone> zones;
  for (const std::string& name : names) {
    Zone zone;
    zone.energy_path = root + "/" + name + "/energy_uj";
    HEARTH_ASSIGN_OR_RETURN(zone.max_range_uj, read_counter(root + "/" + name + "/max_energy_range_uj"));
    HEARTH_ASSIGN_OR_RETURN(const int64_t first, read_counter(zone.energy_path));
    (void)first;  // readable now: a request's reading will not be the first to find out it is not
    zones.push_back(std::move(zone));
  }
  return RaplMeter(std::move(zones));
}

Result<RaplReading> RaplMeter::read() const {
  RaplReading reading;
  reading.energy_uj.reserve(zones_.size());
  for (const Zone& zone : zones_) {
    HEARTH_ASSIGN_OR_RETURN(const int64_t value, read_counter(zone.energy_path));
    reading.energy_uj.push_back(value);
  }
  return reading;
}

int64_t RaplMeter::energy_between(const RaplReading& start, const RaplReading& end) const {
  if (start.energy_uj.size() != zones_.size() || end.energy_uj.size() != zones_.size()) return 0;
  int64_t total = 0;
  for (size_t zone_idx = 0; zone_idx < zones_.size(); ++zone_idx) {
    const int64_t from = start.energy_uj[zone_idx];
    const int64_t to = end.energy_uj[zone_idx];
    // The counter runs from 0 to max_range and wraps to 0.
    total += to >= from ? to - from : zones_[zone_idx].max_range_uj - from + to;
  }
  return total;
}

}  // namespace hearth::ledger

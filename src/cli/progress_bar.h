// A one-line progress bar on stderr for long work (synthesis, benchmarks, pulls),
// with the rate since the first update (a resumed pull counts only new bytes).
// Redraws at most a few times per second; prints nothing when stderr is not a terminal
// except the final line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hearth::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void update(uint64_t done, uint64_t total);
  void finish();
  // Ends without the summary line (the work failed, or a message must be
  // printed): clears the bar on a terminal, prints nothing otherwise.
  void abandon();

 private:
  std::string label_;
  bool is_tty_;
  bool finished_ = false;
  uint64_t last_done_ = 0;
  uint64_t last_total_ = 0;
  bool has_first_ = false;
  uint64_t first_done_ = 0;  // done at the first update: the rate counts from here
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hearth::cli

#include "cli/batch_progress.h"

#include <algorithm>
#include <cstdio>

namespace hearth::cli {

std::string format_eta_s(int64_t seconds) {
  if (seconds < 0) return "?";
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  }
  return text;
}

std::string format_batch_progress(const BatchProgress& progress) {
  constexpr int64_t kWidth = 30;
  const int64_t total = std::max<int64_t>(progress.n_total, 0);
  const int64_t done = std::clamp<int64_t>(progress.n_done, 0, total);
  const int64_t filled = total > 0 ? done * kWidth / total : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const int64_t n_new = done - std::min(progress.n_done_at_start, done);
  std::string line = "[" + bar + "] " + std::to_string(done) + "/" + std::to_string(total) + " lines";
  if (progress.n_failed > 0) line += ", " + std::to_string(progress.n_failed) + " failed";
  if (n_new > 0 && progress.elapsed_ms > 0) {
    const double rate = static_cast<double>(n_new) * 1000.0 / static_cast<double>(progress.elapsed_ms);
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", rate);
    // Remaining lines at the rate seen so far, rounded up.
    const int64_t left = total - done;
    const int64_t eta_s = (left * progress.elapsed_ms + n_new * 1000 - 1) / (n_new * 1000);
    line += std::string(", ") + text + " lines/s, ETA " + format_eta_s(eta_s);
  } else if (done < total) {
    line += ", ETA ?";
  }
  return line;
}

}  // namespace hearth::cli

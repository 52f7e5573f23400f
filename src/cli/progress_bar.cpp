#include "cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace hearth::cli {

namespace {

double mib_per_s(uint64_t n_bytes, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  return seconds > 0 ? static_cast<double>(n_bytes) / (1 << 20) / seconds : 0.0;
}

}  // namespace

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      is_tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!has_first_) {
    has_first_ = true;
    first_done_ = done;
  }
  last_done_ = done;
  last_total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (!is_tty_ || (now - last_draw_ < std::chrono::milliseconds(200) && done < total)) return;
  last_draw_ = now;
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %5.1f%% %.0f/%.0f MiB %.1f MiB/s", label_.c_str(), bar.c_str(), fraction * 100.0,
               static_cast<double>(done) / (1 << 20), static_cast<double>(total) / (1 << 20),
               mib_per_s(done > first_done_ ? done - first_done_ : 0, now - start_));
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::fprintf(stderr, "%s%s: %.0f MiB in %.1f s, %.1f MiB/s\n", is_tty_ ? "\r\033[K" : "", label_.c_str(),
               static_cast<double>(last_done_) / (1 << 20), seconds,
               mib_per_s(last_done_ > first_done_ ? last_done_ - first_done_ : 0, elapsed));
}

void ProgressBar::abandon() {
  if (finished_) return;
  finished_ = true;
  if (is_tty_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace hearth::cli

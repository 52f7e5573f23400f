#include "infer/stop_matcher.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace hearth::infer {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  assert(std::none_of(stops_.begin(), stops_.end(), [](const std::string& s) { return s.empty(); }));
}

StopMatcher::Step StopMatcher::push(std::string_view piece) {
  held_.append(piece);
  Step step;
  // Anything already released could not start a stop string (its possible
  // starts were held back), so every occurrence begins inside held_.
  size_t first = std::string::npos;
  for (size_t stop_idx = 0; stop_idx < stops_.size(); ++stop_idx) {
    const size_t pos = held_.find(stops_[stop_idx]);
    if (pos < first) {
      first = pos;
      step.stop_index = stop_idx;
    }
  }
  if (first != std::string::npos) {
    step.text = held_.substr(0, first);
    step.stopped = true;
    held_.clear();
    return step;
  }
  // Hold back the longest suffix of held_ that is a proper prefix of a stop.
  size_t n_hold = 0;
  for (const std::string& stop : stops_) {
    const size_t max_len = std::min(stop.size() - 1, held_.size());
    for (size_t len = max_len; len > n_hold; --len) {
      if (std::string_view(held_).substr(held_.size() - len) == std::string_view(stop).substr(0, len)) {
        n_hold = len;
        break;
      }
    }
  }
  step.text = held_.substr(0, held_.size() - n_hold);
  held_.erase(0, held_.size() - n_hold);
  return step;
}

std::string StopMatcher::flush() {
  std::string released = std::move(held_);
  held_.clear();
  return released;
}

}  // namespace hearth::infer

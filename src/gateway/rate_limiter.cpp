#include "gateway/rate_limiter.h"

#include <algorithm>

namespace hearth::gateway {
namespace {

int64_t seconds_until(int64_t leave_ms, int64_t now_ms) {
  return std::max<int64_t>(1, (leave_ms - now_ms + 999) / 1000);
}

}  // namespace

void RateLimiter::expire(Window& window, int64_t now_ms) {
  while (!window.request_ms.empty() && window.request_ms.front() + kRateWindowMs <= now_ms) {
    window.request_ms.pop_front();
  }
  while (!window.tokens.empty() && window.tokens.front().first + kRateWindowMs <= now_ms) {
    window.n_tokens -= window.tokens.front().second;
    window.tokens.pop_front();
  }
}

std::optional<int64_t> RateLimiter::admit(std::string_view key_name, std::optional<int64_t> rpm,
                                          std::optional<int64_t> tpm, int64_t now_ms) {
  if (!rpm && !tpm) return std::nullopt;
  auto it = windows_.find(key_name);
  if (it == windows_.end()) it = windows_.emplace(std::string(key_name), Window{}).first;
  Window& window = it->second;
  expire(window, now_ms);
  if (rpm && static_cast<int64_t>(window.request_ms.size()) >= *rpm) {
    return seconds_until(window.request_ms.front() + kRateWindowMs, now_ms);
  }
  if (tpm && window.n_tokens >= *tpm) {
    // The tokens leave in order; wait until enough have left to go below the limit.
    int64_t n_left = window.n_tokens;
    for (const auto& [when_ms, n_tokens] : window.tokens) {
      n_left -= n_tokens;
      if (n_left < *tpm) return seconds_until(when_ms + kRateWindowMs, now_ms);
    }
  }
  window.request_ms.push_back(now_ms);
  return std::nullopt;
}

void RateLimiter::add_tokens(std::string_view key_name, int64_t n_tokens, int64_t now_ms) {
  if (n_tokens <= 0) return;
  auto it = windows_.find(key_name);
  if (it == windows_.end()) return;  // a key with no limits keeps no window
  it->second.tokens.emplace_back(now_ms, n_tokens);
  it->second.n_tokens += n_tokens;
}

}  // namespace hearth::gateway

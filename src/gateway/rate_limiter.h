// Per-key limits over a sliding minute: requests per minute (counted when a
// request is admitted) and tokens per minute (counted when its usage is
// known). A request beyond either waits: admit() says how long (the 429's
// Retry-After).
//
//   if (auto wait_s = limiter.admit("alice", key.rpm, key.tpm, now_ms)) return too_many(*wait_s);
//   ... serve ...
//   limiter.add_tokens("alice", prompt_tokens + completion_tokens, now_ms);
//
// Thread-safety: not thread-safe; the server's I/O thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::gateway {

inline constexpr int64_t kRateWindowMs = 60'000;

class RateLimiter {
 public:
  // nullopt: admitted (and counted). Otherwise the whole seconds (>= 1) until
  // the oldest counted request or tokens leave the window. Unset limits do
  // not limit.
  std::optional<int64_t> admit(std::string_view key_name, std::optional<int64_t> rpm, std::optional<int64_t> tpm,
                               int64_t now_ms);
  void add_tokens(std::string_view key_name, int64_t n_tokens, int64_t now_ms);

 private:
  struct Window {
    std::deque<int64_t> request_ms;
    std::deque<std::pair<int64_t, int64_t>> tokens;  // (when, how many)
    int64_t n_tokens = 0;                            // sum over `tokens`
  };
  static void expire(Window& window, int64_t now_ms);

  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace hearth::gateway

// Request ids ("chatcmpl-" + 24 random letters and digits, as OpenAI's look)
// and per-request sampling seeds, from one generator the server owns and
// seeds (tests seed it fixed).
//
// Thread-safety: none; used on the server's I/O thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace hearth::api {

class RequestIds {
 public:
  explicit RequestIds(uint64_t seed) : rng_(seed) {}

  // prefix + 24 characters from [A-Za-z0-9].
  std::string next_id(std::string_view prefix);
  // A seed for a request that sent none.
  uint64_t next_seed() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace hearth::api

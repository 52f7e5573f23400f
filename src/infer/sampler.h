// Sampler: picks the next token from logits.
//
// The chain, in llama.cpp's default order (its defaults too):
//   1. penalties over the last repeat_last_n tokens of `recent` (-1: all, 0: none):
//        repeat:   logit > 0 ? logit / repeat_penalty : logit * repeat_penalty
//        then      logit -= count * frequency_penalty + (count > 0) * presence_penalty
//      (OpenAI's definition of frequency/presence; llama.cpp applies both in this order)
//   2. temperature == 0: greedy, the highest logit (lowest id on ties). Stop.
//   3. top_k (0: off): keep the k highest logits.
//   4. top_p (1: off): keep the fewest highest tokens whose probability mass
//      (softmax of the logits that survived step 3) reaches top_p.
//   5. min_p (0: off): keep tokens with p >= min_p * p_max.
//   6. sample from softmax(logit / temperature) over the survivors.
// Ties in steps 3-5 break by lower id, so the surviving set is well defined.
//
// Draws come from the Sampler's own Rng seeded with `seed`: the same seed,
// logits and history give the same tokens on every platform.
//
// Thread-safety: none; one Sampler per sequence.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "infer/rng.h"

namespace hearth::infer {

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
};

// kInvalidArgument naming the field: temperature >= 0, top_k >= 0,
// top_p in (0, 1], min_p in [0, 1], repeat_penalty > 0, repeat_last_n >= -1,
// frequency/presence penalties in [-2, 2] (OpenAI's range); all finite.
Status validate_sampling_params(const SamplingParams& params);

// Step 1 of the chain on `logits` in place. Ids in `recent` outside the
// logits are ignored.
void apply_penalties(std::span<float> logits, std::span<const int32_t> recent,
                     const SamplingParams& params);

class Sampler {
 public:
  static Result<Sampler> create(const SamplingParams& params);

  // `recent`: the sequence so far, oldest first (prompt and generated tokens).
  // `allowed` (constrained decoding), when not empty: one entry per logit;
  // tokens whose entry is 0 are removed before the chain runs. Preconditions:
  // !logits.empty(); allowed is empty or has logits.size() entries, one nonzero.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> recent,
                 std::span<const uint8_t> allowed = {});

  const SamplingParams& params() const { return params_; }

 private:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

  struct Candidate {
    int32_t id;
    float logit;
  };

  SamplingParams params_;
  Rng rng_;
  // Reused between calls so sampling allocates only on the first call.
  std::vector<float> work_;
  std::vector<Candidate> candidates_;
};

}  // namespace hearth::infer

#include "infer/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <string>

namespace hearth::infer {
namespace {

Status check_finite(float value, const char* field) {
  if (!std::isfinite(value)) {
    return invalid_argument_error(std::string(field) + " must be a finite number");
  }
  return ok_status();
}

}  // namespace

Status validate_sampling_params(const SamplingParams& params) {
  HEARTH_RETURN_IF_ERROR(check_finite(params.temperature, "temperature"));
  HEARTH_RETURN_IF_ERROR(check_finite(params.top_p, "top_p"));
  HEARTH_RETURN_IF_ERROR(check_finite(params.min_p, "min_p"));
  HEARTH_RETURN_IF_ERROR(check_finite(params.repeat_penalty, "repeat_penalty"));
  HEARTH_RETURN_IF_ERROR(check_finite(params.frequency_penalty, "frequency_penalty"));
  HEARTH_RETURN_IF_ERROR(check_finite(params.presence_penalty, "presence_penalty"));
  if (params.temperature < 0.0f) {
    return invalid_argument_error("temperature " + std::to_string(params.temperature) +
                                  " is negative");
  }
  if (params.top_k < 0) {
    return invalid_argument_error("top_k " + std::to_string(params.top_k) + " is negative");
  }
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f)) {
    return invalid_argument_error("top_p " + std::to_string(params.top_p) +
                                  " is outside (0, 1]");
  }
  if (!(params.min_p >= 0.0f && params.min_p <= 1.0f)) {
    return invalid_argument_error("min_p " + std::to_string(params.min_p) +
                                  " is outside [0, 1]");
  }
  if (!(params.repeat_penalty > 0.0f)) {
    return invalid_argument_error("repeat_penalty " + std::to_string(params.repeat_penalty) +
                                  " must be positive");
  }
  if (params.repeat_last_n < -1) {
    return invalid_argument_error("repeat_last_n " + std::to_string(params.repeat_last_n) +
                                  " must be -1 (all), 0 (off) or positive");
  }
  if (std::fabs(params.frequency_penalty) > 2.0f) {
    return invalid_argument_error("frequency_penalty " +
                                  std::to_string(params.frequency_penalty) +
                                  " is outside [-2, 2]");
  }
  if (std::fabs(params.presence_penalty) > 2.0f) {
    return invalid_argument_error("presence_penalty " + std::to_string(params.presence_penalty) +
                                  " is outside [-2, 2]");
  }
  return ok_status();
}

void apply_penalties(std::span<float> logits, std::span<const int32_t> recent,
                     const SamplingParams& params) {
  if (params.repeat_last_n == 0) return;
  if (params.repeat_penalty == 1.0f && params.frequency_penalty == 0.0f &&
      params.presence_penalty == 0.0f) {
    return;
  }
  size_t window = recent.size();
  if (params.repeat_last_n > 0) window = std::min(window, static_cast<size_t>(params.repeat_last_n));
  std::vector<int32_t> ids(recent.end() - static_cast<std::ptrdiff_t>(window), recent.end());
  std::sort(ids.begin(), ids.end());
  const auto n_vocab = static_cast<int64_t>(logits.size());
  for (size_t run_begin = 0; run_begin < ids.size();) {
    size_t run_end = run_begin;
    while (run_end < ids.size() && ids[run_end] == ids[run_begin]) ++run_end;
    const int32_t id = ids[run_begin];
    const auto count = static_cast<float>(run_end - run_begin);
    run_begin = run_end;
    if (id < 0 || id >= n_vocab) continue;
    float& logit = logits[static_cast<size_t>(id)];
    logit = logit > 0.0f ? logit / params.repeat_penalty : logit * params.repeat_penalty;
    logit -= count * params.frequency_penalty + params.presence_penalty;
  }
}

Result<Sampler> Sampler::create(const SamplingParams& params) {
  HEARTH_RETURN_IF_ERROR(validate_sampling_params(params));
  return Sampler(params);
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> recent,
                        std::span<const uint8_t> allowed) {
  assert(!logits.empty());
  assert(allowed.empty() || allowed.size() == logits.size());
  const auto n_vocab = static_cast<int64_t>(logits.size());
  work_.assign(logits.begin(), logits.end());
  // NaN would break the orderings below; it can never be a sensible choice.
  for (float& logit : work_) {
    if (std::isnan(logit)) logit = -std::numeric_limits<float>::infinity();
  }
  apply_penalties(work_, recent, params_);
  if (!allowed.empty()) {
    // A masked token keeps no chance whatever the penalties did; an allowed
    // one at -inf gets the lowest finite logit, so the draw stays
    // within the allowed set.
    for (size_t id = 0; id < work_.size(); ++id) {
      if (allowed[id] == 0) {
        work_[id] = -std::numeric_limits<float>::infinity();
      } else if (work_[id] == -std::numeric_limits<float>::infinity()) {
        work_[id] = std::numeric_limits<float>::lowest();
      }
    }
  }

  if (params_.temperature == 0.0f) {
    // max_element returns the first maximum: the lowest id on ties.
    return static_cast<int32_t>(std::max_element(work_.begin(), work_.end()) - work_.begin());
  }

  candidates_.resize(static_cast<size_t>(n_vocab));
  for (int64_t id = 0; id < n_vocab; ++id) {
    candidates_[static_cast<size_t>(id)] = {static_cast<int32_t>(id), work_[static_cast<size_t>(id)]};
  }
  // A strict total order: higher logit first, then lower id.
  const auto before = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  const auto begin = candidates_.begin();
  int64_t n_kept = n_vocab;
  int64_t n_sorted = 0;  // candidates_[0, n_sorted) is sorted and ahead of the rest
  bool filtered = false;

  if (params_.top_k > 0 && params_.top_k < n_kept) {
    n_kept = params_.top_k;
    std::nth_element(begin, begin + n_kept, candidates_.end(), before);
    filtered = true;
  }
  float max_logit = begin->logit;
  for (int64_t idx = 1; idx < n_kept; ++idx) max_logit = std::max(max_logit, candidates_[idx].logit);
  if (std::isinf(max_logit) && max_logit < 0.0f) {
    // Every logit is -inf: no distribution; take the lowest id.
    return static_cast<int32_t>(std::max_element(work_.begin(), work_.end()) - work_.begin());
  }

  if (params_.top_p < 1.0f) {
    double sum = 0.0;
    for (int64_t idx = 0; idx < n_kept; ++idx) sum += std::exp(double{candidates_[idx].logit} - max_logit);
    // Sort only as far as the mass needs: a prefix that grows 4x when exhausted.
    const double target = params_.top_p * sum;
    double mass = 0.0;
    int64_t idx = 0;
    while (idx < n_kept) {
      if (idx == n_sorted) {
        // Select the next block in O(n), then sort only the block.
        const int64_t next = std::min(n_kept, std::max<int64_t>(64, 4 * n_sorted));
        if (next < n_kept) std::nth_element(begin + n_sorted, begin + next, begin + n_kept, before);
        std::sort(begin + n_sorted, begin + next, before);
        n_sorted = next;
      }
      mass += std::exp(double{candidates_[idx].logit} - max_logit);
      ++idx;
      if (mass >= target) break;
    }
    if (idx < n_kept) filtered = true;
    n_kept = idx;
    // The sorted prefix may have run past the cut: only survivors count as sorted.
    n_sorted = std::min(n_sorted, n_kept);
  }

  if (params_.min_p > 0.0f) {
    // p_i >= min_p * p_max  <=>  logit_i - max_logit >= log(min_p).
    const double threshold = double{max_logit} + std::log(double{params_.min_p});
    const auto passes = [&](const Candidate& c) { return double{c.logit} >= threshold; };
    // The sorted prefix outranks the rest: if one of it fails, so does the tail.
    int64_t n_pass = 0;
    while (n_pass < n_sorted && passes(candidates_[n_pass])) ++n_pass;
    if (n_pass < n_sorted) {
      n_kept = n_pass;
      n_sorted = n_pass;
    } else {
      n_kept = std::partition(begin + n_sorted, begin + n_kept, passes) - begin;
    }
    if (n_kept < n_vocab) filtered = true;
  }

  const double inv_temperature = 1.0 / params_.temperature;
  if (!filtered) {
    // Every token survived: walk them in id order, no sort needed. work_
    // becomes the unnormalized probabilities.
    double sum = 0.0;
    for (float& weight : work_) {
      weight = static_cast<float>(std::exp((double{weight} - max_logit) * inv_temperature));
      sum += weight;
    }
    const double target = rng_.next_unit() * sum;
    double mass = 0.0;
    for (int64_t id = 0; id < n_vocab; ++id) {
      mass += work_[static_cast<size_t>(id)];
      if (mass > target) return static_cast<int32_t>(id);
    }
    // Rounding left target at the very end of the mass: the last nonzero weight.
    for (int64_t id = n_vocab - 1; id > 0; --id) {
      if (work_[static_cast<size_t>(id)] > 0.0f) return static_cast<int32_t>(id);
    }
    return 0;
  }
  // Walk the survivors in the canonical order so the draw does not depend on
  // how the standard library arranged them.
  if (n_sorted < n_kept) std::sort(begin + n_sorted, begin + n_kept, before);
  double sum = 0.0;
  for (int64_t idx = 0; idx < n_kept; ++idx) {
    sum += std::exp((double{candidates_[idx].logit} - max_logit) * inv_temperature);
  }
  const double target = rng_.next_unit() * sum;
  double mass = 0.0;
  for (int64_t idx = 0; idx < n_kept; ++idx) {
    mass += std::exp((double{candidates_[idx].logit} - max_logit) * inv_temperature);
    if (mass > target) return candidates_[idx].id;
  }
  // Rounding left target at the very end of the mass: the last survivor.
  return candidates_[n_kept - 1].id;
}

}  // namespace hearth::infer

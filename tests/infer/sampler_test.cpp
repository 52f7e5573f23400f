#include "infer/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "infer/rng.h"

namespace hearth::infer {
namespace {

SamplingParams plain(float temperature) {
  SamplingParams params;
  params.temperature = temperature;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.min_p = 0.0f;
  return params;
}

Sampler make_sampler(const SamplingParams& params) {
  auto sampler = Sampler::create(params);
  EXPECT_TRUE(sampler.ok()) << sampler.status().to_string();
  return std::move(sampler).value();
}

// Logits whose softmax is exactly `probs` (up to rounding).
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<int64_t> histogram(Sampler& sampler, std::span<const float> logits, int n_draws) {
  std::vector<int64_t> counts(logits.size(), 0);
  for (int draw = 0; draw < n_draws; ++draw) ++counts[static_cast<size_t>(sampler.sample(logits, {}))];
  return counts;
}

// Each bucket's frequency within 4.5 standard deviations of its probability
// (with a fixed seed this is deterministic; the bound says a correct sampler
// passes for essentially every seed, while a wrong support or temperature
// misses by dozens of sigmas at 20000 draws).
void expect_distribution(const std::vector<int64_t>& counts, const std::vector<double>& probs) {
  int64_t n = 0;
  for (int64_t count : counts) n += count;
  for (size_t id = 0; id < probs.size(); ++id) {
    const double freq = static_cast<double>(counts[id]) / static_cast<double>(n);
    const double sigma = std::sqrt(probs[id] * (1.0 - probs[id]) / static_cast<double>(n));
    if (probs[id] == 0.0) {
      EXPECT_EQ(counts[id], 0) << "id " << id << " is outside the support";
    } else {
      EXPECT_NEAR(freq, probs[id], 4.5 * sigma + 1e-12) << "id " << id;
    }
  }
}

std::vector<double> normalized(std::vector<double> weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  for (double& w : weights) w /= sum;
  return weights;
}

TEST(SamplerTest, ValidateRejectsEachBadField) {
  EXPECT_TRUE(validate_sampling_params(SamplingParams{}).ok());
  const auto rejects = [](auto mutate, const char* field) {
    SamplingParams params;
    mutate(params);
    const Status status = validate_sampling_params(params);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_NE(status.message().find(field), std::string::npos) << status.message();
  };
  rejects([](SamplingParams& p) { p.temperature = -0.1f; }, "temperature");
  rejects([](SamplingParams& p) { p.temperature = std::numeric_limits<float>::quiet_NaN(); }, "temperature");
  rejects([](SamplingParams& p) { p.top_k = -1; }, "top_k");
  rejects([](SamplingParams& p) { p.top_p = 0.0f; }, "top_p");
  rejects([](SamplingParams& p) { p.top_p = 1.5f; }, "top_p");
  rejects([](SamplingParams& p) { p.min_p = -0.1f; }, "min_p");
  rejects([](SamplingParams& p) { p.min_p = 1.1f; }, "min_p");
  rejects([](SamplingParams& p) { p.repeat_penalty = 0.0f; }, "repeat_penalty");
  rejects([](SamplingParams& p) { p.repeat_penalty = std::numeric_limits<float>::infinity(); }, "repeat_penalty");
  rejects([](SamplingParams& p) { p.repeat_last_n = -2; }, "repeat_last_n");
  rejects([](SamplingParams& p) { p.frequency_penalty = 2.5f; }, "frequency_penalty");
  rejects([](SamplingParams& p) { p.presence_penalty = -3.0f; }, "presence_penalty");
  EXPECT_FALSE(Sampler::create([] { SamplingParams p; p.top_k = -3; return p; }()).ok());
}

TEST(SamplerTest, GreedyIsArgmaxWithLowestIdOnTies) {
  Rng rng(5);
  Sampler greedy = make_sampler(plain(0.0f));
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> logits(1000);
    for (float& logit : logits) logit = static_cast<float>(rng.next_unit() * 10.0 - 5.0);
    const auto expected = std::max_element(logits.begin(), logits.end()) - logits.begin();
    EXPECT_EQ(greedy.sample(logits, {}), expected);
  }
  const std::vector<float> tied = {1.0f, 3.0f, 0.5f, 3.0f};
  EXPECT_EQ(greedy.sample(tied, {}), 1);
}

TEST(SamplerTest, SameSeedSameSequence) {
  SamplingParams params;  // defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05
  params.seed = 1234;
  params.top_k = 0;
  params.min_p = 0.0f;
  params.top_p = 0.99f;
  Rng rng(9);
  std::vector<float> logits(500);
  for (float& logit : logits) logit = static_cast<float>(rng.next_unit() * 4.0);
  Sampler first = make_sampler(params);
  Sampler second = make_sampler(params);
  params.seed = 1235;
  Sampler other = make_sampler(params);
  std::vector<int32_t> a, b, c;
  for (int step = 0; step < 200; ++step) {
    a.push_back(first.sample(logits, a));
    b.push_back(second.sample(logits, b));
    c.push_back(other.sample(logits, c));
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Many distinct tokens: the draws really are random.
  EXPECT_GT(std::set<int32_t>(a.begin(), a.end()).size(), 50u);
}

TEST(SamplerTest, RngIsPinned) {
  // xoshiro256** seeded through splitmix64 is fully specified: these are the
  // first outputs for seed 0 from an independent transcription of the
  // reference C (splitmix64(0)'s first word is the published 0xe220a8397b1dcdaf).
  // A change here changes every seeded run.
  Rng rng(0);
  EXPECT_EQ(rng.next_u64(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(rng.next_u64(), 0xbf6e1f784956452aull);
  EXPECT_EQ(rng.next_u64(), 0x1a5f849d4933e6e0ull);
  Rng unit(0);
  EXPECT_EQ(unit.next_unit(), static_cast<double>(0x99ec5f36cb75f2b4ull >> 11) * 0x1.0p-53);
}

TEST(SamplerTest, UnfilteredDrawsFollowSoftmax) {
  const std::vector<double> probs = {0.4, 0.25, 0.2, 0.1, 0.05};
  Sampler sampler = make_sampler(plain(1.0f));
  expect_distribution(histogram(sampler, logits_of(probs), 20000), probs);
}

TEST(SamplerTest, TemperatureSharpensAndFlattens) {
  const std::vector<double> probs = {0.4, 0.25, 0.2, 0.1, 0.05};
  for (float temperature : {0.5f, 2.0f}) {
    std::vector<double> tempered;
    for (double p : probs) tempered.push_back(std::pow(p, 1.0 / temperature));
    Sampler sampler = make_sampler(plain(temperature));
    expect_distribution(histogram(sampler, logits_of(probs), 20000), normalized(tempered));
  }
}

TEST(SamplerTest, TopKRestrictsSupport) {
  const std::vector<double> probs = {0.1, 0.3, 0.05, 0.25, 0.2, 0.1};
  SamplingParams params = plain(1.0f);
  params.top_k = 3;  // ids 1, 3, 4
  Sampler sampler = make_sampler(params);
  expect_distribution(histogram(sampler, logits_of(probs), 20000),
                      normalized({0.0, 0.3, 0.0, 0.25, 0.2, 0.0}));
}

TEST(SamplerTest, TopPKeepsSmallestPrefixReachingMass) {
  const std::vector<double> probs = {0.15, 0.5, 0.05, 0.3};
  SamplingParams params = plain(1.0f);
  params.top_p = 0.75f;  // 0.5 < 0.75 <= 0.8: ids 1, 3
  Sampler two = make_sampler(params);
  expect_distribution(histogram(two, logits_of(probs), 20000), normalized({0.0, 0.5, 0.0, 0.3}));
  params.top_p = 0.9f;  // 0.8 < 0.9 <= 0.95: ids 1, 3, 0
  Sampler three = make_sampler(params);
  expect_distribution(histogram(three, logits_of(probs), 20000),
                      normalized({0.15, 0.5, 0.0, 0.3}));
}

TEST(SamplerTest, TopPOverLargeFlatVocabulary) {
  // 5000 tokens of similar weight: the kept prefix is thousands long, past
  // the sampler's first partial sort, so its widening is exercised.
  Rng rng(21);
  std::vector<float> logits(5000);
  for (float& logit : logits) logit = static_cast<float>(rng.next_unit());
  SamplingParams params = plain(1.0f);
  params.top_p = 0.5f;
  // Expected support: sort by (logit desc, id asc), smallest prefix with mass >= 0.5.
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  double total = 0.0;
  for (float logit : logits) total += std::exp(double{logit});
  std::set<int32_t> support;
  double mass = 0.0;
  for (int32_t id : order) {
    support.insert(id);
    mass += std::exp(double{logits[id]}) / total;
    if (mass >= 0.5) break;
  }
  ASSERT_GT(support.size(), 1000u);
  Sampler sampler = make_sampler(params);
  std::set<int32_t> seen;
  for (int draw = 0; draw < 4000; ++draw) {
    const int32_t id = sampler.sample(logits, {});
    ASSERT_TRUE(support.count(id)) << "id " << id << " outside the top-p support";
    seen.insert(id);
  }
  // ~2500 kept ids, 4000 draws: a correct sampler reaches ~80% of them.
  EXPECT_GT(seen.size(), support.size() / 2);
}

TEST(SamplerTest, MinPCutsRelativeToTheMostLikely) {
  const std::vector<double> probs = {0.5, 0.2, 0.12, 0.1, 0.08};
  SamplingParams params = plain(1.0f);
  params.min_p = 0.3f;  // keep p >= 0.15: ids 0, 1
  Sampler sampler = make_sampler(params);
  expect_distribution(histogram(sampler, logits_of(probs), 20000),
                      normalized({0.5, 0.2, 0.0, 0.0, 0.0}));
  params.min_p = 0.19f;  // keep p >= 0.095: ids 0..3
  Sampler wider = make_sampler(params);
  expect_distribution(histogram(wider, logits_of(probs), 20000),
                      normalized({0.5, 0.2, 0.12, 0.1, 0.0}));
}

TEST(SamplerTest, FiltersComposeInOrder) {
  // top_k 4 keeps ids 0..3 (mass 0.94 of the original), renormalized
  // {0.532, 0.213, 0.128, 0.128}; top_p 0.8 then keeps 0, 1, 2 (0.745 < 0.8
  // <= 0.872); min_p 0.25 keeps p >= 0.133 of those: ids 0, 1.
  const std::vector<double> probs = {0.5, 0.2, 0.12, 0.12, 0.06};
  SamplingParams params = plain(1.0f);
  params.top_k = 4;
  params.top_p = 0.8f;
  Sampler no_min_p = make_sampler(params);
  expect_distribution(histogram(no_min_p, logits_of(probs), 20000),
                      normalized({0.5, 0.2, 0.12, 0.0, 0.0}));
  params.min_p = 0.25f;
  Sampler all = make_sampler(params);
  expect_distribution(histogram(all, logits_of(probs), 20000), normalized({0.5, 0.2, 0.0, 0.0, 0.0}));
}

TEST(SamplerTest, LooseMinPDoesNotUndoTopP) {
  // top_p 0.75 keeps ids 0, 1; min_p 0.1 alone would keep all four. The
  // chain's result is the smaller set (a regression: the sorted prefix once
  // outlived the top-p cut and min_p re-admitted ids 2 and 3).
  const std::vector<double> probs = {0.5, 0.3, 0.1, 0.1};
  SamplingParams params = plain(1.0f);
  params.top_p = 0.75f;
  params.min_p = 0.1f;
  Sampler sampler = make_sampler(params);
  expect_distribution(histogram(sampler, logits_of(probs), 20000), normalized({0.5, 0.3, 0.0, 0.0}));
}

TEST(SamplerTest, PenaltiesFollowTheDefinition) {
  SamplingParams params = plain(0.0f);
  params.repeat_penalty = 2.0f;
  params.frequency_penalty = 0.5f;
  params.presence_penalty = 0.25f;
  params.repeat_last_n = -1;
  const std::vector<int32_t> recent = {0, 1, 0, 3, 99, -4};  // 99 and -4 are not in the vocabulary
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f};
  apply_penalties(logits, recent, params);
  // id 0 seen twice: 2/2 - 2*0.5 - 0.25; id 1 once: -2*2 - 0.5 - 0.25;
  // id 2 unseen; id 3 once: 0.5/2 - 0.5 - 0.25.
  EXPECT_FLOAT_EQ(logits[0], -0.25f);
  EXPECT_FLOAT_EQ(logits[1], -4.75f);
  EXPECT_FLOAT_EQ(logits[2], 1.0f);
  EXPECT_FLOAT_EQ(logits[3], -0.5f);

  // Window of the last 4 ids {0, 3, 99, -4}: id 0 once, id 1 not at all.
  params.repeat_last_n = 4;
  logits = {2.0f, -2.0f, 1.0f, 0.5f};
  apply_penalties(logits, recent, params);
  EXPECT_FLOAT_EQ(logits[0], 2.0f / 2.0f - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[1], -2.0f);
  EXPECT_FLOAT_EQ(logits[3], -0.5f);

  params.repeat_last_n = 0;  // off
  logits = {2.0f, -2.0f, 1.0f, 0.5f};
  apply_penalties(logits, recent, params);
  EXPECT_EQ(logits, (std::vector<float>{2.0f, -2.0f, 1.0f, 0.5f}));

  // Through the sampler: greedy would pick id 0, the penalty moves it to id 2.
  params.repeat_last_n = 64;
  Sampler greedy = make_sampler(params);
  const std::vector<float> raw = {2.0f, -2.0f, 1.0f, 0.5f};
  EXPECT_EQ(greedy.sample(raw, recent), 2);
  EXPECT_EQ(greedy.sample(raw, {}), 0);
}

TEST(SamplerTest, DegenerateLogits) {
  Sampler sampler = make_sampler(plain(1.0f));
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // NaN never wins; a single finite logit among -inf is certain.
  const std::vector<float> one_finite = {-inf, nan, 0.5f, -inf};
  for (int draw = 0; draw < 100; ++draw) EXPECT_EQ(sampler.sample(one_finite, {}), 2);
  const std::vector<float> none = {-inf, -inf};
  EXPECT_EQ(sampler.sample(none, {}), 0);
  SamplingParams filtered = SamplingParams{};
  Sampler defaults = make_sampler(filtered);
  EXPECT_EQ(defaults.sample(one_finite, {}), 2);
  const std::vector<float> single = {3.0f};
  EXPECT_EQ(defaults.sample(single, {}), 0);
}

}  // namespace
}  // namespace hearth::infer

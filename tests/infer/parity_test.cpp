// Parity with HF transformers: logits and greedy continuations of random-weight
// models of every family (llama, qwen2, qwen3, mistral with an explicit head
// size as llama, gemma3 with sliding-window layers, phi3 with fused matrices),
// recorded by tools/make_parity_fixtures.py into
// tests/fixtures/parity/ (see that script for the models and formats). The
// "llama" and "qwen2" models are deliberately hot (weight std 0.15, embeddings
// 0.5) so greedy margins are large; "llama-init002" is "llama" at HF's default
// init scale (std 0.02, norms 1) and ships only its q8_0 GGUF and HF logits.
//
// Missing fixtures are a failure, not a skip: this test is the proof that the
// engine computes what the reference implementation computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/llama_forward.h"
#include "reference_llama.h"

#ifndef HEARTH_FIXTURE_DIR
#error "HEARTH_FIXTURE_DIR must name tests/fixtures"
#endif

namespace hearth::infer {
namespace {

const std::string kParityDir = std::string(HEARTH_FIXTURE_DIR) + "/parity/";
const char* const kHowToMake =
    " (make them with: python3 tools/make_parity_fixtures.py --out tests/fixtures/parity)";

// Bounds on ||hearth - HF|| / ||HF|| over each case's [n_tokens x n_vocab]
// logits. HF computes in float32 throughout.
//  - f32 weights, F32 KV cache: only summation order differs (measured
//    < 1e-6): 1e-4.
//  - f32 weights, F16 KV cache (the default): every cached K/V value is
//    rounded to half (relative error up to 2^-11, ~2^-12 RMS), which these
//    random models carry into the logits at 3e-4 .. 5.3e-4 (the test's float64
//    reference with the same rounding lands within 1e-4 of the engine, and
//    without it within 1e-6 of HF): 1e-3.
//  - q8_0 weights (F16 KV): the weights alone, evaluated exactly in float64,
//    are already 1.4e-2 .. 2.8e-2 from HF on these models; the engine's
//    8-bit activations add about as much again, independently (measured
//    2.2e-2 .. 3.6e-2 in total): 5e-2.
//  - q8_0 weights against the same float64 forward pass over the q8_0 weights
//    as stored (<name>-q8_0.logits.f32, tools/make_q8_0_reference.py): what
//    remains is the engine's own error, 8-bit activations and the F16 cache
//    (measured 1.4e-2 .. 2.6e-2 on these deliberately peaked models): 3e-2.
//  - q8_0 weights (F16 KV) at HF's init scale (llama-init002), the issue's
//    parity requirement: the weights alone, evaluated in float64, are
//    9.3e-3 .. 1.4e-2 from HF; the engine measures 1.2e-2 .. 1.6e-2 (1, 7, 16,
//    33 tokens: 1.36e-2, 1.57e-2, 1.53e-2, 1.21e-2): 2e-2.
constexpr double kF32ExactKvBound = 1e-4;
constexpr double kF32Bound = 1e-3;
constexpr double kQ8_0Bound = 5e-2;
constexpr double kQ8_0EngineBound = 3e-2;
constexpr double kQ8_0InitScaleBound = 2e-2;
constexpr size_t kGreedySteps = 32;

struct Fixture {
  nlohmann::json doc;
  std::vector<float> logits;
  int64_t n_vocab = 0;
};

// Loads <name>.json and <name>.logits.f32; fails the test when either is
// missing or inconsistent. "greedy" is checked by check_greedy, which needs it:
// llama-init002 records none.
void load_fixture(const std::string& name, Fixture* fixture, const std::string& logits_name = "") {
  const std::string json_path = kParityDir + name + ".json";
  std::ifstream json_in(json_path);
  ASSERT_TRUE(json_in.good()) << "parity fixture missing: " << json_path << kHowToMake;
  fixture->doc = nlohmann::json::parse(json_in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(fixture->doc.is_discarded()) << json_path << " is not valid JSON";
  ASSERT_TRUE(fixture->doc.contains("n_vocab") && fixture->doc["n_vocab"].is_number_integer());
  fixture->n_vocab = fixture->doc["n_vocab"].get<int64_t>();
  ASSERT_GT(fixture->n_vocab, 0);
  ASSERT_TRUE(fixture->doc.contains("cases") && fixture->doc["cases"].is_array());
  ASSERT_FALSE(fixture->doc["cases"].empty());

  const std::string logits_path = kParityDir + (logits_name.empty() ? name + ".logits.f32" : logits_name);
  std::ifstream logits_in(logits_path, std::ios::binary);
  ASSERT_TRUE(logits_in.good()) << "parity fixture missing: " << logits_path << kHowToMake;
  const auto n_bytes = std::filesystem::file_size(logits_path);
  ASSERT_EQ(n_bytes % sizeof(float), 0u) << logits_path;
  fixture->logits.resize(n_bytes / sizeof(float));
  logits_in.read(reinterpret_cast<char*>(fixture->logits.data()), static_cast<std::streamsize>(n_bytes));
  ASSERT_TRUE(logits_in.good()) << "short read of " << logits_path;
}

std::unique_ptr<LlamaModel> load_model(const std::string& path) {
  auto model = LlamaModel::load(path);
  EXPECT_TRUE(model.ok()) << "parity model " << path << ": " << model.status().to_string() << kHowToMake;
  return model.ok() ? std::move(model).value() : nullptr;
}

// reference: the logits file, by default HF's (<name>.logits.f32).
void check_logits(const std::string& name, const std::string& type, tensor::DType kv_dtype,
                  double bound, const std::string& reference = "") {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(load_fixture(name, &fixture, reference));
  auto model = load_model(kParityDir + name + "-" + type + ".gguf");
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->config().n_vocab, fixture.n_vocab);
  ThreadPool pool(2);
  for (const nlohmann::json& test_case : fixture.doc["cases"]) {
    const std::vector<int32_t> ids = test_case.at("ids").get<std::vector<int32_t>>();
    const auto offset = test_case.at("offset_floats").get<size_t>();
    const size_t n_floats = ids.size() * static_cast<size_t>(fixture.n_vocab);
    ASSERT_LE(offset + n_floats, fixture.logits.size()) << "logits file too short for a case";
    const std::span<const float> expected(fixture.logits.data() + offset, n_floats);

    // A small batch size so the longer cases also go through chunked prefill.
    InferContext ctx(*model, static_cast<int64_t>(ids.size()), pool, 16, kv_dtype);
    auto logits = ctx.eval(ids, /*all_logits=*/true);
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    const double error = testing::relative_l2_error(*logits, expected);
    EXPECT_LE(error, bound) << name << "-" << type << ", " << ids.size() << " tokens, KV "
                            << tensor::dtype_info(kv_dtype).name;
    ::testing::Test::RecordProperty(name + "_" + type + "_kv_" + std::string(tensor::dtype_info(kv_dtype).name) +
                                        "_" + std::to_string(ids.size()) + "_rel_l2",
                   ::testing::PrintToString(error));
  }
}

void check_greedy(const std::string& name) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(load_fixture(name, &fixture));
  ASSERT_TRUE(fixture.doc.contains("greedy") && fixture.doc["greedy"].is_array());
  ASSERT_FALSE(fixture.doc["greedy"].empty()) << name << " records no greedy continuations";
  auto model = load_model(kParityDir + name + "-f32.gguf");
  ASSERT_NE(model, nullptr);
  ThreadPool pool(2);
  for (const nlohmann::json& run : fixture.doc["greedy"]) {
    const std::vector<int32_t> prompt = run.at("prompt").get<std::vector<int32_t>>();
    const std::vector<int32_t> expected = run.at("generated").get<std::vector<int32_t>>();
    ASSERT_EQ(expected.size(), kGreedySteps);
    // Prefill, then one token at a time through the KV cache (HF recomputed
    // the whole sequence each step, so this also checks incremental decode).
    InferContext ctx(*model, static_cast<int64_t>(prompt.size() + kGreedySteps), pool);
    auto logits = ctx.eval(prompt);
    std::vector<int32_t> generated;
    while (generated.size() < kGreedySteps) {
      ASSERT_TRUE(logits.ok()) << logits.status().to_string();
      const auto best = std::max_element(logits->begin(), logits->end()) - logits->begin();
      generated.push_back(static_cast<int32_t>(best));
      if (generated.size() < kGreedySteps) logits = ctx.eval(std::span<const int32_t>(&generated.back(), 1));
    }
    EXPECT_EQ(generated, expected) << name << " greedy from a prompt of " << prompt.size() << " tokens";
  }
}

using tensor::DType;

TEST(ParityTest, LlamaF32LogitsExactKv) { check_logits("llama", "f32", DType::kF32, kF32ExactKvBound); }
TEST(ParityTest, LlamaF32Logits) { check_logits("llama", "f32", DType::kF16, kF32Bound); }
TEST(ParityTest, LlamaQ8_0Logits) { check_logits("llama", "q8_0", DType::kF16, kQ8_0Bound); }
TEST(ParityTest, LlamaQ8_0EngineLogits) {
  check_logits("llama", "q8_0", DType::kF16, kQ8_0EngineBound, "llama-q8_0.logits.f32");
}
TEST(ParityTest, LlamaGreedy) { check_greedy("llama"); }
TEST(ParityTest, LlamaInit002Q8_0Logits) {
  check_logits("llama-init002", "q8_0", DType::kF16, kQ8_0InitScaleBound);
}
TEST(ParityTest, Qwen2F32LogitsExactKv) { check_logits("qwen2", "f32", DType::kF32, kF32ExactKvBound); }
TEST(ParityTest, Qwen2F32Logits) { check_logits("qwen2", "f32", DType::kF16, kF32Bound); }
TEST(ParityTest, Qwen2Q8_0Logits) { check_logits("qwen2", "q8_0", DType::kF16, kQ8_0Bound); }
TEST(ParityTest, Qwen2Q8_0EngineLogits) {
  check_logits("qwen2", "q8_0", DType::kF16, kQ8_0EngineBound, "qwen2-q8_0.logits.f32");
}
TEST(ParityTest, Qwen2Greedy) { check_greedy("qwen2"); }

// The families added with the model-family registry, with the same bounds
// (their q8_0 weights alone move the logits by about as much as llama's and
// qwen2's: gguf_q8_0_numpy_vs_hf_max_abs 0.29 .. 0.59 on logits of 16 .. 31).
class FamilyParityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FamilyParityTest, F32LogitsExactKv) { check_logits(GetParam(), "f32", DType::kF32, kF32ExactKvBound); }
TEST_P(FamilyParityTest, F32Logits) { check_logits(GetParam(), "f32", DType::kF16, kF32Bound); }
TEST_P(FamilyParityTest, Q8_0Logits) { check_logits(GetParam(), "q8_0", DType::kF16, kQ8_0Bound); }
// qwen3moe against its own q8_0 reference: routing is discontinuous. In the
// 16-token case, token 7's second and third experts of layer 0 are 0.06 apart
// in router logits (of spread ~8) with the q8_0 weights (0.14 with f32): the
// engine's 8-bit activations swap them where the float64 reference does not
// (measured 4.1e-2 over the case; the other cases 1e-2 .. 2e-2). The hot router
// keeps the swapped expert's weight small, so the bound against HF (5e-2)
// still holds, and that bound is the one this family is held to here too.
constexpr double kQ8_0MoeEngineBound = kQ8_0Bound;

TEST_P(FamilyParityTest, Q8_0EngineLogits) {
  const bool moe = std::string(GetParam()) == "qwen3moe";
  check_logits(GetParam(), "q8_0", DType::kF16, moe ? kQ8_0MoeEngineBound : kQ8_0EngineBound,
               std::string(GetParam()) + "-q8_0.logits.f32");
}
// Prefill, then 32 tokens one at a time through the KV cache; gemma2's and
// gemma3's sequences outgrow their window of 8, so the windowed layers skip cached rows.
TEST_P(FamilyParityTest, Greedy) { check_greedy(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Families, FamilyParityTest,
                         ::testing::Values("qwen3", "mistral", "gemma3", "phi3", "qwen3moe", "gemma2"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace hearth::infer

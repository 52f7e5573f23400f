// WhisperEngine behind infer::Engine: capability, queue, results through callbacks, drain. No
// timing: futures and a gate the test opens.
#include "media/whisper_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <future>

#include "whisper_test_model.h"

namespace hearth::media {
namespace {

std::unique_ptr<WhisperModel> small_model(const std::string& name) {
  model::WhisperConfig c = testing::tiny_parity_config();
  c.n_embd = 32;
  c.n_head = 2;
  c.n_ff = 64;
  c.n_enc_layer = 1;
  c.n_dec_layer = 1;
  c.n_text_ctx = 16;
  const std::string path = testing::unique_temp_path("hearth_whisper_engine_" + name);
  EXPECT_TRUE(testing::write_deterministic_whisper(path, c).ok());
  auto m = WhisperModel::load(path);
  std::filesystem::remove(path);  // the mapping stays valid
  EXPECT_TRUE(m.ok());
  return m.ok() ? std::move(m).value() : nullptr;
}

infer::TranscribeRequest request(double seconds) {
  infer::TranscribeRequest r;
  r.samples.resize(static_cast<size_t>(seconds * 16000));
  for (size_t t = 0; t < r.samples.size(); ++t) r.samples[t] = 0.2f * static_cast<float>(std::sin(0.05 * t));
  r.options.language = "en";
  r.options.temperatures = {0.0f};
  r.options.no_speech_threshold = 2.0;
  return r;
}

TEST(WhisperEngine, TranscribesThroughTheEngineInterface) {
  auto engine = WhisperEngine::create(small_model("basic"), {.n_threads = 2, .max_queue = 4});
  ASSERT_TRUE(engine.ok());
  infer::Engine& e = **engine;
  EXPECT_TRUE(model::has_capability(e.capabilities(), model::Capability::kTranscribe));
  EXPECT_FALSE(model::has_capability(e.capabilities(), model::Capability::kGenerate));
  EXPECT_EQ(e.n_ctx(), 16);
  EXPECT_GT(e.memory().weights_bytes, 0);
  EXPECT_GT(e.memory().cache_bytes, 0);
  std::promise<Result<infer::Transcript>> done;
  ASSERT_TRUE(e.transcribe(request(2.0), [&](Result<infer::Transcript> r) { done.set_value(std::move(r)); }).ok());
  Result<infer::Transcript> r = done.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->language, "en");
  EXPECT_EQ(r->n_windows, 1);
  EXPECT_EQ(e.drain(1000, "test over"), 0);
  EXPECT_EQ(e.transcribe(request(1.0), [](Result<infer::Transcript>) {}).code(), ErrorCode::kUnavailable);
}

TEST(WhisperEngine, RefusesEmptyAudioAFullQueueAndOtherCapabilities) {
  auto engine = WhisperEngine::create(small_model("refuse"), {.n_threads = 1, .max_queue = 1});
  ASSERT_TRUE(engine.ok());
  infer::Engine& e = **engine;
  EXPECT_EQ(e.transcribe(infer::TranscribeRequest{}, [](Result<infer::Transcript>) {}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.embed(infer::EmbedRequest{}, [](Result<infer::EmbedResult>) {}).code(), ErrorCode::kFailedPrecondition);
  // Hold the engine thread inside the first job's first segment until the queue is full.
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::promise<void> started;
  infer::TranscribeRequest first = request(2.0);
  auto first_segment = std::make_shared<bool>(true);
  first.options.on_segment = [&, open, first_segment](const infer::TranscriptSegment&) {
    if (*first_segment) started.set_value();  // a window may have several segments
    *first_segment = false;
    open.wait();
  };
  std::promise<Result<infer::Transcript>> first_done, second_done;
  ASSERT_TRUE(e.transcribe(std::move(first), [&](Result<infer::Transcript> r) { first_done.set_value(std::move(r)); }).ok());
  started.get_future().wait();
  ASSERT_TRUE(e.transcribe(request(1.0), [&](Result<infer::Transcript> r) { second_done.set_value(std::move(r)); }).ok());
  EXPECT_EQ(e.stats().n_running, 1);
  EXPECT_EQ(e.stats().n_waiting, 1);
  EXPECT_EQ(e.transcribe(request(1.0), [](Result<infer::Transcript>) {}).code(), ErrorCode::kResourceExhausted);
  gate.set_value();
  EXPECT_TRUE(first_done.get_future().get().ok());
  EXPECT_TRUE(second_done.get_future().get().ok());
}

TEST(WhisperEngine, DrainCancelsWhatIsQueuedAndTheRunningJob) {
  auto engine = WhisperEngine::create(small_model("drain"), {.n_threads = 1, .max_queue = 4});
  ASSERT_TRUE(engine.ok());
  infer::Engine& e = **engine;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::promise<void> started;
  infer::TranscribeRequest first = request(35.0);  // two windows: the second sees the cancel flag
  auto first_segment = std::make_shared<bool>(true);
  first.options.on_segment = [&, open, first_segment](const infer::TranscriptSegment&) {
    if (*first_segment) started.set_value();  // a window may have several segments
    *first_segment = false;
    open.wait();
  };
  std::promise<Result<infer::Transcript>> first_done, second_done;
  ASSERT_TRUE(e.transcribe(std::move(first), [&](Result<infer::Transcript> r) { first_done.set_value(std::move(r)); }).ok());
  started.get_future().wait();
  ASSERT_TRUE(e.transcribe(request(1.0), [&](Result<infer::Transcript> r) { second_done.set_value(std::move(r)); }).ok());
  auto drained = std::async(std::launch::async, [&] { return e.drain(0, "going away"); });
  // The queued job is failed at once, before the running one is released.
  Result<infer::Transcript> second = second_done.get_future().get();
  EXPECT_EQ(second.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(second.status().message(), "going away");
  gate.set_value();
  EXPECT_EQ(first_done.get_future().get().status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(drained.get(), 2);
}

}  // namespace
}  // namespace hearth::media

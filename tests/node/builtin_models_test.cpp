// Built-in models (node/builtin_models.h) in the model manager: found from
// Debian's tesseract-ocr-eng and espeak-ng-data, listed beside the files with
// their capability and estimate, loaded on demand within the budget, kept
// across rescans, and never shadowed by a model file of the same id.
#include "node/builtin_models.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/thread_pool.h"
#include "cli/synth.h"
#include "model/shape_catalog.h"
#include "node/model_manager.h"

namespace hearth::node {
namespace {

namespace fs = std::filesystem;

class BuiltinModelsTest : public ::testing::Test {
 protected:
  static fs::path dir() {
    return fs::temp_directory_path() / ("hearth_builtin_models_test_" + std::to_string(::getpid()));
  }
  static void SetUpTestSuite() {
    fs::create_directories(dir());
    ThreadPool pool(1);
    cli::SynthOptions synth;
    synth.shape = model::find_shape("tiny");
    ASSERT_NE(synth.shape, nullptr);
    synth.file_type = model::FileType::kQ8_0;
    synth.out_path = (dir() / "tiny.gguf").string();
    const Status written = cli::synthesize_model(synth, pool, nullptr);
    ASSERT_TRUE(written.ok()) << written.to_string();
  }
  static void TearDownTestSuite() { fs::remove_all(dir()); }

  ModelManagerOptions options(int64_t budget_bytes) {
    ModelManagerOptions out;
    out.load.n_ctx = 256;
    out.load.scheduler.max_seqs = 1;
    out.load.scheduler.n_threads = 1;
    out.budget_bytes = budget_bytes;
    out.load_wait_ms = 0;
    out.builtin_models = find_builtin_models(BuiltinModelOptions{});
    out.load.notice = [this](const std::string& line) { notices_.push_back(line); };
    return out;
  }

  std::vector<std::string> notices_;
};

TEST_F(BuiltinModelsTest, FindsTesseractAndEspeakWhereTheirDataIsInstalled) {
  const std::vector<BuiltinModel> models = find_builtin_models(BuiltinModelOptions{});
  std::vector<std::string> ids;
  for (const BuiltinModel& model : models) ids.push_back(model.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "tesseract-eng"), ids.end())
      << "scripts/setup installs tesseract-ocr-eng";
  EXPECT_NE(std::find(ids.begin(), ids.end(), "espeak-ng"), ids.end()) << "scripts/setup installs espeak-ng-data";
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const BuiltinModel& model : models) {
    EXPECT_GT(model.estimate.total_bytes(), 0) << model.id;
    EXPECT_TRUE(fs::exists(model.source)) << model.source;
  }
}

TEST_F(BuiltinModelsTest, ServedBesideTheFilesAndLoadedOnDemand) {
  const fs::path models = dir() / "served";
  fs::create_directories(models);
  fs::create_symlink(dir() / "tiny.gguf", models / "tiny.gguf");
  fs::create_symlink(dir() / "tiny.gguf", models / "espeak-ng.gguf");  // a file with a built-in's id
  auto manager = ModelManager::create_for_dir(models.string(), options(int64_t{1} << 40));
  ASSERT_TRUE(manager.ok()) << manager.status().to_string();
  bool told = false;
  for (const std::string& line : notices_)
    told = told || line.find("espeak-ng.gguf is not served") != std::string::npos;
  EXPECT_TRUE(told) << "the shadowed file is named at start";

  const std::optional<ModelInfo> speech = (*manager)->info("espeak-ng");
  ASSERT_TRUE(speech.has_value());
  EXPECT_EQ(speech->capabilities, model::capability_bit(model::Capability::kSpeak));
  EXPECT_TRUE(speech->path.ends_with("espeak-ng-data")) << speech->path;
  EXPECT_FALSE(speech->resident);
  const std::optional<ModelInfo> ocr = (*manager)->info("tesseract-eng");
  ASSERT_TRUE(ocr.has_value());
  EXPECT_EQ(ocr->capabilities, model::capability_bit(model::Capability::kOcr));
  EXPECT_GT(ocr->plan.weights_bytes, 0);
  EXPECT_GT(ocr->plan.scratch_bytes, 0);
  EXPECT_EQ(ocr->plan.kv_bytes, 0);

  {
    auto lease = (*manager)->acquire("tesseract-eng", std::nullopt);
    ASSERT_TRUE(lease.ok()) << lease.status().to_string();
    EXPECT_TRUE(model::has_capability((*lease)->engine->capabilities(), model::Capability::kOcr));
    const ModelInfo loaded = *(*manager)->info("tesseract-eng");
    EXPECT_TRUE(loaded.resident);
    ASSERT_TRUE(loaded.memory.has_value());
    EXPECT_LE(loaded.memory->total_bytes(), loaded.plan.total_bytes());
    EXPECT_EQ((*manager)->committed_bytes(), loaded.plan.total_bytes());
  }
  // A rescan keeps them: they have no file in the directory.
  fs::remove(models / "espeak-ng.gguf");
  ASSERT_TRUE((*manager)->rescan().ok());
  EXPECT_TRUE((*manager)->contains("tesseract-eng"));
  EXPECT_TRUE((*manager)->contains("espeak-ng"));
  EXPECT_TRUE((*manager)->contains("tiny"));
  fs::remove_all(models);
}

TEST_F(BuiltinModelsTest, TheBudgetCountsThemAndExplicitFilesMayNotTakeTheirIds) {
  auto small = ModelManager::create({}, options(int64_t{1} << 20));
  ASSERT_TRUE(small.ok()) << small.status().to_string();
  auto refused = (*small)->acquire("tesseract-eng", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("built-in model 'tesseract-eng' needs"), std::string::npos)
      << refused.status().message();

  const fs::path renamed = dir() / "tesseract-eng.gguf";
  fs::copy_file(dir() / "tiny.gguf", renamed, fs::copy_options::overwrite_existing);
  const std::vector<std::string> paths = {renamed.string()};
  auto clash = ModelManager::create(paths, options(int64_t{1} << 40));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), ErrorCode::kInvalidArgument);
  fs::remove(renamed);
}

}  // namespace
}  // namespace hearth::node

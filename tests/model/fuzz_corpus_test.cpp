// The committed fuzz seed corpus stays meaningful: valid_* seeds parse (and
// the model seeds bind), truncated_* seeds fail cleanly.
#include <gtest/gtest.h>

#include <filesystem>

#include "llama_test_model.h"
#include "model/gguf.h"
#include "model/llama_arch.h"

namespace hearth::model {
namespace {

TEST(FuzzCorpus, SeedsParseAsTheirNamesSay) {
  const std::filesystem::path dir = HEARTH_FUZZ_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int n_valid = 0;
  int n_truncated = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = test::read_file_bytes(entry.path().string());
    Result<GgufFile> file = GgufFile::parse(bytes);
    if (name.starts_with("valid_")) {
      ++n_valid;
      ASSERT_TRUE(file.ok()) << file.status().to_string();
      if (file->find("general.architecture") != nullptr && name.find("model") != std::string::npos) {
        Result<LlamaConfig> config = read_llama_config(file.value());
        ASSERT_TRUE(config.ok()) << config.status().to_string();
        Result<LlamaWeights> weights = bind_llama_weights(file.value(), config.value());
        EXPECT_TRUE(weights.ok()) << weights.status().to_string();
      }
    } else if (name.starts_with("truncated_")) {
      ++n_truncated;
      ASSERT_FALSE(file.ok());
      EXPECT_EQ(file.status().code(), ErrorCode::kDataLoss) << file.status().to_string();
    }
  }
  EXPECT_GE(n_valid, 3);
  EXPECT_GE(n_truncated, 3);
}

}  // namespace
}  // namespace hearth::model

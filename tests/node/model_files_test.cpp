// Which files a models directory serves, and the ids they get.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "node/model_files.h"

namespace hearth::node {
namespace {

namespace fs = std::filesystem;

class ModelFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hearth_model_files_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }

  fs::path dir_;
};

TEST_F(ModelFilesTest, ListsGgufFilesSortedAndSkipsTheRest) {
  touch("b.gguf");
  touch("a.gguf");
  touch("notes.txt");
  touch("model.gguf.part");
  touch(".gguf");
  fs::create_directories(dir_ / "dir.gguf");
  fs::create_symlink(dir_ / "a.gguf", dir_ / "link.gguf");
  fs::create_symlink(dir_ / "gone", dir_ / "dangling.gguf");
  auto files = find_model_files(dir_.string());
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0], (dir_ / "a.gguf").string());
  EXPECT_EQ((*files)[1], (dir_ / "b.gguf").string());
  EXPECT_EQ((*files)[2], (dir_ / "link.gguf").string());
}

TEST_F(ModelFilesTest, EmptyOrMissingDirectoryIsNotFound) {
  auto empty = find_model_files(dir_.string());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(empty.status().message().find(dir_.string()), std::string::npos);
  auto missing = find_model_files((dir_ / "absent").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  touch("file");
  EXPECT_EQ(find_model_files((dir_ / "file").string()).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ModelIdTest, FileNameWithoutGguf) {
  EXPECT_EQ(model_id_from_path("/m/qwen2.5-0.5b.gguf"), "qwen2.5-0.5b");
  EXPECT_EQ(model_id_from_path("tiny.gguf"), "tiny");
  EXPECT_EQ(model_id_from_path("/m/x.bin"), "x.bin");
  EXPECT_EQ(model_id_from_path("/m/a.gguf.gguf"), "a.gguf");
}

}  // namespace
}  // namespace hearth::node

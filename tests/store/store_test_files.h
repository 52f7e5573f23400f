// Temp dirs and small valid GGUF files for the store tests (hermetic: every
// file lives under one temp dir that TearDown removes).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "llama_test_model.h"
#include "model/gguf_writer.h"

namespace hearth::store::test {

namespace fs = std::filesystem;

class StoreFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = model::test::temp_path("store_test");
    fs::create_directories(root_ + "/nas");
    models_dir_ = root_ + "/models";
  }
  void TearDown() override { fs::remove_all(root_); }

  // A valid tiny llama GGUF at <root>/nas/<file_name>; `seed` varies its bytes.
  std::string write_model(const std::string& file_name, uint64_t seed) {
    const model::LlamaConfig config = model::test::tiny_config("llama");
    model::GgufWriter writer;
    model::test::add_llama_keys(writer, config);
    model::test::add_tensors(writer, model::test::llama_tensor_specs(config, tensor::DType::kF32), seed);
    const std::string path = root_ + "/nas/" + file_name;
    const Status written = writer.write(path);
    EXPECT_TRUE(written.ok()) << written.to_string();
    return path;
  }

  static void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  static bool exists(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
  }

  // Entries of a directory (empty when it does not exist).
  static std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string root_;
  std::string models_dir_;
};

}  // namespace hearth::store::test

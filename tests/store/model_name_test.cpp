// Model names: what a pull may create, what list/rm may reach, defaults from sources.
#include <gtest/gtest.h>

#include "store/model_name.h"

namespace hearth::store {
namespace {

TEST(ModelNameTest, AcceptsOrdinaryNames) {
  for (const char* name : {"qwen2.5-0.5b", "Llama-3.2-1B-Instruct-Q4_K_M", "smollm_135m", "a", "x+y", "_private"}) {
    EXPECT_TRUE(validate_new_model_name(name).ok()) << name;
  }
}

TEST(ModelNameTest, RefusesUnsafeNewNames) {
  for (const char* name : {"", ".hidden", "-flag", "a/b", "../up", "a..b", "sp ace", "tab\t", "new\nline", "colon:x",
                           "back\\slash", "star*", "é"}) {
    const Status status = validate_new_model_name(name);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_FALSE(validate_new_model_name(std::string(201, 'a')).ok());
  EXPECT_TRUE(validate_new_model_name(std::string(200, 'a')).ok());
}

TEST(ModelNameTest, ExistingNamesOnlyNeedToStayInTheDirectory) {
  EXPECT_TRUE(validate_existing_model_name("My Model (copy)").ok());
  for (const char* name : {"", ".", "..", ".hidden", "a/b", "/etc/passwd", "x\n"}) {
    EXPECT_FALSE(validate_existing_model_name(name).ok()) << name;
  }
  EXPECT_FALSE(validate_existing_model_name(std::string(251, 'a')).ok());
}

TEST(ModelNameTest, DefaultNameFromTheSource) {
  EXPECT_EQ(*model_name_from_source("/mnt/nas/models/qwen2.5-0.5b-q8_0.gguf", false), "qwen2.5-0.5b-q8_0");
  EXPECT_EQ(*model_name_from_source("tiny.GGUF", false), "tiny");
  EXPECT_EQ(*model_name_from_source("/models/tiny.bin", false), "tiny.bin");
  EXPECT_EQ(*model_name_from_source("/repo/resolve/main/model%2Bx.gguf?download=true#frag", true), "model+x");
  const Result<std::string> hidden = model_name_from_source("/models/.gguf", false);
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.status().message().find("--name"), std::string::npos);
  EXPECT_FALSE(model_name_from_source("/", true).ok());
  EXPECT_FALSE(model_name_from_source("/a/%2e%2e.gguf", true).ok());  // ".." decoded
  EXPECT_FALSE(model_name_from_source("/a/x%2Fy.gguf", true).ok());   // '/' decoded
}

}  // namespace
}  // namespace hearth::store

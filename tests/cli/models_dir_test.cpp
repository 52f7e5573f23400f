// The models directory's resolution order: flag, $HEARTH_MODELS, $HOME.
#include "cli/models_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace hearth::cli {
namespace {

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ModelsDirTest, FlagThenEnvironmentThenHome) {
  ScopedEnv home("HOME", "/home/shop");
  {
    ScopedEnv models("HEARTH_MODELS", "/srv/models");
    EXPECT_EQ(*resolve_models_dir("/flag/dir"), "/flag/dir");
    EXPECT_EQ(*resolve_models_dir(""), "/srv/models");
  }
  ScopedEnv no_models("HEARTH_MODELS", nullptr);
  EXPECT_EQ(*resolve_models_dir(""), "/home/shop/.local/share/hearth/models");
  ScopedEnv empty_models("HEARTH_MODELS", "");  // set but empty counts as unset
  EXPECT_EQ(*resolve_models_dir(""), "/home/shop/.local/share/hearth/models");
}

TEST(ModelsDirTest, NoHomeIsAPlainError) {
  ScopedEnv no_home("HOME", nullptr);
  ScopedEnv no_models("HEARTH_MODELS", nullptr);
  const Result<std::string> dir = resolve_models_dir("");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("--models-dir"), std::string::npos);
  EXPECT_EQ(*resolve_models_dir("/flag"), "/flag");
}

}  // namespace
}  // namespace hearth::cli

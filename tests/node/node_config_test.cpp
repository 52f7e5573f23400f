// The TOML config: models_dir, the model manager's settings, and FILE:LINE errors for everything else.
#include "node/node_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace hearth::node {
namespace {

TEST(NodeConfigTest, EmptyFileIsAnEmptyConfig) {
  auto config = parse_node_config("", "/etc/hearth.toml", "/home/a");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_FALSE(config->models_dir);
  EXPECT_TRUE(parse_node_config("# only a comment\n", "/etc/hearth.toml", "/home/a").ok());
}

TEST(NodeConfigTest, AbsoluteModelsDir) {
  auto config = parse_node_config("models_dir = \"/srv/models\"\n", "/etc/hearth.toml", "/home/a");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->models_dir, "/srv/models");
}

TEST(NodeConfigTest, RelativeModelsDirIsBesideTheFile) {
  auto config = parse_node_config("models_dir = \"models/../llm\"\n", "/etc/hearth/hearth.toml", "/home/a");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->models_dir, "/etc/hearth/llm");
}

TEST(NodeConfigTest, TildeIsHome) {
  auto config = parse_node_config("models_dir = \"~/models\"\n", "/etc/hearth.toml", "/home/a");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->models_dir, "/home/a/models");
  auto no_home = parse_node_config("models_dir = \"~/models\"\n", "/etc/hearth.toml", "");
  ASSERT_FALSE(no_home.ok());
  EXPECT_NE(no_home.status().message().find("HOME"), std::string::npos);
}

TEST(NodeConfigTest, PullFromIsADirectoryOrAnHttpUrl) {
  auto dir = parse_node_config("pull_from = \"nas\"\n", "/etc/hearth/hearth.toml", "/home/a");
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  EXPECT_EQ(dir->pull_from, "/etc/hearth/nas");
  auto url = parse_node_config("pull_from = \"https://nas.lan/models\"\n", "/etc/hearth.toml", "/home/a");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->pull_from, "https://nas.lan/models");
  auto empty = parse_node_config("pull_from = \"\"\n", "/etc/hearth.toml", "/home/a");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("pull_from"), std::string::npos);
  EXPECT_FALSE(parse_node_config("pull_from = 3\n", "/etc/hearth.toml", "/home/a").ok());
}

TEST(NodeConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto config = parse_node_config("models_dir = \"/m\"\n\nmodel_dir = \"/typo\"\n", "/etc/hearth.toml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(config.status().message().rfind("/etc/hearth.toml:3: ", 0), 0u) << config.status().message();
  EXPECT_NE(config.status().message().find("model_dir"), std::string::npos);
}

TEST(NodeConfigTest, UnknownTableIsAnError) {
  auto config = parse_node_config("[server]\nport = 1\n", "c.toml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.toml:1: ", 0), 0u) << config.status().message();
}

TEST(NodeConfigTest, WrongTypeNamesTheLine) {
  auto config = parse_node_config("\nmodels_dir = 42\n", "c.toml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.toml:2: models_dir must be a string", 0), 0u)
      << config.status().message();
  auto empty = parse_node_config("models_dir = \"\"\n", "c.toml", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
}

TEST(NodeConfigTest, SyntaxErrorNamesTheLine) {
  auto config = parse_node_config("# hearth\nmodels_dir = \"/m\"\nthis is not toml\n", "c.toml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.toml:3: ", 0), 0u) << config.status().message();
  auto duplicate = parse_node_config("models_dir = \"/a\"\nmodels_dir = \"/b\"\n", "c.toml", "");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().message().rfind("c.toml:2: ", 0), 0u) << duplicate.status().message();
}

TEST(NodeConfigTest, LoadsAFileAndReportsAMissingOne) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "hearth_node_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "hearth.toml").string();
  {
    std::ofstream file(path);
    file << "models_dir = \"m\"\n";
  }
  auto config = load_node_config(path, "");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->models_dir, (dir / "m").string());
  auto missing = load_node_config((dir / "absent.toml").string(), "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kIo);
  std::filesystem::remove_all(dir);
}

TEST(NodeConfigTest, ModelManagerSettings) {
  auto config = parse_node_config(
      "memory_budget = \"20GiB\"\nkeep_alive = \"30m\"\nload_wait = 5\n"
      "[models.\"qwen2.5-7b\"]\npinned = true\nkeep_alive = \"-1\"\n[models.small]\nkeep_alive = 0\n",
      "c.toml", "");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->memory_budget_bytes, int64_t{20} << 30);
  EXPECT_EQ(config->keep_alive_ms, 30 * 60 * 1000);
  EXPECT_EQ(config->load_wait_ms, 5000);
  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_TRUE(config->models.at("qwen2.5-7b").pinned);
  EXPECT_EQ(config->models.at("qwen2.5-7b").keep_alive_ms, -1);
  EXPECT_FALSE(config->models.at("small").pinned);
  EXPECT_EQ(config->models.at("small").keep_alive_ms, 0);
  auto bytes = parse_node_config("memory_budget = 1073741824\n", "c.toml", "");
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_EQ(bytes->memory_budget_bytes, int64_t{1} << 30);
}

TEST(NodeConfigTest, BatchWindowsAndIdleAreKeptAsWritten) {
  auto config = parse_node_config("batch_windows = [\"22:00-06:00\", \"12:00-13:00\"]\nbatch_idle = \"10m\"\n",
                                  "c.toml", "");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  ASSERT_TRUE(config->batch_windows.has_value());
  EXPECT_EQ(*config->batch_windows, (std::vector<std::string>{"22:00-06:00", "12:00-13:00"}));
  EXPECT_EQ(config->batch_idle, "10m");
}

TEST(NodeConfigTest, BadManagerSettingsNameTheLine) {
  struct Case {
    const char* text;
    const char* prefix;
    const char* says;
  };
  for (const Case& bad : {
           Case{"memory_budget = \"lots\"\n", "c.toml:1: ", "is not a size"},
           Case{"memory_budget = -5\n", "c.toml:1: ", "positive"},
           Case{"\nkeep_alive = \"5 minutes\"\n", "c.toml:2: ", "is not a duration"},
           Case{"load_wait = \"-1\"\n", "c.toml:1: ", "negative"},
           Case{"[models.a]\npinned = \"yes\"\n", "c.toml:2: ", "true or false"},
           Case{"[models.a]\nmemory = 3\n", "c.toml:2: ", "unknown key 'memory'"},
           Case{"[models.qwen2.5]\npinned = true\n", "c.toml:", "quote an id"},
           Case{"models = 3\n", "c.toml:1: ", "table"},
           Case{"batch_windows = \"22:00-06:00\"\n", "c.toml:1: ", "array"},
           Case{"batch_windows = [1]\n", "c.toml:1: ", "strings"},
           Case{"batch_idle = 600\n", "c.toml:1: ", "duration"},
       }) {
    auto config = parse_node_config(bad.text, "c.toml", "");
    ASSERT_FALSE(config.ok()) << bad.text;
    EXPECT_EQ(config.status().message().rfind(bad.prefix, 0), 0u) << config.status().message();
    EXPECT_NE(config.status().message().find(bad.says), std::string::npos) << config.status().message();
  }
}

}  // namespace
}  // namespace hearth::node

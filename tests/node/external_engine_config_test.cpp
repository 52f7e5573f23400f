// External engines in hearth.toml: presets, the keys over them, command
// templates and the errors for what is wrong.
#include "node/external_engine_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "node/node_config.h"

namespace hearth::node {
namespace {

ExternalLaunch sample_launch() {
  ExternalLaunch launch;
  launch.file = "/srv/models/qwen.gguf";
  launch.id = "qwen";
  launch.port = 41234;
  launch.n_ctx = 8192;
  launch.n_parallel = 4;
  return launch;
}

TEST(ExternalEngineConfigTest, LlamaServerPresetExpands) {
  const ExternalEngineConfig config = external_engine_preset(ExternalEngineKind::kLlamaServer);
  auto argv = expand_external_command(config, sample_launch());
  ASSERT_TRUE(argv.ok()) << argv.status().to_string();
  const std::vector<std::string> expected = {
      "llama-server", "-m", "/srv/models/qwen.gguf", "--host", "127.0.0.1", "--port", "41234", "-c", "32768",
      "-np",          "4"};
  EXPECT_EQ(*argv, expected);
  EXPECT_EQ(config.ready_path, "/health");
  EXPECT_EQ(config.prompt_form, ExternalPromptForm::kTokens);
  EXPECT_GT(config.overhead_bytes, 0);
}

TEST(ExternalEngineConfigTest, MlxPresetUsesModelPathAndText) {
  ExternalEngineConfig config = external_engine_preset(ExternalEngineKind::kMlxLm);
  config.model_path = "/Users/shop/mlx/qwen-4bit";
  auto argv = expand_external_command(config, sample_launch());
  ASSERT_TRUE(argv.ok()) << argv.status().to_string();
  ASSERT_GE(argv->size(), 3u);
  EXPECT_EQ((*argv)[0], "mlx_lm.server");
  EXPECT_EQ((*argv)[2], "/Users/shop/mlx/qwen-4bit");
  EXPECT_EQ(config.prompt_form, ExternalPromptForm::kText);
  EXPECT_EQ(config.served_model, "default_model");
}

TEST(ExternalEngineConfigTest, GenericPresetNeedsACommand) {
  auto argv = expand_external_command(external_engine_preset(ExternalEngineKind::kOpenAiCompatible), sample_launch());
  ASSERT_FALSE(argv.ok());
  EXPECT_EQ(argv.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(argv.status().message().find("needs a command"), std::string::npos) << argv.status().message();
}

TEST(ExternalEngineConfigTest, PlaceholdersInsideArgumentsAndExtraArgs) {
  ExternalEngineConfig config = external_engine_preset(ExternalEngineKind::kOpenAiCompatible);
  config.command = split_command("  srv\t--listen={host}:{port}  --ctx {n_ctx} ");
  config.extra_args = {"--name", "model {id}"};
  auto argv = expand_external_command(config, sample_launch());
  ASSERT_TRUE(argv.ok()) << argv.status().to_string();
  const std::vector<std::string> expected = {"srv",       "--listen=127.0.0.1:41234", "--ctx", "8192", "--name",
                                             "model qwen"};
  EXPECT_EQ(*argv, expected);
}

TEST(ExternalEngineConfigTest, UnknownPlaceholderAndUnclosedBraceAreErrors) {
  ExternalEngineConfig config = external_engine_preset(ExternalEngineKind::kLlamaServer);
  config.extra_args = {"{gpu_layers}"};
  auto unknown = expand_external_command(config, sample_launch());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("{gpu_layers}"), std::string::npos) << unknown.status().message();
  config.extra_args = {"--x={port"};
  auto unclosed = expand_external_command(config, sample_launch());
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.status().message().find("without a '}'"), std::string::npos) << unclosed.status().message();
}

TEST(ExternalEngineConfigTest, KindNames) {
  for (ExternalEngineKind kind :
       {ExternalEngineKind::kLlamaServer, ExternalEngineKind::kMlxLm, ExternalEngineKind::kOpenAiCompatible}) {
    auto parsed = parse_external_engine_kind(external_engine_kind_name(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto unknown = parse_external_engine_kind("vllm");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("llama-server"), std::string::npos);
}

TEST(ExternalEngineConfigTest, ModelTableWithEngineKeys) {
  auto config = parse_node_config(
      "[models.\"qwen2.5-32b\"]\n"
      "engine = \"llama-server\"\n"
      "command = \"/opt/homebrew/bin/llama-server -m {file} --port {port} -c {ctx} -np {parallel}\"\n"
      "extra_args = [\"-ngl\", \"99\"]\n"
      "parallel = 2\n"
      "overhead = \"1GiB\"\n"
      "ready_timeout = \"10m\"\n"
      "keep_alive = \"1h\"\n",
      "/etc/hearth.toml", "");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  const ModelSettings& settings = config->models.at("qwen2.5-32b");
  ASSERT_TRUE(settings.external);
  EXPECT_EQ(settings.external->kind, ExternalEngineKind::kLlamaServer);
  EXPECT_EQ(settings.external->command.front(), "/opt/homebrew/bin/llama-server");
  EXPECT_EQ(settings.external->extra_args, (std::vector<std::string>{"-ngl", "99"}));
  EXPECT_EQ(settings.external->n_parallel, 2);
  EXPECT_EQ(settings.external->overhead_bytes, int64_t{1} << 30);
  EXPECT_EQ(settings.external->ready_timeout_ms, 600'000);
  EXPECT_EQ(settings.external->ready_path, "/health");  // from the preset
  EXPECT_EQ(settings.keep_alive_ms, 3'600'000);
}

TEST(ExternalEngineConfigTest, EngineHearthIsTheDefault) {
  auto config = parse_node_config("[models.m]\nengine = \"hearth\"\npinned = true\n", "c.toml", "");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_FALSE(config->models.at("m").external);
}

TEST(ExternalEngineConfigTest, WrongEngineKeysNameTheLine) {
  struct Case {
    const char* text;
    const char* expected;  // the message starts with this
  };
  const Case cases[] = {
      {"[models.m]\n\nengine = \"vllm\"\n", "c.toml:3: engine must be"},
      {"[models.m]\ncommand = \"x {port}\"\n", "c.toml:2: command applies to an external engine only"},
      {"[models.m]\nengine = \"mlx-lm\"\nprompt = \"ids\"\n", "c.toml:3: prompt must be"},
      {"[models.m]\nengine = \"llama-server\"\nparallel = 0\n", "c.toml:3: parallel must be"},
      {"[models.m]\nengine = \"llama-server\"\nextra_args = [\"-ngl\", 99]\n", "c.toml:3: extra_args must be"},
      {"[models.m]\nengine = \"llama-server\"\nextra_args = [\"{layers}\"]\n", "c.toml:1: the engine command"},
      {"[models.m]\nengine = \"openai-compatible\"\n", "c.toml:1: the openai-compatible engine needs a command"},
      {"[models.m]\nengine = \"llama-server\"\nready_path = \"health\"\n", "c.toml:1: ready_path must start"},
  };
  for (const Case& test_case : cases) {
    auto config = parse_node_config(test_case.text, "c.toml", "");
    ASSERT_FALSE(config.ok()) << test_case.text;
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(config.status().message().rfind(test_case.expected, 0), 0u)
        << test_case.text << " -> " << config.status().message();
  }
}

}  // namespace
}  // namespace hearth::node

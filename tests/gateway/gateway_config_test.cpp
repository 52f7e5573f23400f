// The gateway's sections of the config file: what they accept, and FILE:LINE
// errors for everything else, above all a policy that would let confidential
// data leave.
#include "gateway/gateway_config.h"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

constexpr std::string_view kNodeKeys[] = {"models_dir", "memory_budget"};

constexpr const char* kExample = R"(
models_dir = "/srv/models"

[gateway]
poll_interval = "500ms"
down_after = 2

[[nodes]]
name = "studio"
url = "http://10.0.0.2:8770"
api_key_env = "STUDIO_KEY"

[[aliases]]
name = "chat"
local = "qwen2.5-7b"
cloud = ["openai:gpt-4o-mini", "vllm:qwen-72b"]

[[providers]]
name = "openai"
kind = "openai"
api_key_env = "OPENAI_API_KEY"
input_usd_per_mtok = "0.15"
output_usd_per_mtok = "0.60"

[[providers]]
name = "vllm"
kind = "openai-compatible"
base_url = "http://gpu.example:8000/v1"

[policy]
default_class = "internal"
public = ["local", "openai", "vllm"]
internal = ["local", "vllm"]
confidential = ["local"]
)";

TEST(GatewayConfigTest, ReadsTheDocumentedShape) {
  auto config = parse_gateway_config(kExample, "gw.toml", kNodeKeys);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->settings.poll_interval_ms, 500);
  EXPECT_EQ(config->settings.down_after, 2);
  ASSERT_EQ(config->nodes.size(), 1u);
  EXPECT_EQ(config->nodes[0].url, "http://10.0.0.2:8770");
  ASSERT_EQ(config->providers.size(), 2u);
  EXPECT_EQ(config->providers[0].base_url, "https://api.openai.com/v1");  // the kind's default
  EXPECT_EQ(config->providers[0].input_udollars_per_mtok, 150'000);
  EXPECT_EQ(config->providers[0].output_udollars_per_mtok, 600'000);
  const ModelRoute* chat = config->find_alias("chat");
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->local, "qwen2.5-7b");
  ASSERT_EQ(chat->cloud.size(), 2u);
  EXPECT_EQ(chat->cloud[1].provider, "vllm");
  EXPECT_EQ(chat->cloud[1].model, "qwen-72b");
  EXPECT_EQ(config->policy.default_class, DataClass::kInternal);
  EXPECT_TRUE(config->allows(DataClass::kPublic, "openai"));
  EXPECT_FALSE(config->allows(DataClass::kInternal, "openai"));
  EXPECT_TRUE(config->allows(DataClass::kInternal, "vllm"));
  EXPECT_FALSE(config->allows(DataClass::kConfidential, "vllm"));
  EXPECT_TRUE(config->allows(DataClass::kConfidential, "local"));
}

// One URL parser: what `hearth models pull` accepts, a node url accepts too
// (schemes and hosts in any letter case, https, a trailing slash).
TEST(GatewayConfigTest, NodeAndProviderUrlsAreReadAsThePullReadsThem) {
  const std::string text =
      "[[nodes]]\nname = \"studio\"\nurl = \"HTTPS://Studio.local:8770\"\n"
      "[[providers]]\nname = \"vllm\"\nkind = \"openai-compatible\"\nbase_url = \"Http://gpu.example:8000/v1/\"\n";
  auto config = parse_gateway_config(text, "gw.toml", kNodeKeys);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->nodes[0].url, "HTTPS://Studio.local:8770");
}

TEST(GatewayConfigTest, WithoutAPolicyNothingLeavesAndRequestsAreConfidential) {
  auto config = parse_gateway_config("[[providers]]\nname = \"openai\"\nkind = \"openai\"\n", "gw.toml", {});
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->policy.default_class, DataClass::kConfidential);
  for (DataClass data_class : {DataClass::kPublic, DataClass::kInternal, DataClass::kConfidential}) {
    EXPECT_FALSE(config->allows(data_class, "openai"));
    EXPECT_TRUE(config->allows(data_class, "local"));
  }
}

TEST(GatewayConfigTest, ErrorsNameTheLine) {
  struct Case {
    std::string text;
    std::string prefix;
    std::string says;
  };
  const std::string openai = "[[providers]]\nname = \"openai\"\nkind = \"openai\"\n";
  for (const Case& bad : {
           Case{openai + "[policy]\nconfidential = [\"local\", \"openai\"]\n", "gw.toml:5: ", "never leaves"},
           Case{openai + "[policy]\npublic = [\"elsewhere\"]\n", "gw.toml:5: ", "'elsewhere'"},
           Case{openai + "[policy]\ndefault_class = \"secret\"\n", "gw.toml:5: ", "default_class"},
           Case{"[[aliases]]\nname = \"chat\"\ncloud = [\"nowhere:gpt\"]\n", "gw.toml:1: ", "'nowhere'"},
           Case{"[[aliases]]\nname = \"chat\"\ncloud = [\"gpt\"]\n", "gw.toml:1: ", "provider:model"},
           Case{"[[aliases]]\nname = \"chat\"\n", "gw.toml:1: ", "neither local nor cloud"},
           Case{"[[nodes]]\nname = \"a\"\nurl = \"ftp://x\"\n", "gw.toml:1: ", "not a usable http(s) base URL"},
           Case{"[[nodes]]\nname = \"a\"\nurl = \"http://x:1?y=2\"\n", "gw.toml:1: ", "has a query"},
           Case{"[[nodes]]\nname = \"a\"\nurl = \"http://x:99999\"\n", "gw.toml:1: ", "port out of range"},
           Case{"[[nodes]]\nname = \"a\"\nurl = \"http://x:1\"\n[[nodes]]\nname = \"a\"\nurl = \"http://y:1\"\n",
                "gw.toml:4: ", "two nodes"},
           Case{"[[nodes]]\nurl = \"http://x:1\"\n", "gw.toml:1: ", "needs 'name'"},
           Case{"[[providers]]\nname = \"p\"\nkind = \"gemini\"\n", "gw.toml:1: ", "not supported"},
           Case{"[[providers]]\nname = \"p\"\nkind = \"openai-compatible\"\n", "gw.toml:1: ", "needs base_url"},
           Case{openai + "input_usd_per_mtok = 0.15\n", "gw.toml:4: ", "exact"},
           Case{"[gateway]\npoll_interval = \"soon\"\n", "gw.toml:2: ", "is not a duration"},
           Case{"[gateway]\nfrequency = 3\n", "gw.toml:2: ", "unknown key 'frequency'"},
           Case{"nodes = 3\n", "gw.toml:1: ", "[[nodes]]"},
           Case{"colour = \"blue\"\n", "gw.toml:1: ", "unknown key 'colour'"},
           Case{"this is not toml\n", "gw.toml:1: ", ""},
       }) {
    auto config = parse_gateway_config(bad.text, "gw.toml", kNodeKeys);
    ASSERT_FALSE(config.ok()) << bad.text;
    EXPECT_EQ(config.status().message().rfind(bad.prefix, 0), 0u) << config.status().message();
    EXPECT_NE(config.status().message().find(bad.says), std::string::npos) << config.status().message();
  }
}

TEST(GatewayConfigTest, TheNodesKeysAreLeftToTheNode) {
  EXPECT_TRUE(parse_gateway_config("models_dir = \"/m\"\nmemory_budget = \"2GiB\"\n", "gw.toml", kNodeKeys).ok());
  EXPECT_FALSE(parse_gateway_config("models_dir = \"/m\"\n", "gw.toml", {}).ok());
}

}  // namespace
}  // namespace hearth::gateway

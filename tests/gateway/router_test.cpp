// The router's decisions, and a property test: over thousands of random
// configurations, fleet states and requests, no confidential request is ever
// given a cloud target, and no request a provider its class may not reach.
#include "gateway/router.h"

#include <gtest/gtest.h>

#include <random>

namespace hearth::gateway {
namespace {

NodeModelStatus model_status(std::string id, bool resident, double prefill_tps, int32_t waiting = 0) {
  NodeModelStatus model;
  model.id = std::move(id);
  model.resident = resident;
  model.prefill_tps = prefill_tps;
  model.waiting = waiting;
  model.load_ms = 500;
  return model;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    config_.nodes = {{"studio", "http://studio:8770", ""}, {"mini", "http://mini:8770", ""}};
    config_.providers = {{"openai", ProviderKind::kOpenAi, "https://api.openai.com/v1", "K", 0, 0},
                         {"vllm", ProviderKind::kOpenAiCompatible, "http://gpu:8000/v1", "", 0, 0}};
    config_.aliases = {{"chat", "m", {{"openai", "gpt"}, {"vllm", "big"}}}};
    config_.policy.allowed[DataClass::kPublic] = {"local", "openai", "vllm"};
    config_.policy.allowed[DataClass::kInternal] = {"local", "vllm"};
    config_.policy.source[DataClass::kInternal] = "gw.toml:9";
  }

  Fleet fleet() const { return Fleet(config_.nodes, config_.settings); }

  Result<std::vector<Target>> route(const Fleet& fleet, const NodeStatus& self, DataClass data_class,
                                    std::string model = "chat") {
    return plan_route(config_, fleet, self, RouteRequest{std::move(model), data_class, 100, true}, 0);
  }

  static std::vector<std::string> labels(const std::vector<Target>& targets) {
    std::vector<std::string> out;
    for (const Target& target : targets) out.push_back(target.label);
    return out;
  }

  GatewayConfig config_;
};

TEST_F(RouterTest, LocalTargetsComeFirstByPredictedTtftThenAllowedCloud) {
  Fleet nodes = fleet();
  nodes.report_poll_success(0, NodeStatus{{model_status("m", true, 100.0)}});    // 1000 ms of prefill
  nodes.report_poll_success(1, NodeStatus{{model_status("m", false, 1000.0)}});  // 500 ms load + 100 ms
  auto targets = route(nodes, NodeStatus{}, DataClass::kPublic);
  ASSERT_TRUE(targets.ok()) << targets.status().to_string();
  EXPECT_EQ(labels(*targets), (std::vector<std::string>{"node:mini", "node:studio", "openai", "vllm"}));
  EXPECT_EQ((*targets)[0].model, "m");
  EXPECT_EQ((*targets)[0].predicted_ttft_ms, 600);
  EXPECT_EQ((*targets)[2].model, "gpt");
}

TEST_F(RouterTest, ThisNodeWinsATieAndNeedsNoAlias) {
  Fleet nodes = fleet();
  nodes.report_poll_success(0, NodeStatus{{model_status("m", true, 100.0)}});
  auto targets = route(nodes, NodeStatus{{model_status("m", true, 100.0)}}, DataClass::kConfidential, "m");
  ASSERT_TRUE(targets.ok());
  EXPECT_EQ(labels(*targets), (std::vector<std::string>{"self", "node:studio"}));
}

TEST_F(RouterTest, EachClassReachesOnlyWhatThePolicyAllows) {
  Fleet nodes = fleet();  // no node polled yet: all down
  auto internal = route(nodes, NodeStatus{}, DataClass::kInternal);
  ASSERT_TRUE(internal.ok());
  EXPECT_EQ(labels(*internal), (std::vector<std::string>{"vllm"}));

  auto confidential = route(nodes, NodeStatus{}, DataClass::kConfidential);
  ASSERT_FALSE(confidential.ok());
  EXPECT_EQ(confidential.status().code(), ErrorCode::kUnavailable);
  const std::string& message = confidential.status().message();
  EXPECT_NE(message.find("node studio is down"), std::string::npos) << message;
  EXPECT_NE(message.find("confidential data never leaves"), std::string::npos) << message;
}

TEST_F(RouterTest, ARefusalNamesThePolicyLine) {
  config_.aliases[0].cloud = {{"openai", "gpt"}};
  auto internal = route(fleet(), NodeStatus{}, DataClass::kInternal);
  ASSERT_FALSE(internal.ok());
  EXPECT_NE(internal.status().message().find("the policy at gw.toml:9 does not allow internal data to go to openai"),
            std::string::npos)
      << internal.status().message();
}

TEST_F(RouterTest, ACloudTargetListedForConfidentialIsStillRefused) {
  config_.policy.allowed[DataClass::kConfidential] = {"local", "openai"};  // the parser refuses this; the router too
  auto targets = route(fleet(), NodeStatus{}, DataClass::kConfidential);
  ASSERT_FALSE(targets.ok());
  EXPECT_EQ(targets.status().code(), ErrorCode::kUnavailable);
}

TEST_F(RouterTest, ASlowFleetSendsAllowedBurstsToTheCloudFirst) {
  config_.settings.burst_ttft_ms = 5000;
  Fleet nodes = fleet();
  nodes.report_poll_success(0, NodeStatus{{model_status("m", true, 100.0, /*waiting=*/9)}});  // 10 s
  auto public_targets = route(nodes, NodeStatus{}, DataClass::kPublic);
  ASSERT_TRUE(public_targets.ok());
  EXPECT_EQ(labels(*public_targets), (std::vector<std::string>{"openai", "vllm", "node:studio"}));
  auto confidential = route(nodes, NodeStatus{}, DataClass::kConfidential);
  ASSERT_TRUE(confidential.ok());
  EXPECT_EQ(labels(*confidential), (std::vector<std::string>{"node:studio"}));
}

TEST_F(RouterTest, DownNodesOpenCircuitsAndSpentBudgetsAreLeftOut) {
  config_.settings.circuit_failures = 2;
  Fleet nodes = fleet();
  nodes.report_poll_success(0, NodeStatus{{model_status("m", true, 100.0)}});
  nodes.report_poll_success(1, NodeStatus{{model_status("m", true, 100.0)}});
  nodes.record_outcome("node:studio", false, 0);
  nodes.record_outcome("node:studio", false, 0);  // open for the cooldown
  nodes.report_poll_failure(1, "connection refused");
  nodes.report_poll_failure(1, "connection refused");
  nodes.report_poll_failure(1, "connection refused");  // down_after = 3
  auto request = RouteRequest{"chat", DataClass::kPublic, 100, /*cloud_budget_left=*/false};
  auto targets = plan_route(config_, nodes, NodeStatus{}, request, 1000);
  ASSERT_FALSE(targets.ok());
  const std::string& message = targets.status().message();
  EXPECT_NE(message.find("node studio failed repeatedly"), std::string::npos) << message;
  EXPECT_NE(message.find("node mini is down (connection refused)"), std::string::npos) << message;
  EXPECT_NE(message.find("monthly cloud budget is spent"), std::string::npos) << message;
  // A node that was down and answers its poll again starts with a closed circuit.
  nodes.report_poll_success(1, NodeStatus{{model_status("m", true, 100.0)}});
  auto back = plan_route(config_, nodes, NodeStatus{}, RouteRequest{"m", DataClass::kPublic, 100, true}, 1000);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(labels(*back), (std::vector<std::string>{"node:mini"}));
  // After the cooldown the circuit lets a request through again.
  auto later = plan_route(config_, nodes, NodeStatus{}, request, 1000 + config_.settings.circuit_cooldown_ms);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(labels(*later), (std::vector<std::string>{"node:studio", "node:mini"}));
}

TEST_F(RouterTest, UnknownModelsAre404UnlessANodeThatMightHaveThemIsDown) {
  Fleet nodes = fleet();
  nodes.report_poll_success(0, NodeStatus{{model_status("m", true, 100.0)}});
  nodes.report_poll_success(1, NodeStatus{{model_status("m", true, 100.0)}});
  EXPECT_EQ(route(nodes, NodeStatus{}, DataClass::kPublic, "other").status().code(), ErrorCode::kNotFound);
  for (int poll = 0; poll < 3; ++poll) nodes.report_poll_failure(1, "timeout");
  EXPECT_EQ(route(nodes, NodeStatus{}, DataClass::kPublic, "other").status().code(), ErrorCode::kUnavailable);
}

// The property the whole gateway rests on.
TEST(RouterPropertyTest, ConfidentialNeverReachesTheCloudAndNoClassExceedsItsPolicy) {
  std::mt19937_64 rng(20261126);
  const std::vector<std::string> provider_pool = {"openai", "vllm", "rented", "other"};
  const DataClass classes[] = {DataClass::kPublic, DataClass::kInternal, DataClass::kConfidential};
  int64_t n_cloud_targets = 0;
  int64_t n_refused_confidential = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    GatewayConfig config;
    config.settings.burst_ttft_ms = static_cast<int64_t>(rng() % 20'000);
    config.settings.circuit_failures = 1 + static_cast<int32_t>(rng() % 3);
    const size_t n_providers = rng() % 5;
    for (size_t provider_idx = 0; provider_idx < n_providers && provider_idx < provider_pool.size(); ++provider_idx) {
      config.providers.push_back({provider_pool[provider_idx], ProviderKind::kOpenAi, "https://x/v1", "", 0, 0});
    }
    const size_t n_nodes = rng() % 4;
    for (size_t node_idx = 0; node_idx < n_nodes; ++node_idx) {
      config.nodes.push_back({"n" + std::to_string(node_idx), "http://n:1", ""});
    }
    ModelRoute alias{"chat", rng() % 4 == 0 ? "" : "m", {}};
    for (const Provider& provider : config.providers) {
      if (rng() % 2 == 0) alias.cloud.push_back({provider.name, "remote"});
    }
    if (alias.local.empty() && alias.cloud.empty()) alias.local = "m";
    config.aliases.push_back(alias);
    // Random policies, including ones the parser would refuse (cloud for confidential).
    for (DataClass data_class : classes) {
      std::vector<std::string> allowed;
      if (rng() % 2 == 0) allowed.push_back("local");
      for (const Provider& provider : config.providers) {
        if (rng() % 2 == 0) allowed.push_back(provider.name);
      }
      if (rng() % 4 != 0) config.policy.allowed[data_class] = allowed;
    }
    Fleet fleet(config.nodes, config.settings);
    for (size_t node_idx = 0; node_idx < n_nodes; ++node_idx) {
      switch (rng() % 3) {
        case 0:
          fleet.report_poll_success(
              node_idx,
              NodeStatus{{model_status("m", rng() % 2 == 0, 50.0 + rng() % 500, static_cast<int32_t>(rng() % 20))}});
          break;
        case 1:
          fleet.report_poll_success(node_idx, NodeStatus{{model_status("other", true, 100.0)}});
          break;
        default:
          fleet.report_poll_failure(node_idx, "killed");
      }
    }
    for (const Provider& provider : config.providers) {
      if (rng() % 3 == 0) fleet.record_outcome(provider.name, false, 0);
    }
    NodeStatus self;
    if (rng() % 3 == 0) self.models.push_back(model_status("m", true, 300.0));
    const DataClass data_class = classes[rng() % 3];
    const RouteRequest request{rng() % 5 == 0 ? "m" : "chat", data_class, static_cast<int64_t>(rng() % 4000),
                               rng() % 4 != 0};
    auto targets = plan_route(config, fleet, self, request, 0);
    if (!targets.ok()) {
      EXPECT_TRUE(targets.status().code() == ErrorCode::kUnavailable ||
                  targets.status().code() == ErrorCode::kNotFound);
      if (data_class == DataClass::kConfidential) ++n_refused_confidential;
      continue;
    }
    for (const Target& target : *targets) {
      if (target.kind != TargetKind::kCloud) {
        EXPECT_EQ(target.model, "m");
        continue;
      }
      ++n_cloud_targets;
      ASSERT_NE(data_class, DataClass::kConfidential) << "trial " << trial << ": confidential went to " << target.label;
      const auto& allowed = config.policy.allowed[data_class];
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), target.label), allowed.end()) << "trial " << trial;
      EXPECT_TRUE(request.cloud_budget_left) << "trial " << trial;
    }
  }
  // The property is not vacuous: the cloud was reachable often, and confidential was refused often.
  EXPECT_GT(n_cloud_targets, 500);
  EXPECT_GT(n_refused_confidential, 200);
}

}  // namespace
}  // namespace hearth::gateway

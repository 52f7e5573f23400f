#include "api/status_route.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

// A manager that serves no model (a server's own tests need nothing more).
std::unique_ptr<node::ModelManager> no_models() {
  node::ModelManagerOptions options;
  options.budget_bytes = int64_t{1} << 30;
  return std::move(node::ModelManager::create({}, std::move(options))).value();
}


TEST(StatusRouteTest, DescribesTheMachineOfAnEmptyNode) {
  planner::HardwareProfile profile;
  profile.name = "local";
  profile.ram_bytes = 24 << 20;
  profile.usable_bytes = 20 << 20;
  profile.n_cores = 2;
  std::unique_ptr<node::ModelManager> models = no_models();
  const auto status = nlohmann::json::parse(render_status(*models, profile));
  EXPECT_EQ(status["object"], "hearth.status");
  EXPECT_EQ(status["machine"]["name"], "local");
  EXPECT_EQ(status["machine"]["ram_bytes"], 24 << 20);
  EXPECT_EQ(status["machine"]["usable_bytes"], 20 << 20);
  EXPECT_EQ(status["machine"]["cores"], 2);
  EXPECT_EQ(status["memory"]["budget_bytes"], int64_t{1} << 30);
  EXPECT_EQ(status["memory"]["committed_bytes"], 0);
  EXPECT_EQ(status["queue"]["waiting"], 0);
  EXPECT_TRUE(status["models"].is_array());
  EXPECT_TRUE(status["models"].empty());
}

TEST(StatusRouteTest, AnUnreadableMachineIsNull) {
  std::unique_ptr<node::ModelManager> models = no_models();
  const Result<planner::HardwareProfile> unreadable = io_error("no /proc/meminfo");
  const auto status = nlohmann::json::parse(render_status(*models, unreadable));
  EXPECT_TRUE(status["machine"].is_null());
}

}  // namespace
}  // namespace hearth::api

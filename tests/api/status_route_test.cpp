#include "api/status_route.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

TEST(StatusRouteTest, DescribesTheMachineOfAnEmptyNode) {
  planner::HardwareProfile profile;
  profile.name = "local";
  profile.ram_bytes = 24 << 20;
  profile.usable_bytes = 20 << 20;
  profile.n_cores = 2;
  node::ModelRegistry registry;
  const auto status = nlohmann::json::parse(render_status(registry, profile));
  EXPECT_EQ(status["object"], "hearth.status");
  EXPECT_EQ(status["machine"]["name"], "local");
  EXPECT_EQ(status["machine"]["ram_bytes"], 24 << 20);
  EXPECT_EQ(status["machine"]["usable_bytes"], 20 << 20);
  EXPECT_EQ(status["machine"]["cores"], 2);
  EXPECT_TRUE(status["models"].is_array());
  EXPECT_TRUE(status["models"].empty());
}

TEST(StatusRouteTest, AnUnreadableMachineIsNull) {
  node::ModelRegistry registry;
  const Result<planner::HardwareProfile> unreadable = io_error("no /proc/meminfo");
  const auto status = nlohmann::json::parse(render_status(registry, unreadable));
  EXPECT_TRUE(status["machine"].is_null());
}

}  // namespace
}  // namespace hearth::api

// Routing: method + target -> route, 405 vs 404, model ids decoded.
#include "api/routes.h"

#include <gtest/gtest.h>

namespace hearth::api {
namespace {

TEST(RoutesTest, MatchesEveryRoute) {
  EXPECT_EQ(match_route("POST", "/v1/chat/completions")->route, Route::kChatCompletions);
  EXPECT_EQ(match_route("POST", "/v1/embeddings")->route, Route::kEmbeddings);
  EXPECT_EQ(match_route("POST", "/v1/rerank")->route, Route::kRerank);
  EXPECT_FALSE(match_route("GET", "/v1/rerank")->method_allowed);
  EXPECT_EQ(match_route("POST", "/v1/completions")->route, Route::kCompletions);
  EXPECT_EQ(match_route("GET", "/v1/models")->route, Route::kListModels);
  EXPECT_EQ(match_route("GET", "/health")->route, Route::kHealth);
  EXPECT_EQ(match_route("GET", "/hearth/v1/status")->route, Route::kStatus);
  EXPECT_FALSE(match_route("POST", "/hearth/v1/status")->method_allowed);
  EXPECT_EQ(match_route("GET", "/hearth/v1/costs?month=2026-11")->route, Route::kCosts);
  EXPECT_FALSE(match_route("POST", "/hearth/v1/costs")->method_allowed);
  EXPECT_EQ(match_route("GET", "/metrics")->route, Route::kMetrics);
  EXPECT_EQ(match_route("GET", "/metrics")->pattern, "/metrics");
  EXPECT_FALSE(match_route("POST", "/metrics")->method_allowed);
  const auto model = match_route("GET", "/v1/models/tiny-b");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->route, Route::kGetModel);
  EXPECT_EQ(model->model_id, "tiny-b");
  EXPECT_EQ(model->pattern, "/v1/models/{id}");
  EXPECT_TRUE(model->method_allowed);
}

TEST(RoutesTest, TheDashboardIsTheRootAndItsAssets) {
  const auto page = match_route("GET", "/?refresh=1");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->route, Route::kDashboard);
  EXPECT_EQ(page->asset, "index.html");
  EXPECT_EQ(page->pattern, "/");
  const auto script = match_route("GET", "/dashboard/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->route, Route::kDashboard);
  EXPECT_EQ(script->asset, "dashboard.js");
  EXPECT_EQ(script->pattern, "/dashboard/{asset}");  // one metrics series, whatever the name
  // Any name under /dashboard/ is the route's; the handler answers 404 for names it lacks.
  EXPECT_EQ(match_route("GET", "/dashboard/../etc/passwd")->asset, "../etc/passwd");
  EXPECT_EQ(match_route("GET", "/dashboard/")->asset, "");
  EXPECT_FALSE(match_route("POST", "/")->method_allowed);
  EXPECT_EQ(match_route("GET", "/hearth/v1/egress?limit=5")->route, Route::kEgress);
  EXPECT_FALSE(match_route("DELETE", "/hearth/v1/egress")->method_allowed);
}

TEST(RoutesTest, WrongMethodIsAMatchThatIsNotAllowed) {
  const auto match = match_route("GET", "/v1/chat/completions");
  ASSERT_TRUE(match);
  EXPECT_FALSE(match->method_allowed);
  EXPECT_EQ(match->allow, "POST");
  EXPECT_FALSE(match_route("POST", "/health")->method_allowed);
  EXPECT_FALSE(match_route("DELETE", "/v1/models/x")->method_allowed);
}

TEST(RoutesTest, UnknownPathsDoNotMatch) {
  for (const char* target : {"//", "/dashboard", "/v1", "/v1/models/", "/v1/chat/completions/", "/V1/models", "/health/x", ""}) {
    EXPECT_FALSE(match_route("GET", target)) << target;
  }
}

TEST(RoutesTest, QueryStringIsIgnored) {
  EXPECT_EQ(match_route("GET", "/health?verbose=1")->route, Route::kHealth);
  EXPECT_EQ(match_route("GET", "/v1/models/a?x=y")->model_id, "a");
  EXPECT_EQ(target_path("/a?b?c"), "/a");
}

TEST(RoutesTest, ModelIdsArePercentDecoded) {
  EXPECT_EQ(match_route("GET", "/v1/models/qwen2.5%2D0.5b")->model_id, "qwen2.5-0.5b");
  EXPECT_EQ(match_route("GET", "/v1/models/a%2Fb")->model_id, "a/b");
  EXPECT_FALSE(match_route("GET", "/v1/models/bad%2"));
  EXPECT_FALSE(match_route("GET", "/v1/models/bad%zz"));
  EXPECT_FALSE(match_route("GET", "/v1/models/nul%00"));
}

TEST(RoutesTest, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("%e2%82%ac"), "\xE2\x82\xAC");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
}

}  // namespace
}  // namespace hearth::api

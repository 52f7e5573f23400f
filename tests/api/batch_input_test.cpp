// api/batch_input.h and the file and batch routes' matching: hostile input files and paths.
#include "api/batch_input.h"

#include <gtest/gtest.h>

#include "api/routes.h"

namespace hearth::api {
namespace {

constexpr std::string_view kChat = "/v1/chat/completions";

std::string line(std::string_view custom_id, std::string_view model = "tiny", std::string_view url = kChat) {
  return "{\"custom_id\":\"" + std::string(custom_id) + "\",\"method\":\"POST\",\"url\":\"" + std::string(url) +
         "\",\"body\":{\"model\":\"" + std::string(model) + "\",\"messages\":[]}}";
}

TEST(BatchInput, ReadsLinesSkippingBlankOnes) {
  const std::string text = line("a") + "\n\n" + line("b") + "\r\n";
  BatchInput input = read_batch_input(text, kChat, {});
  ASSERT_TRUE(input.errors.empty()) << input.errors[0].message;
  ASSERT_EQ(input.lines.size(), 2u);
  EXPECT_EQ(input.model, "tiny");
  EXPECT_EQ(input.lines[1].custom_id, "b");
  EXPECT_EQ(input.lines[0].body, "{\"messages\":[],\"model\":\"tiny\"}");
}

TEST(BatchInput, ReportsEachBadLineWithItsNumber) {
  const std::string text = line("a") + "\n" +                            // 1 ok
                           "[1,2]\n" +                                     // 2 not an object
                           line("a") + "\n" +                              // 3 duplicate
                           line("c", "other") + "\n" +                     // 4 another model
                           line("d", "tiny", "/v1/embeddings") + "\n" +    // 5 wrong url
                           "{\"custom_id\":\"e\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n" +  // 6
                           "{\"custom_id\":\"f\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n" +  // 7
                           "{\"custom_id\":\"g\",\"extra\":1}\n" +          // 8
                           "{\"custom_id\":\"\",\"method\":\"POST\"}\n" +   // 9
                           "{\"custom_id\":\"h\",\xff}\n";                  // 10 not UTF-8 / JSON
  BatchInput input = read_batch_input(text, kChat, {});
  std::vector<std::pair<int64_t, std::string>> got;
  for (const BatchInputError& error : input.errors) got.emplace_back(error.line.value_or(-1), error.code);
  const std::vector<std::pair<int64_t, std::string>> expected = {
      {2, "invalid_json_line"},   {3, "duplicate_custom_id"}, {4, "mismatched_model"},
      {5, "mismatched_endpoint"}, {6, "invalid_method"},      {7, "missing_model"},
      {8, "invalid_request"},     {9, "missing_custom_id"},   {10, "invalid_json_line"}};
  EXPECT_EQ(got, expected);
  const std::string rendered = render_batch_errors(input.errors);
  EXPECT_NE(rendered.find("\"line\":2"), std::string::npos) << rendered;
}

TEST(BatchInput, LimitsAndEmptyFiles) {
  BatchInputLimits limits;
  limits.max_lines = 2;
  BatchInput too_many = read_batch_input(line("a") + "\n" + line("b") + "\n" + line("c") + "\n", kChat, limits);
  ASSERT_EQ(too_many.errors.size(), 1u);
  EXPECT_EQ(too_many.errors[0].code, "too_many_requests");
  limits = {};
  limits.max_errors = 3;
  EXPECT_EQ(read_batch_input(std::string(100, '\n') + "x\ny\nz\nw\nv\n", kChat, limits).errors.size(), 3u);
  BatchInput empty = read_batch_input("\n \n", kChat, {});
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_EQ(empty.errors[0].code, "empty_file");
  EXPECT_FALSE(empty.errors[0].line.has_value());
}

TEST(BatchRoutes, MatchFilesAndBatches) {
  auto upload = match_route("POST", "/v1/files");
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->route, Route::kUploadFile);
  EXPECT_TRUE(upload->method_allowed);
  auto listing = match_route("GET", "/v1/files?purpose=batch");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->route, Route::kListFiles);
  auto put = match_route("PUT", "/v1/files");
  ASSERT_TRUE(put);
  EXPECT_FALSE(put->method_allowed);
  EXPECT_EQ(put->allow, "GET, POST");
  auto content = match_route("GET", "/v1/files/file-abc/content");
  ASSERT_TRUE(content);
  EXPECT_EQ(content->route, Route::kFileContent);
  EXPECT_EQ(content->object_id, "file-abc");
  auto remove = match_route("DELETE", "/v1/files/file-abc");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->route, Route::kDeleteFile);
  auto cancel = match_route("POST", "/v1/batches/batch_1/cancel");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->route, Route::kCancelBatch);
  EXPECT_EQ(cancel->object_id, "batch_1");
  auto get = match_route("GET", "/v1/batches/batch_1");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->route, Route::kGetBatch);
  EXPECT_FALSE(match_route("GET", "/v1/files/a%2Fb"));
  EXPECT_FALSE(match_route("GET", "/v1/files/x/other"));
  EXPECT_FALSE(match_route("GET", "/v1/batches/x/cancel/more"));
  EXPECT_FALSE(match_route("GET", "/v1/files//content"));
}

}  // namespace
}  // namespace hearth::api

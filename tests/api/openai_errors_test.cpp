// The ErrorCode -> HTTP status + OpenAI type table and the error body.
#include "api/openai_errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

TEST(OpenAiErrorsTest, TableMapsEveryErrorCode) {
  struct Row {
    ErrorCode code;
    int status;
    const char* type;
  };
  const Row rows[] = {
      {ErrorCode::kInvalidArgument, 400, "invalid_request_error"},
      {ErrorCode::kOutOfRange, 400, "invalid_request_error"},
      {ErrorCode::kUnimplemented, 400, "invalid_request_error"},
      {ErrorCode::kFailedPrecondition, 400, "invalid_request_error"},
      {ErrorCode::kNotFound, 404, "invalid_request_error"},
      {ErrorCode::kResourceExhausted, 429, "rate_limit_error"},
      {ErrorCode::kUnavailable, 503, "service_unavailable_error"},
      {ErrorCode::kDataLoss, 500, "server_error"},
      {ErrorCode::kIo, 500, "server_error"},
      {ErrorCode::kInternal, 500, "server_error"},
      {ErrorCode::kOk, 500, "server_error"},
  };
  for (const Row& row : rows) {
    const ErrorMapping mapping = error_mapping(row.code);
    EXPECT_EQ(mapping.http_status, row.status) << error_code_name(row.code);
    EXPECT_STREQ(mapping.type, row.type) << error_code_name(row.code);
  }
}

TEST(OpenAiErrorsTest, ApiErrorKeepsMessageParamAndCode) {
  const ApiError error = api_error(invalid_argument_error("'top_p' must be a number"), "top_p", "bad_value");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.message, "'top_p' must be a number");
  EXPECT_EQ(error.param, "top_p");
  EXPECT_EQ(error.code, "bad_value");
}

TEST(OpenAiErrorsTest, OkStatusIsAServerErrorNotACrash) {
  const ApiError error = api_error(ok_status());
  EXPECT_EQ(error.http_status, 500);
  EXPECT_FALSE(error.message.empty());
}

TEST(OpenAiErrorsTest, BodyHasTheFourFieldsWithNullsForMissingOnes) {
  const nlohmann::json body = nlohmann::json::parse(render_error_body(api_error(not_found_error("no such thing"))));
  ASSERT_TRUE(body.contains("error"));
  const nlohmann::json& error = body["error"];
  EXPECT_EQ(error["message"], "no such thing");
  EXPECT_EQ(error["type"], "invalid_request_error");
  EXPECT_TRUE(error["param"].is_null());
  EXPECT_TRUE(error["code"].is_null());
  EXPECT_EQ(error.size(), 4u);

  const nlohmann::json named =
      nlohmann::json::parse(render_error_body(api_error(invalid_argument_error("bad"), "stop", "x")));
  EXPECT_EQ(named["error"]["param"], "stop");
  EXPECT_EQ(named["error"]["code"], "x");
}

TEST(OpenAiErrorsTest, BodyStaysValidJsonForInvalidUtf8InTheMessage) {
  const std::string body = render_error_body(api_error(invalid_argument_error("bad byte \xff here")));
  const nlohmann::json parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["error"]["message"], "bad byte \xEF\xBF\xBD here");
}

TEST(OpenAiErrorsTest, HttpLevelErrors) {
  EXPECT_EQ(route_not_found_error("GET", "/nope").http_status, 404);
  EXPECT_NE(route_not_found_error("GET", "/nope").message.find("/nope"), std::string::npos);
  EXPECT_EQ(method_not_allowed_error("GET", "/v1/completions").http_status, 405);
  const ApiError too_large = body_too_large_error(4096);
  EXPECT_EQ(too_large.http_status, 413);
  EXPECT_NE(too_large.message.find("4096"), std::string::npos);
  EXPECT_EQ(internal_exception_error("req-1").http_status, 500);
  EXPECT_EQ(internal_exception_error("req-1").type, "server_error");
}

TEST(OpenAiErrorsTest, ApiResultHoldsAValueOrAnError) {
  ApiResult<int> value(7);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  ApiResult<int> error(ApiError{404, "invalid_request_error", "gone", "model", "model_not_found"});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code, "model_not_found");
}

}  // namespace
}  // namespace hearth::api

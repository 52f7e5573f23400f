// SSE framing: one data field per line of the payload, a blank line after.
#include "api/sse.h"

#include <gtest/gtest.h>

namespace hearth::api {
namespace {

TEST(SseTest, FramesACompactJsonChunkAsOneDataLine) {
  EXPECT_EQ(sse_data(R"({"id":"x","choices":[]})"), "data: {\"id\":\"x\",\"choices\":[]}\n\n");
}

TEST(SseTest, EmptyPayloadIsOneEmptyDataField) { EXPECT_EQ(sse_data(""), "data: \n\n"); }

TEST(SseTest, SplitsLineBreaksIntoDataLines) {
  EXPECT_EQ(sse_data("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(sse_data("a\r\nb"), "data: a\ndata: b\n\n");  // CRLF is one break
  EXPECT_EQ(sse_data("a\rb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(sse_data("a\n\nb"), "data: a\ndata: \ndata: b\n\n");
  EXPECT_EQ(sse_data("a\n"), "data: a\ndata: \n\n");
}

TEST(SseTest, PayloadWithoutBreaksPassesThroughByteForByte) {
  const std::string payload = "\xE2\x82\xAC data: [DONE] \t";
  EXPECT_EQ(sse_data(payload), "data: " + payload + "\n\n");
}

TEST(SseTest, DoneMarker) { EXPECT_EQ(sse_done(), "data: [DONE]\n\n"); }

}  // namespace
}  // namespace hearth::api

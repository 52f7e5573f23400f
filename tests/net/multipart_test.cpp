// net/multipart.h: form bodies as clients write them, and hostile ones.
#include "net/multipart.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::net {
namespace {

constexpr std::string_view kTwoParts =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"purpose\"\r\n"
    "\r\n"
    "batch\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"in put.jsonl\"\r\n"
    "Content-Type: application/jsonl\r\n"
    "\r\n"
    "{\"a\":1}\n{\"b\":2}\n\r\n"
    "--XyZ--\r\n";

TEST(MultipartBoundary, ReadsTokenAndQuotedForms) {
  auto plain = multipart_boundary("multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(*plain, "XyZ");
  auto quoted = multipart_boundary("Multipart/Form-Data;boundary=\"a b:c\"; charset=utf-8");
  ASSERT_TRUE(quoted.ok()) << quoted.status().message();
  EXPECT_EQ(*quoted, "a b:c");
}

TEST(MultipartBoundary, RefusesOtherTypesAndBadBoundaries) {
  EXPECT_FALSE(multipart_boundary("application/json").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"ends with space \"").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')).ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unclosed").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=a; boundary=b").ok());
}

TEST(Multipart, SplitsParts) {
  auto parts = parse_multipart(kTwoParts, "XyZ", {});
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "purpose");
  EXPECT_FALSE((*parts)[0].filename.has_value());
  EXPECT_EQ((*parts)[0].data, "batch");
  EXPECT_EQ((*parts)[1].name, "file");
  ASSERT_TRUE((*parts)[1].filename.has_value());
  EXPECT_EQ(*(*parts)[1].filename, "in put.jsonl");
  EXPECT_EQ((*parts)[1].content_type, "application/jsonl");
  EXPECT_EQ((*parts)[1].data, "{\"a\":1}\n{\"b\":2}\n");
}

TEST(Multipart, IgnoresPreambleAndEpilogueAndKeepsCrlfInData) {
  const std::string body =
      "preamble text\r\n--b\r\ncontent-disposition: FORM-DATA; NAME=f\r\n\r\nline\r\n\r\nmore\r\n--b--epilogue";
  auto parts = parse_multipart(body, "b", {});
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "f");
  EXPECT_EQ((*parts)[0].data, "line\r\n\r\nmore");
}

TEST(Multipart, WriteThenParseRoundTrips) {
  const std::string boundary = random_multipart_boundary();
  std::string binary("\0\r\n--x\xff", 7);
  const std::string body = write_multipart(boundary, {{"purpose", "", "", "batch"},
                                                      {"file", "a.jsonl", "application/octet-stream", binary}});
  auto parts = parse_multipart(body, boundary, {});
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].data, "batch");
  EXPECT_EQ((*parts)[1].data, binary);
  EXPECT_EQ(*(*parts)[1].filename, "a.jsonl");
}

TEST(Multipart, RefusesMalformedBodies) {
  const auto refused = [](std::string_view body, const MultipartLimits& limits = {}) {
    return !parse_multipart(body, "b", limits).ok();
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("no boundary at all"));
  // No closing delimiter.
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=x\r\n\r\ndata"));
  // Headers never end.
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=x\r\n"));
  // No Content-Disposition, or not form-data, or no name.
  EXPECT_TRUE(refused("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: attachment; name=x\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--b--"));
  // A header line without a colon, a folded line, a control byte.
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=x\r\nbogus\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data;\r\n name=x\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused(std::string("--b\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--b--", 59)));
  // A boundary line followed by something other than CRLF or "--".
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=x\r\n\r\nx\r\n--bX\r\n--b--"));
  // Repeated headers and parameters.
  EXPECT_TRUE(refused(
      "--b\r\nContent-Disposition: form-data; name=x\r\nContent-Disposition: form-data; name=y\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refused("--b\r\nContent-Disposition: form-data; name=x; name=y\r\n\r\nx\r\n--b--"));
}

TEST(Multipart, EnforcesLimits) {
  MultipartLimits limits;
  limits.max_parts = 1;
  EXPECT_FALSE(parse_multipart(kTwoParts, "XyZ", limits).ok());
  limits = {};
  limits.max_part_header_bytes = 40;
  auto long_headers = parse_multipart(kTwoParts, "XyZ", limits);
  ASSERT_FALSE(long_headers.ok());
  EXPECT_NE(long_headers.status().message().find("longer than 40"), std::string::npos)
      << long_headers.status().message();
  limits = {};
  limits.max_filename_bytes = 4;
  EXPECT_FALSE(parse_multipart(kTwoParts, "XyZ", limits).ok());
  limits = {};
  limits.max_headers_per_part = 1;
  EXPECT_FALSE(parse_multipart(kTwoParts, "XyZ", limits).ok());
}

}  // namespace
}  // namespace hearth::net

// URL parsing, redirect resolution and Content-Range: hostile text is refused, not trusted.
#include <gtest/gtest.h>

#include "net/http_get.h"
#include "net/url.h"

namespace hearth::net {
namespace {

TEST(UrlTest, ParsesHostPortAndTarget) {
  const Result<Url> url = parse_url("https://nas.local:8443/models/x.gguf?v=1#frag");
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  EXPECT_EQ(url->host, "nas.local");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->target, "/models/x.gguf?v=1");
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->to_string(), "https://nas.local:8443/models/x.gguf?v=1");

  const Result<Url> plain = parse_url("HTTP://127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->host_header(), "127.0.0.1");

  const Result<Url> v6 = parse_url("http://[::1]:8080/a");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:8080");
}

TEST(UrlTest, RefusesHostileOrUnsupportedUrls) {
  for (const char* text : {"ftp://x/y", "http://", "http://:80/", "http://host:0/", "http://host:65536/",
                           "http://host:8x/", "http://user:pass@host/", "http://ho st/", "http://host/a b",
                           "http://host/a\r\nX-Evil: 1", "http://[::1/", "http://[zz]/", "http://host:/"}) {
    EXPECT_EQ(parse_url(text).status().code(), ErrorCode::kInvalidArgument) << text;
  }
  EXPECT_FALSE(parse_url("http://" + std::string(300, 'a') + "/").ok());
}

TEST(UrlTest, ResolvesRedirectLocations) {
  const Url base = *parse_url("http://a.example:8000/dir/file.gguf?x=1");
  EXPECT_EQ(resolve_location(base, "https://b.example/z")->to_string(), "https://b.example/z");
  EXPECT_EQ(resolve_location(base, "//c.example/y")->to_string(), "http://c.example/y");
  EXPECT_EQ(resolve_location(base, "/top.gguf")->to_string(), "http://a.example:8000/top.gguf");
  EXPECT_EQ(resolve_location(base, "other.gguf?q")->to_string(), "http://a.example:8000/dir/other.gguf?q");
  EXPECT_EQ(resolve_location(base, "../up.gguf")->target, "/up.gguf");
  EXPECT_EQ(resolve_location(base, "./same.gguf")->target, "/dir/same.gguf");
  EXPECT_EQ(resolve_location(base, "/a/b/../../../c/./d?q=../x")->target, "/c/d?q=../x");
  EXPECT_EQ(resolve_location(base, "/a/..")->target, "/");
  EXPECT_EQ(resolve_location(base, "/a/b/")->target, "/a/b/");
  EXPECT_FALSE(resolve_location(base, "").ok());
  EXPECT_FALSE(resolve_location(base, "file:///etc/passwd").ok());
  EXPECT_FALSE(resolve_location(base, "/a b").ok());
}

TEST(UrlTest, BaseUrlsGiveThePathPrefixOfEveryRequest) {
  const Result<Url> openai = parse_base_url("HTTPS://API.openai.com/v1/");
  ASSERT_TRUE(openai.ok()) << openai.status().to_string();
  EXPECT_TRUE(openai->tls);
  EXPECT_EQ(openai->port, "443");
  EXPECT_EQ(path_prefix(*openai), "/v1");
  const Result<Url> node = parse_base_url("http://10.0.0.2:8770");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(path_prefix(*node), "");
  EXPECT_EQ(node->host_header(), "10.0.0.2:8770");
  EXPECT_EQ(parse_base_url("http://x:1/v1?key=1").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_base_url("ftp://x").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_base_url("http://user:pw@x/v1").status().code(), ErrorCode::kInvalidArgument);
}

TEST(ContentRangeTest, ParsesOnlyWellFormedRanges) {
  const Result<ContentRange> range = parse_content_range("bytes 100-199/1000");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 100u);
  EXPECT_EQ(range->last, 199u);
  EXPECT_EQ(range->complete_length, 1000u);
  EXPECT_TRUE(parse_content_range("Bytes 0-0/1").ok());
  for (const char* text : {"", "bytes", "bytes 1-2", "bytes 1-2/*", "bytes */100", "bytes 5-4/10", "bytes 0-10/10",
                           "bytes -1-2/10", "bytes 1-2/10 ", "items 1-2/10", "bytes 99999999999999999999-1/2",
                           "bytes 0-18446744073709551615/18446744073709551616", "bytes 1+2/3", "bytes 0x1-2/10"}) {
    EXPECT_EQ(parse_content_range(text).status().code(), ErrorCode::kDataLoss) << text;
  }
}

}  // namespace
}  // namespace hearth::net

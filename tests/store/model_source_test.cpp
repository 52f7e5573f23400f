// What `hearth models pull` takes as a source: paths, file:// and http(s):// URLs; anything else refused.
#include <gtest/gtest.h>

#include "store/model_source.h"

namespace hearth::store {
namespace {

TEST(ModelSourceTest, PathsUrlsAndFileUrls) {
  const Result<ModelSource> path = parse_model_source("/mnt/nas/x.gguf");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->kind, ModelSource::Kind::kFile);
  EXPECT_EQ(path->path, "/mnt/nas/x.gguf");

  const Result<ModelSource> file_url = parse_model_source("file:///mnt/nas/my%20model.gguf");
  ASSERT_TRUE(file_url.ok());
  EXPECT_EQ(file_url->kind, ModelSource::Kind::kFile);
  EXPECT_EQ(file_url->path, "/mnt/nas/my model.gguf");
  EXPECT_EQ(parse_model_source("file://localhost/x.gguf")->path, "/x.gguf");

  const Result<ModelSource> http = parse_model_source("http://127.0.0.1:9/x.gguf");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->kind, ModelSource::Kind::kHttp);
  EXPECT_EQ(http->url.port, "9");

  EXPECT_FALSE(parse_model_source("").ok());
  EXPECT_FALSE(parse_model_source("s3://bucket/x.gguf").ok());
  EXPECT_FALSE(parse_model_source("file://nas/x.gguf").ok());
  EXPECT_FALSE(parse_model_source("a\nb").ok());
}

}  // namespace
}  // namespace hearth::store

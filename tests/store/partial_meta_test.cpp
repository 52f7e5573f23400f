// The partial download's record: round trip, and a malformed record is not trusted.
#include <gtest/gtest.h>

#include <fstream>

#include "llama_test_model.h"
#include "store/partial_meta.h"

namespace hearth::store {
namespace {

TEST(PartialMetaTest, RoundTrips) {
  PartialMeta meta;
  meta.source = "http://127.0.0.1:8000/x.gguf";
  meta.size_bytes = 12345;
  meta.etag = "\"abc\"";
  meta.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  meta.mtime_ns = -5;
  const std::string path = model::test::temp_path("partial_meta");
  ASSERT_TRUE(write_partial_meta(path, meta).ok());
  const std::optional<PartialMeta> read = read_partial_meta(path);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->source, meta.source);
  EXPECT_EQ(read->size_bytes, meta.size_bytes);
  EXPECT_EQ(read->etag, meta.etag);
  EXPECT_EQ(read->last_modified, meta.last_modified);
  EXPECT_EQ(read->mtime_ns, meta.mtime_ns);
  std::remove(path.c_str());
  EXPECT_FALSE(read_partial_meta(path).has_value());
}

TEST(PartialMetaTest, RefusesForgedOrMalformedRecords) {
  PartialMeta meta;
  meta.source = "x";
  meta.etag = "\"a\"\nsize=1";
  EXPECT_EQ(write_partial_meta(model::test::temp_path("forged"), meta).code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(parse_partial_meta("size=1\n").ok());              // no source
  EXPECT_FALSE(parse_partial_meta("source=x\nsize=12x\n").ok());  // bad number
  EXPECT_FALSE(parse_partial_meta("source=x\nsize=99999999999999999999999\n").ok());
  EXPECT_FALSE(parse_partial_meta("source=x\njunk\n").ok());
  EXPECT_FALSE(parse_partial_meta("source=" + std::string(70000, 'a')).ok());
  const Result<PartialMeta> future = parse_partial_meta("source=x\nnew_key=1\n");
  ASSERT_TRUE(future.ok());
  EXPECT_FALSE(future->size_bytes.has_value());

  const std::string path = model::test::temp_path("garbage_meta");
  std::ofstream(path) << "\x01\x02 not a record";
  EXPECT_FALSE(read_partial_meta(path).has_value());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace hearth::store

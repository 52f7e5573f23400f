// read_text_file: the whole file, or a clear refusal (missing, a directory, over the limit).
#include "base/file_text.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "temp_dir.h"

namespace hearth {
namespace {

TEST(FileTextTest, ReadsTheWholeFileUpToTheLimit) {
  test::TempDir dir;
  const std::string path = dir.path() + "/t.jinja";
  const std::string text(100'000, 'x');  // more than one read
  std::ofstream(path, std::ios::binary) << text;
  const Result<std::string> read = read_text_file(path, 100'000);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, text);

  const Result<std::string> over = read_text_file(path, 99'999);
  EXPECT_EQ(over.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(over.status().message().find(path), std::string::npos) << over.status().message();
}

TEST(FileTextTest, AMissingFileOrADirectoryIsAnIoErrorNamingIt) {
  test::TempDir dir;
  const Result<std::string> missing = read_text_file(dir.path() + "/absent", 10);
  EXPECT_EQ(missing.status().code(), ErrorCode::kIo);
  EXPECT_NE(missing.status().message().find("absent"), std::string::npos);
  EXPECT_EQ(read_text_file(dir.path(), 10).status().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace hearth

// Pulls from local files: copy, resume, restart, verification, and every
// refusal leaving nothing in blobs/ and no name.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/file_lock.h"
#include "store/model_pull.h"
#include "store/partial_meta.h"
#include "store/sha256.h"
#include "store_test_files.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

class ModelPullTest : public test::StoreFilesTest {
 protected:
  void SetUp() override {
    StoreFilesTest::SetUp();
    Result<ModelStore> opened = ModelStore::open(models_dir_, true);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_.emplace(*std::move(opened));
    options_.copy_chunk_bytes = 4096;  // many chunks even for a tiny model
    options_.progress = [this](uint64_t done_bytes, std::optional<uint64_t>) { progress_.push_back(done_bytes); };
    options_.notice = [this](const std::string& line) { notices_.push_back(line); };
  }

  Result<PullResult> pull(const std::string& source_text) {
    const Result<ModelSource> source = parse_model_source(source_text);
    if (!source.ok()) return source.status();
    return pull_model(*store_, *source, options_);
  }

  // Nothing was kept: no blob, no name, no partial.
  void expect_nothing_kept(const std::string& name) {
    EXPECT_TRUE(entries(models_dir_ + "/blobs").empty());
    EXPECT_FALSE(exists(models_dir_ + "/" + name + ".gguf"));
    EXPECT_TRUE(entries(models_dir_ + "/partial").empty()) << entries(models_dir_ + "/partial").front();
  }

  // Leaves the first `n_bytes` of `source` as an interrupted pull would.
  void write_partial(const std::string& name, const std::string& source, uint64_t n_bytes, int64_t mtime_shift_ns) {
    std::vector<uint8_t> bytes = model::test::read_file_bytes(source);
    bytes.resize(n_bytes);
    write_bytes(store_->partial_path(name), bytes);
    struct stat info {};
    ASSERT_EQ(::stat(source.c_str(), &info), 0);
    PartialMeta meta;
    meta.source = source;
    meta.size_bytes = static_cast<uint64_t>(info.st_size);
    meta.mtime_ns = int64_t(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec + mtime_shift_ns;
    ASSERT_TRUE(write_partial_meta(store_->partial_meta_path(name), meta).ok());
  }

  std::optional<ModelStore> store_;
  PullOptions options_;
  std::vector<uint64_t> progress_;
  std::vector<std::string> notices_;
};

TEST_F(ModelPullTest, CopiesALocalFileIntoTheStore) {
  const std::string source = write_model("tiny-q.gguf", 1);
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->name, "tiny-q");
  EXPECT_EQ(pulled->sha256, *sha256_of_file(source));
  EXPECT_EQ(pulled->size_bytes, fs::file_size(source));
  EXPECT_EQ(pulled->transferred_bytes, pulled->size_bytes);
  EXPECT_EQ(pulled->resumed_from_bytes, 0u);
  EXPECT_TRUE(pulled->expected_from.empty());
  EXPECT_EQ(fs::read_symlink(models_dir_ + "/tiny-q.gguf").string(), "blobs/sha256-" + pulled->sha256);
  EXPECT_EQ(*sha256_of_file(models_dir_ + "/tiny-q.gguf"), pulled->sha256);
  EXPECT_TRUE(entries(models_dir_ + "/partial").empty());  // no .part, .meta or .lock left
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back(), pulled->size_bytes);
  EXPECT_GT(progress_.size(), 3u);  // streamed in chunks

  options_.name = "renamed";
  const Result<PullResult> file_url = pull("file://" + source);
  ASSERT_TRUE(file_url.ok()) << file_url.status().to_string();
  EXPECT_EQ(file_url->name, "renamed");
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);  // same content, one blob
}

TEST_F(ModelPullTest, ResumesAPartialCopyReadingOnlyTheRest) {
  const std::string source = write_model("tiny.gguf", 1);
  const uint64_t size = fs::file_size(source);
  const uint64_t kept = size / 2 + 3;  // not on a chunk boundary
  write_partial("tiny", source, kept, 0);
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->resumed_from_bytes, kept);
  EXPECT_EQ(pulled->transferred_bytes, size - kept);
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.front(), kept);                  // the first report is where it resumed, not 0
  EXPECT_EQ(pulled->sha256, *sha256_of_file(source));  // the hash covers the kept bytes too
  EXPECT_EQ(*sha256_of_file(models_dir_ + "/tiny.gguf"), pulled->sha256);
}

TEST_F(ModelPullTest, AChangedSourceStartsOver) {
  const std::string source = write_model("tiny.gguf", 1);
  const uint64_t size = fs::file_size(source);
  write_partial("tiny", source, size / 2, 1'000'000);  // recorded mtime differs
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->resumed_from_bytes, 0u);
  EXPECT_EQ(pulled->transferred_bytes, size);
  EXPECT_EQ(progress_.front(), 0u);
  ASSERT_FALSE(notices_.empty());
  EXPECT_NE(notices_.front().find("starting over"), std::string::npos);
}

TEST_F(ModelPullTest, APartialOfOtherBytesStartsOver) {
  const std::string source = write_model("tiny.gguf", 1);
  write_partial("tiny", source, 64, 0);
  write_bytes(store_->partial_path("tiny"), std::vector<uint8_t>(64, 'x'));  // not a GGUF start
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->transferred_bytes, fs::file_size(source));
  EXPECT_EQ(pulled->sha256, *sha256_of_file(source));
}

TEST_F(ModelPullTest, AShaMismatchIsRefusedAndNothingKept) {
  const std::string source = write_model("tiny.gguf", 1);
  const std::string wrong(64, 'a');
  options_.expected_sha256 = wrong;
  const Result<PullResult> pulled = pull(source);
  ASSERT_EQ(pulled.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(pulled.status().message().find(wrong), std::string::npos);
  EXPECT_NE(pulled.status().message().find(*sha256_of_file(source)), std::string::npos);
  expect_nothing_kept("tiny");
}

TEST_F(ModelPullTest, TheRightShaVerifies) {
  const std::string source = write_model("tiny.gguf", 1);
  std::string upper = *sha256_of_file(source);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  options_.expected_sha256 = upper;
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->expected_from, "--sha256");
}

TEST_F(ModelPullTest, ASidecarChecksTheCopy) {
  const std::string source = write_model("tiny.gguf", 1);
  std::ofstream(source + ".sha256") << *sha256_of_file(source) << "  tiny.gguf\n";
  const Result<PullResult> pulled = pull(source);
  ASSERT_TRUE(pulled.ok()) << pulled.status().to_string();
  EXPECT_EQ(pulled->expected_from, source + ".sha256");

  const std::string other = write_model("other.gguf", 2);
  std::ofstream(other + ".sha256") << std::string(64, 'b') << " *other.gguf\n";
  const Result<PullResult> refused = pull(other);
  EXPECT_EQ(refused.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(refused.status().message().find(other + ".sha256"), std::string::npos);
  EXPECT_FALSE(exists(models_dir_ + "/other.gguf"));

  std::ofstream(other + ".sha256") << std::string(64, 'b') << "  unrelated.gguf\n";
  EXPECT_EQ(pull(other).status().code(), ErrorCode::kDataLoss);  // a sidecar without our line is not ignored
}

TEST_F(ModelPullTest, NotGgufIsRefusedAtTheFirstChunk) {
  const std::string source = root_ + "/nas/page.gguf";
  write_bytes(source, std::vector<uint8_t>(1 << 20, '<'));
  const Result<PullResult> pulled = pull(source);
  ASSERT_EQ(pulled.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(pulled.status().message().find("not a GGUF file"), std::string::npos);
  for (uint64_t done : progress_) EXPECT_LE(done, 4096u);  // stopped before the second chunk
  expect_nothing_kept("page");
}

TEST_F(ModelPullTest, ATruncatedGgufIsRefused) {
  const std::string whole = write_model("whole.gguf", 1);
  std::vector<uint8_t> bytes = model::test::read_file_bytes(whole);
  bytes.resize(bytes.size() - 100);  // the header is intact; the last tensor's data is not
  const std::string source = root_ + "/nas/cut.gguf";
  write_bytes(source, bytes);
  const Result<PullResult> pulled = pull(source);
  ASSERT_EQ(pulled.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(pulled.status().message().find("not a valid GGUF file"), std::string::npos);
  expect_nothing_kept("cut");
}

TEST_F(ModelPullTest, AnExistingNameIsANoOpForTheSameContentAndRefusedForOther) {
  const std::string source = write_model("tiny.gguf", 1);
  ASSERT_TRUE(pull(source).ok());
  const Result<PullResult> again = pull(source);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->already_present);

  options_.expected_sha256 = *sha256_of_file(source);
  const Result<PullResult> known = pull(source);
  ASSERT_TRUE(known.ok());
  EXPECT_TRUE(known->already_present);
  EXPECT_FALSE(known->source_read);  // the name already holds what --sha256 asks for
  EXPECT_EQ(known->transferred_bytes, 0u);
  options_.expected_sha256.clear();

  const std::string other = write_model("other.gguf", 2);
  options_.name = "tiny";
  const Result<PullResult> refused = pull(other);
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  EXPECT_EQ(*sha256_of_file(models_dir_ + "/tiny.gguf"), *sha256_of_file(source));
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);
  EXPECT_TRUE(entries(models_dir_ + "/partial").empty());

  options_.force = true;
  const Result<PullResult> replaced = pull(other);
  ASSERT_TRUE(replaced.ok()) << replaced.status().to_string();
  EXPECT_EQ(*sha256_of_file(models_dir_ + "/tiny.gguf"), *sha256_of_file(other));
  EXPECT_TRUE(replaced->commit.replaced_blob_removed);
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);
}

// Issue 17, defect 6: --sha256 naming a blob already in the store used to link
// it without reading the source, so a mistyped hash gave the wrong model.
TEST_F(ModelPullTest, KnownContentIsLinkedOnlyAfterTheSourceIsVerified) {
  const std::string source = write_model("tiny.gguf", 1);
  ASSERT_TRUE(pull(source).ok());
  const std::string stored_sha = *sha256_of_file(source);
  options_.name = "alias";
  options_.expected_sha256 = stored_sha;

  EXPECT_EQ(pull(root_ + "/nas/absent.gguf").status().code(), ErrorCode::kNotFound);  // the source is opened
  EXPECT_FALSE(exists(models_dir_ + "/alias.gguf"));

  const std::string other = write_model("other.gguf", 2);  // the hash names another model than this source
  const Result<PullResult> refused = pull(other);
  ASSERT_EQ(refused.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(refused.status().message().find(stored_sha), std::string::npos);
  EXPECT_NE(refused.status().message().find(*sha256_of_file(other)), std::string::npos);
  EXPECT_FALSE(exists(models_dir_ + "/alias.gguf"));
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);
  EXPECT_TRUE(entries(models_dir_ + "/partial").empty());

  const Result<PullResult> linked = pull(source);
  ASSERT_TRUE(linked.ok()) << linked.status().to_string();
  EXPECT_TRUE(linked->source_read);
  EXPECT_TRUE(linked->commit.blob_existed);
  EXPECT_EQ(linked->transferred_bytes, fs::file_size(source));
  EXPECT_EQ(linked->size_bytes, fs::file_size(source));
  EXPECT_EQ(fs::read_symlink(models_dir_ + "/alias.gguf").string(), "blobs/sha256-" + stored_sha);
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);  // one blob for both names
  EXPECT_TRUE(entries(models_dir_ + "/partial").empty());
}

// Issue 17: a resumed download that proves wrong names the kept partial, not
// only the source (which may be fine).
TEST_F(ModelPullTest, AWrongResumedDownloadNamesThePartial) {
  const std::string source = write_model("tiny.gguf", 1);
  const uint64_t size = fs::file_size(source);
  const uint64_t kept = size / 2;
  write_partial("tiny", source, kept, 0);
  std::vector<uint8_t> damaged = model::test::read_file_bytes(source);
  damaged.resize(kept);
  damaged[kept - 1] ^= 0x5a;  // a flipped byte in the kept half; "GGUF" still starts it
  write_bytes(store_->partial_path("tiny"), damaged);
  options_.expected_sha256 = *sha256_of_file(source);
  const Result<PullResult> pulled = pull(source);
  ASSERT_EQ(pulled.status().code(), ErrorCode::kDataLoss);
  const std::string& message = pulled.status().message();
  EXPECT_NE(message.find("resumed from a partial download of " + std::to_string(kept) + " bytes"), std::string::npos)
      << message;
  EXPECT_NE(message.find("the partial download was deleted"), std::string::npos) << message;
  expect_nothing_kept("tiny");

  const Result<PullResult> again = pull(source);  // the next pull reads the source whole
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->transferred_bytes, size);
}

TEST_F(ModelPullTest, APlainFileIsReplacedOnlyWithForce) {
  fs::create_directories(models_dir_);
  const std::string hand = models_dir_ + "/hand.gguf";
  fs::copy_file(write_model("hand.gguf", 1), hand);
  const Result<PullResult> refused = pull(hand);
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(fs::symlink_status(hand).type(), fs::file_type::regular);

  options_.force = true;  // adopt the hand-placed file: it becomes a blob and a link
  const Result<PullResult> adopted = pull(hand);
  ASSERT_TRUE(adopted.ok()) << adopted.status().to_string();
  EXPECT_EQ(fs::read_symlink(hand).string(), "blobs/sha256-" + adopted->sha256);
  EXPECT_TRUE(adopted->commit.replaced_plain);
}

TEST_F(ModelPullTest, ASecondPullOfTheSameNameIsRefused) {
  const std::string source = write_model("tiny.gguf", 1);
  Result<FileLock> held = FileLock::try_acquire(store_->name_lock_path("tiny"), true);
  ASSERT_TRUE(held.ok());
  const Result<PullResult> pulled = pull(source);
  EXPECT_EQ(pulled.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(pulled.status().message().find("another pull"), std::string::npos);
}

TEST_F(ModelPullTest, BadNamesAndMissingSourcesAreRefused) {
  const std::string source = write_model("tiny.gguf", 1);
  for (const char* name : {"../escape", ".hidden", "a/b", "-x"}) {
    options_.name = name;
    EXPECT_EQ(pull(source).status().code(), ErrorCode::kInvalidArgument) << name;
  }
  options_.name.clear();
  EXPECT_EQ(pull(root_ + "/nas/absent.gguf").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(pull(root_ + "/nas").status().code(), ErrorCode::kInvalidArgument);  // a directory
  expect_nothing_kept("absent");
}

}  // namespace
}  // namespace hearth::store

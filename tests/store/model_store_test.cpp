// The store's layout: links into blobs/, read-only blobs, what list shows,
// and what rm removes (never a blob another name still links).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/model_store.h"
#include "store/partial_meta.h"
#include "store/sha256.h"
#include "store_test_files.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

class ModelStoreTest : public test::StoreFilesTest {
 protected:
  void SetUp() override {
    StoreFilesTest::SetUp();
    Result<ModelStore> opened = ModelStore::open(models_dir_, true);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_.emplace(*std::move(opened));
  }

  // Commits a copy of a fresh model file under `name`; returns its digest.
  std::string commit_copy(const std::string& name, uint64_t seed, bool replace = false) {
    const std::string source = write_model(name + "-" + std::to_string(seed) + ".gguf", seed);
    const std::string sha = *sha256_of_file(source);
    const std::string staged = models_dir_ + "/partial/staged";
    fs::copy_file(source, staged, fs::copy_options::overwrite_existing);
    const Result<CommitOutcome> committed = store_->commit(staged, sha, name, replace);
    EXPECT_TRUE(committed.ok()) << committed.status().to_string();
    return sha;
  }

  std::optional<ModelStore> store_;
};

TEST_F(ModelStoreTest, OpenWithoutCreateNeedsTheDirectory) {
  EXPECT_EQ(ModelStore::open(root_ + "/absent", false).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ModelStore::open("", true).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(exists(models_dir_ + "/blobs"));
  EXPECT_TRUE(exists(models_dir_ + "/partial"));
}

TEST_F(ModelStoreTest, CommitMakesAReadOnlyBlobAndARelativeLink) {
  const std::string sha = commit_copy("tiny", 1);
  const std::string link = models_dir_ + "/tiny.gguf";
  EXPECT_EQ(fs::read_symlink(link).string(), "blobs/sha256-" + sha);
  struct stat blob {};
  ASSERT_EQ(::stat(store_->blob_path(sha).c_str(), &blob), 0);
  EXPECT_EQ(blob.st_mode & 0777, 0444u);
  EXPECT_EQ(*sha256_of_file(link), sha);
  EXPECT_FALSE(exists(models_dir_ + "/partial/staged"));
  // No temp link is left behind, and nothing else appears beside the name.
  EXPECT_EQ(entries(models_dir_), (std::vector<std::string>{"blobs", "partial", "tiny.gguf"}));

  const Result<StoredModel> found = store_->find("tiny");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->kind, EntryKind::kStoreLink);
  EXPECT_EQ(found->sha256, sha);
  EXPECT_EQ(found->size_bytes, fs::file_size(link));
}

TEST_F(ModelStoreTest, SameContentUnderTwoNamesSharesOneBlob) {
  const std::string sha = commit_copy("a", 1);
  EXPECT_EQ(commit_copy("b", 1), sha);
  EXPECT_EQ(entries(models_dir_ + "/blobs").size(), 1u);
  EXPECT_EQ(*store_->names_linking(sha), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ModelStoreTest, RmKeepsABlobAnotherNameLinks) {
  const std::string sha = commit_copy("a", 1);
  ASSERT_TRUE(store_->link_existing(sha, "b", false).ok());
  const Result<RemoveOutcome> first = store_->remove("a", false);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(first->removed_name);
  EXPECT_FALSE(first->blob_removed);
  EXPECT_EQ(first->blob_still_linked_by, (std::vector<std::string>{"b"}));
  EXPECT_TRUE(exists(store_->blob_path(sha)));
  EXPECT_FALSE(exists(models_dir_ + "/a.gguf"));

  const Result<RemoveOutcome> second = store_->remove("b", false);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->blob_removed);
  EXPECT_FALSE(exists(store_->blob_path(sha)));
  EXPECT_EQ(store_->remove("b", false).status().code(), ErrorCode::kNotFound);
}

TEST_F(ModelStoreTest, AHandMadeLinkInAnyFormKeepsTheBlob) {
  const std::string sha = commit_copy("a", 1);
  fs::create_symlink(store_->blob_path(sha), models_dir_ + "/absolute.gguf");  // absolute, by hand
  ASSERT_TRUE(store_->remove("a", false).ok());
  EXPECT_TRUE(exists(store_->blob_path(sha)));
  EXPECT_EQ(store_->find("absolute")->kind, EntryKind::kOtherLink);
}

TEST_F(ModelStoreTest, OtherContentUnderANameNeedsReplace) {
  const std::string old_sha = commit_copy("tiny", 1);
  const std::string source = write_model("new.gguf", 2);
  const std::string new_sha = *sha256_of_file(source);
  const std::string staged = models_dir_ + "/partial/staged";
  fs::copy_file(source, staged);
  const Result<CommitOutcome> refused = store_->commit(staged, new_sha, "tiny", false);
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(exists(staged));  // refused before anything moved
  EXPECT_FALSE(exists(store_->blob_path(new_sha)));

  const Result<CommitOutcome> replaced = store_->commit(staged, new_sha, "tiny", true);
  ASSERT_TRUE(replaced.ok()) << replaced.status().to_string();
  EXPECT_EQ(replaced->replaced_sha256, old_sha);
  EXPECT_TRUE(replaced->replaced_blob_removed);  // no other name linked it
  EXPECT_FALSE(exists(store_->blob_path(old_sha)));
  EXPECT_EQ(store_->find("tiny")->sha256, new_sha);
}

TEST_F(ModelStoreTest, PlainFilesAreListedAndRemovedOnlyWithForce) {
  const std::string sha = commit_copy("stored", 1);
  fs::copy_file(write_model("hand.gguf", 2), models_dir_ + "/hand.gguf");
  fs::create_symlink(root_ + "/nowhere", models_dir_ + "/dangling.gguf");
  fs::create_directories(models_dir_ + "/dir.gguf");
  write_bytes(models_dir_ + "/notes.txt", {'x'});
  write_bytes(models_dir_ + "/.hidden.gguf", {'x'});

  const Result<std::vector<StoredModel>> listed = store_->list();
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "dangling");
  EXPECT_EQ((*listed)[0].kind, EntryKind::kBrokenLink);
  EXPECT_EQ((*listed)[1].name, "hand");
  EXPECT_EQ((*listed)[1].kind, EntryKind::kPlainFile);
  EXPECT_TRUE((*listed)[1].sha256.empty());
  EXPECT_EQ((*listed)[2].name, "stored");
  EXPECT_EQ((*listed)[2].sha256, sha);

  const Result<RemoveOutcome> refused = store_->remove("hand", false);
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  EXPECT_TRUE(exists(models_dir_ + "/hand.gguf"));
  EXPECT_TRUE(store_->remove("hand", true).ok());
  EXPECT_FALSE(exists(models_dir_ + "/hand.gguf"));
  EXPECT_TRUE(store_->remove("dangling", false).ok());  // a dangling link holds nothing
  EXPECT_EQ(store_->remove("dir", true).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->remove("../models/stored", true).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->find(".hidden").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, AnExternalLinkIsRemovedWithoutItsTarget) {
  const std::string target = write_model("nas.gguf", 3);
  fs::create_symlink(target, models_dir_ + "/nas.gguf");
  EXPECT_EQ(store_->find("nas")->kind, EntryKind::kOtherLink);
  EXPECT_EQ(store_->remove("nas", false).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(store_->remove("nas", true).ok());
  EXPECT_TRUE(exists(target));
}

TEST_F(ModelStoreTest, LinkExistingNeedsTheBlob) {
  EXPECT_EQ(store_->link_existing(std::string(64, 'a'), "x", false).status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(exists(models_dir_ + "/x.gguf"));
}

TEST_F(ModelStoreTest, PartialDownloadsAreListedAndRemovable) {
  write_bytes(store_->partial_path("half"), std::vector<uint8_t>(100, 'G'));
  PartialMeta meta;
  meta.source = "http://127.0.0.1:1/half.gguf";
  meta.size_bytes = 1000;
  ASSERT_TRUE(write_partial_meta(store_->partial_meta_path("half"), meta).ok());
  const Result<std::vector<PartialDownload>> partials = store_->list_partials();
  ASSERT_TRUE(partials.ok());
  ASSERT_EQ(partials->size(), 1u);
  EXPECT_EQ((*partials)[0].name, "half");
  EXPECT_EQ((*partials)[0].have_bytes, 100u);
  EXPECT_EQ((*partials)[0].size_bytes, 1000u);
  EXPECT_EQ((*partials)[0].source, meta.source);

  const Result<RemoveOutcome> removed = store_->remove("half", false);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_TRUE(removed->partial_removed);
  EXPECT_FALSE(removed->removed_name);
  EXPECT_TRUE(entries(models_dir_ + "/partial").empty());
}

}  // namespace
}  // namespace hearth::store

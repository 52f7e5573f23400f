// media::OcrEngine with Debian's tesseract-ocr-eng on the rendered corpus
// (ocr_corpus.h): the character error rate of every clean page at most 2%,
// a multi-page PDF page by page, the pages asked for, limits, drain.
// Labelled slow: tesseract reads a dozen pages (tens of seconds on one core).
#include "media/ocr_engine.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <future>

#include "ocr_corpus.h"

namespace hearth::media {
namespace {

constexpr double kCleanPageMaxCer = 0.02;
constexpr double kNoisyPageMaxCer = 0.10;

OcrEngineOptions english() {
  OcrEngineOptions options;
  options.tessdata_dir = find_tessdata_dir("eng");
  return options;
}

Result<infer::OcrResult> read(infer::Engine& engine, infer::OcrRequest request) {
  std::promise<Result<infer::OcrResult>> promise;
  auto future = promise.get_future();
  Status queued = engine.ocr(std::move(request),
                             [&promise](Result<infer::OcrResult> result) { promise.set_value(std::move(result)); });
  if (!queued.ok()) return queued;
  return future.get();
}

class OcrEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(english().tessdata_dir.empty()) << "tesseract's English model is missing (scripts/setup installs it)";
    auto created = OcrEngine::create(english());
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    engine_ = std::move(created).value();
  }
  std::unique_ptr<OcrEngine> engine_;
};

TEST_F(OcrEngineTest, ReadsTheCorpusWithinTheErrorRate) {
  for (const testing::CorpusPage& page : testing::corpus_pages(200)) {
    auto result = read(*engine_, {.document = page.png});
    ASSERT_TRUE(result.ok()) << page.name << ": " << result.status().to_string();
    ASSERT_EQ(result->pages.size(), 1u);
    const infer::OcrPage& read_page = result->pages[0];
    EXPECT_EQ(read_page.index, 0);
    EXPECT_GT(read_page.width, 0);
    const double cer = testing::character_error_rate(page.expected, read_page.markdown);
    std::printf("[ocr corpus] %-22s CER %.4f\n", page.name.c_str(), cer);
    EXPECT_LE(cer, page.clean ? kCleanPageMaxCer : kNoisyPageMaxCer)
        << page.name << "\nexpected: " << page.expected << "\nread:     " << read_page.markdown;
  }
}

TEST_F(OcrEngineTest, ReadsAMultiPagePdfPageByPage) {
  const std::vector<std::string> texts = {testing::corpus_text(101, 50), testing::corpus_text(102, 50),
                                          testing::corpus_text(103, 50)};
  const std::string pdf = testing::render_text_pdf(texts, "DejaVu Serif 12");
  auto all = read(*engine_, {.document = pdf});
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  ASSERT_EQ(all->pages.size(), 3u);
  EXPECT_EQ(all->doc_size_bytes, static_cast<int64_t>(pdf.size()));
  for (size_t page_idx = 0; page_idx < 3; ++page_idx) {
    EXPECT_EQ(all->pages[page_idx].index, static_cast<int32_t>(page_idx));
    EXPECT_EQ(all->pages[page_idx].dpi, 200);
    const double cer = testing::character_error_rate(texts[page_idx], all->pages[page_idx].markdown);
    EXPECT_LE(cer, kCleanPageMaxCer) << "page " << page_idx << ": " << all->pages[page_idx].markdown;
  }
  // Only the pages asked for, in the order asked.
  auto some = read(*engine_, {.document = pdf, .pages = {2, 0}});
  ASSERT_TRUE(some.ok()) << some.status().to_string();
  ASSERT_EQ(some->pages.size(), 2u);
  EXPECT_EQ(some->pages[0].index, 2);
  EXPECT_EQ(some->pages[1].index, 0);
  EXPECT_EQ(some->pages[0].markdown, all->pages[2].markdown);
  auto missing = read(*engine_, {.document = pdf, .pages = {3}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(missing.status().message().find("page 3 is not in the document"), std::string::npos);
}

TEST_F(OcrEngineTest, KeepsItsMemoryWithinTheEstimate) {
  auto estimate = ocr_memory_estimate(english());
  ASSERT_TRUE(estimate.ok());
  EXPECT_EQ(engine_->memory().scratch_bytes, 0);  // nothing read yet
  auto result = read(*engine_, {.document = testing::render_text_png("Memory", "DejaVu Sans 12", 200)});
  ASSERT_TRUE(result.ok());
  const infer::EngineMemory held = engine_->memory();
  EXPECT_EQ(held.weights_bytes, estimate->weights_bytes);
  EXPECT_GT(held.scratch_bytes, 0);
  EXPECT_LE(held.total_bytes(), estimate->total_bytes());
  EXPECT_EQ(engine_->stats().n_steps_total, 1);
}

TEST(OcrEngineLimitsTest, RefusesTooManyPagesAndAnUnreadableDocument) {
  OcrEngineOptions options = english();
  options.limits.max_pages = 2;
  auto engine = OcrEngine::create(options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const std::string pdf = testing::render_text_pdf({"a", "b", "c"}, "DejaVu Sans 12");
  auto too_many = read(**engine, {.document = pdf});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(too_many.status().message().find("at most 2"), std::string::npos) << too_many.status().message();
  auto garbage = read(**engine, {.document = "not a document"});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), ErrorCode::kInvalidArgument);
}

TEST(OcrEngineLimitsTest, RefusesAMissingLanguage) {
  OcrEngineOptions options = english();
  options.language = "xx-none";
  auto engine = OcrEngine::create(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), ErrorCode::kNotFound);
}

TEST(OcrEngineLimitsTest, DrainCancelsWhatIsQueued) {
  auto engine = OcrEngine::create(english());
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->drain(0, "stopping"), 0);
  auto after = (*engine)->ocr({.document = "x"}, [](Result<infer::OcrResult>) {});
  EXPECT_EQ(after.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hearth::media

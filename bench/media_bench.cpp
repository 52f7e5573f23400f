// The OCR and speech engines' speed, for docs/benchmarks.md (bench/media_bench.sh runs it):
//   OCR: pages per second over the test corpus (tests/media/ocr_corpus.h: six clean pages in
//        several fonts and sizes, a noisy scan, two columns, a table; A5 at 200 dpi) and a
//        three-page PDF, with each page's character error rate;
//   TTS: eSpeak NG's real-time factor (synthesis wall time / audio time) per output format for
//        a paragraph of about 100 words.
// One engine, one thread each (as hearth serve runs them). Prints markdown tables.
#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include "media/ocr_engine.h"
#include "media/speech_engine.h"
#include "ocr_corpus.h"

namespace {

using namespace hearth;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result<infer::OcrResult> read(infer::Engine& engine, infer::OcrRequest request) {
  std::promise<Result<infer::OcrResult>> promise;
  auto future = promise.get_future();
  Status queued =
      engine.ocr(std::move(request), [&](Result<infer::OcrResult> result) { promise.set_value(std::move(result)); });
  if (!queued.ok()) return queued;
  return future.get();
}

struct Timed final : infer::SpeechObserver {
  std::promise<std::pair<Status, double>> done;
  int64_t n_bytes = 0;
  bool on_audio(std::string_view bytes) override {
    n_bytes += static_cast<int64_t>(bytes.size());
    return true;
  }
  void on_finish(Status status, double seconds) override { done.set_value({std::move(status), seconds}); }
};

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  media::OcrEngineOptions ocr_options;
  ocr_options.tessdata_dir = media::find_tessdata_dir("eng");
  auto ocr = media::OcrEngine::create(ocr_options);
  if (!ocr.ok()) {
    std::fprintf(stderr, "media_bench: %s\n", ocr.status().to_string().c_str());
    return 1;
  }
  std::printf(
      "OCR (tesseract-eng, %d rep%s per page)\n\n| page | pixels | s/page | pages/s | CER |\n|---|---|---|---|---|\n",
      reps, reps == 1 ? "" : "s");
  int64_t n_pages = 0;
  double total_s = 0;
  for (const media::testing::CorpusPage& page : media::testing::corpus_pages(200)) {
    double page_s = 0;
    std::string markdown;
    int32_t width = 0;
    int32_t height = 0;
    for (int rep = 0; rep < reps; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      auto result = read(**ocr, {.document = page.png});
      page_s += seconds_since(start);
      if (!result.ok()) {
        std::fprintf(stderr, "media_bench: %s: %s\n", page.name.c_str(), result.status().to_string().c_str());
        return 1;
      }
      markdown = result->pages[0].markdown;
      width = result->pages[0].width;
      height = result->pages[0].height;
    }
    n_pages += reps;
    total_s += page_s;
    std::printf("| %s | %dx%d | %.3f | %.2f | %.4f |\n", page.name.c_str(), width, height, page_s / reps, reps / page_s,
                media::testing::character_error_rate(page.expected, markdown));
  }
  {
    const std::vector<std::string> texts = {media::testing::corpus_text(101, 60), media::testing::corpus_text(102, 60),
                                            media::testing::corpus_text(103, 60)};
    const std::string pdf = media::testing::render_text_pdf(texts, "DejaVu Serif 12");
    double pdf_s = 0;
    double worst_cer = 0;
    int32_t width = 0;
    int32_t height = 0;
    for (int rep = 0; rep < reps; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      auto result = read(**ocr, {.document = pdf});
      pdf_s += seconds_since(start);
      if (!result.ok()) return 1;
      width = result->pages[0].width;
      height = result->pages[0].height;
      for (size_t idx = 0; idx < texts.size(); ++idx) {
        worst_cer = std::max(worst_cer, media::testing::character_error_rate(texts[idx], result->pages[idx].markdown));
      }
    }
    n_pages += 3 * reps;
    total_s += pdf_s;
    std::printf("| 3-page PDF (rendered by Poppler) | %dx%d | %.3f | %.2f | %.4f (worst page) |\n", width, height,
                pdf_s / (3 * reps), 3 * reps / pdf_s, worst_cer);
  }
  std::printf("| **all** | | %.3f | **%.2f** | |\n\n", total_s / n_pages, n_pages / total_s);
  (*ocr)->drain(0, "done");
  ocr->reset();

  media::SpeechEngineOptions speech_options;
  speech_options.espeak_data_dir = media::find_espeak_data_dir();
  auto speech = media::SpeechEngine::create(speech_options);
  if (!speech.ok()) {
    std::fprintf(stderr, "media_bench: %s\n", speech.status().to_string().c_str());
    return 1;
  }
  const std::string paragraph = media::testing::corpus_text(7, 100);
  std::printf(
      "TTS (espeak-ng, voice alloy, %zu characters, %d rep%s)\n\n| format | audio s | synth+encode s | real-time "
      "factor | bytes |\n|---|---|---|---|---|\n",
      paragraph.size(), reps, reps == 1 ? "" : "s");
  for (infer::AudioFormat format : {infer::AudioFormat::kPcm, infer::AudioFormat::kWav, infer::AudioFormat::kMp3,
                                    infer::AudioFormat::kOpus, infer::AudioFormat::kAac, infer::AudioFormat::kFlac}) {
    double wall_s = 0;
    double audio_s = 0;
    int64_t n_bytes = 0;
    for (int rep = 0; rep < reps; ++rep) {
      auto observer = std::make_shared<Timed>();
      auto finished = observer->done.get_future();
      const auto start = std::chrono::steady_clock::now();
      Status queued = (*speech)->speak({.input = paragraph, .voice = "alloy", .format = format}, observer);
      if (!queued.ok()) return 1;
      auto [status, seconds] = finished.get();
      wall_s += seconds_since(start);
      if (!status.ok()) {
        std::fprintf(stderr, "media_bench: %s\n", status.to_string().c_str());
        return 1;
      }
      audio_s += seconds;
      n_bytes = observer->n_bytes;
    }
    std::printf("| %s | %.2f | %.3f | %.4f | %lld |\n", std::string(infer::audio_format_name(format)).c_str(),
                audio_s / reps, wall_s / reps, wall_s / audio_s, static_cast<long long>(n_bytes));
  }
  return 0;
}

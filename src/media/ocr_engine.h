// OcrEngine: Tesseract 5 as an infer::Engine (Capability::kOcr). A request's
// document is opened (media::Document: sniffed, checked against the limits),
// each asked-for page rendered and recognized with tesseract's LSTM model of
// the engine's language, automatic page segmentation (columns, tables as
// text blocks); the text of each page comes back as markdown: paragraphs
// separated by a blank line.
//
// One worker thread per engine owns one TessBaseAPI (tesseract's API object
// is not thread-safe); requests queue up to max_queued. A page whose
// recognition runs past limits.page_timeout_ms is an error naming the page.
//
// Memory: tesseract does not report its allocations, so the engine holds to
// an estimate (ocr_memory_estimate, documented in docs/speech-and-ocr.md):
// the language model's file read into memory (its bytes times
// kOcrModelExpansion) and, per page, kOcrBytesPerPixel bytes for each pixel of
// the largest page allowed. memory() reports the same terms, its scratch as
// grown so far (the largest page read yet), never more than the estimate.
//
//   OcrEngineOptions options;
//   options.tessdata_dir = "/usr/share/tesseract-ocr/5/tessdata";
//   HEARTH_ASSIGN_OR_RETURN(auto engine, OcrEngine::create(options));
//   engine->ocr({.document = pdf_bytes}, [](Result<infer::OcrResult> pages) { ... });
//
// Thread-safety: as infer::Engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "infer/engine.h"
#include "media/document_limits.h"
#include "media/serial_worker.h"

namespace tesseract {
class TessBaseAPI;
}

namespace hearth::media {

// The memory estimate's factors (see above).
inline constexpr int64_t kOcrModelExpansion = 4;
inline constexpr int64_t kOcrModelFixedBytes = int64_t{48} << 20;  // tesseract's own tables and dictionaries
inline constexpr int64_t kOcrBytesPerPixel = 12;
// The resolution an image that states none is read at (a typical scan's).
inline constexpr int32_t kOcrDefaultDpi = 300;

struct OcrEngineOptions {
  std::string tessdata_dir;  // holds <language>.traineddata
  std::string language = "eng";
  DocumentLimits limits;
  int32_t max_queued = 16;
};

// Where Debian's tesseract-ocr-<lang> packages put their models, or
// $TESSDATA_PREFIX when set; empty when no <language>.traineddata is found.
std::string find_tessdata_dir(const std::string& language);

// The estimate the planner budgets for an engine with these options;
// kNotFound when the language's model file is missing.
Result<infer::EngineMemory> ocr_memory_estimate(const OcrEngineOptions& options);

class OcrEngine final : public infer::Engine {
 public:
  // Loads the language model. kNotFound when its file is missing, kInvalidArgument when tesseract refuses it.
  static Result<std::unique_ptr<OcrEngine>> create(const OcrEngineOptions& options);
  ~OcrEngine() override;

  model::Capabilities capabilities() const override { return model::capability_bit(model::Capability::kOcr); }
  infer::EngineMemory memory() const override;
  infer::EngineStats stats() const override;
  int64_t n_ctx() const override { return 0; }
  Status ocr(infer::OcrRequest&& request, infer::OcrCallback done) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

 private:
  OcrEngine(const OcrEngineOptions& options, infer::EngineMemory estimate);
  // Worker thread: the whole request.
  Result<infer::OcrResult> read_document(infer::OcrRequest& request, const std::atomic<bool>& cancelled);

  const OcrEngineOptions options_;
  const infer::EngineMemory estimate_;
  std::unique_ptr<tesseract::TessBaseAPI> api_;  // worker thread only (after create)
  std::atomic<int64_t> largest_page_pixels_{0};
  std::atomic<int64_t> n_pages_total_{0};
  SerialWorker worker_;  // last: its thread stops before the API it uses is destroyed
};

}  // namespace hearth::media

#include "media/ocr_engine.h"

#include <leptonica/allheaders.h>
#include <sys/stat.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>

#include "media/document.h"

namespace hearth::media {
namespace {

int64_t file_bytes(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return -1;
  return static_cast<int64_t>(info.st_size);
}

std::string model_path(const std::string& dir, const std::string& language) {
  return dir + "/" + language + ".traineddata";
}

// Tesseract's text: lines end with '\n', paragraphs with an empty line. As
// markdown: trailing spaces cut (two would be a hard break), runs of empty
// lines one, no blank start or end.
std::string text_to_markdown(std::string_view text) {
  std::string out;
  size_t n_blank = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' || line.back() == '\f')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && line.front() == '\f') line.remove_prefix(1);
    if (line.empty()) {
      ++n_blank;
    } else {
      if (!out.empty()) out += n_blank > 0 ? "\n\n" : "\n";
      out += line;
      n_blank = 0;
    }
    pos = end + 1;
  }
  return out;
}

struct RecognitionWatch {
  const std::atomic<bool>* cancelled = nullptr;
};

bool cancel_recognition(void* watch, int /*words*/) { return static_cast<RecognitionWatch*>(watch)->cancelled->load(); }

}  // namespace

std::string find_tessdata_dir(const std::string& language) {
  std::vector<std::string> candidates;
  if (const char* prefix = std::getenv("TESSDATA_PREFIX"); prefix != nullptr && *prefix != '\0') {
    candidates.emplace_back(prefix);
    candidates.push_back(std::string(prefix) + "/tessdata");
  }
  // Debian 12's tesseract-ocr-<lang> packages (tesseract 5), then older layouts.
  for (const char* dir : {"/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                          "/usr/share/tessdata", "/usr/local/share/tessdata"}) {
    candidates.emplace_back(dir);
  }
  for (const std::string& dir : candidates) {
    if (file_bytes(model_path(dir, language)) > 0) return dir;
  }
  return {};
}

Result<infer::EngineMemory> ocr_memory_estimate(const OcrEngineOptions& options) {
  const int64_t model_bytes = file_bytes(model_path(options.tessdata_dir, options.language));
  if (model_bytes <= 0) {
    return not_found_error("tesseract's model for '" + options.language + "' is not at " +
                           model_path(options.tessdata_dir, options.language) + " (Debian: apt install tesseract-ocr-" +
                           options.language + ")");
  }
  infer::EngineMemory memory;
  memory.weights_bytes = model_bytes * kOcrModelExpansion + kOcrModelFixedBytes;
  memory.scratch_bytes = options.limits.max_page_pixels * kOcrBytesPerPixel;
  return memory;
}

OcrEngine::OcrEngine(const OcrEngineOptions& options, infer::EngineMemory estimate)
    : options_(options), estimate_(estimate), worker_(options.max_queued) {}

OcrEngine::~OcrEngine() { worker_.drain(0, "the engine is being destroyed"); }

Result<std::unique_ptr<OcrEngine>> OcrEngine::create(const OcrEngineOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(infer::EngineMemory estimate, ocr_memory_estimate(options));
  if (options.max_queued < 1) return invalid_argument_error("the OCR engine's queue must hold at least one request");
  std::unique_ptr<OcrEngine> engine(new OcrEngine(options, estimate));
  engine->api_ = std::make_unique<tesseract::TessBaseAPI>();
  // Init reads the model now, on this thread; the worker uses it only after
  // the queue hands it a job (the queue's mutex orders the two).
  if (engine->api_->Init(options.tessdata_dir.c_str(), options.language.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    return invalid_argument_error("tesseract cannot load its model " +
                                  model_path(options.tessdata_dir, options.language));
  }
  engine->api_->SetPageSegMode(tesseract::PSM_AUTO);
  // Tesseract's own notes ("Estimating resolution as ...") would go to stderr for every page.
  engine->api_->SetVariable("debug_file", "/dev/null");
  return engine;
}

infer::EngineMemory OcrEngine::memory() const {
  infer::EngineMemory memory = estimate_;
  memory.scratch_bytes = std::min(estimate_.scratch_bytes, largest_page_pixels_.load() * kOcrBytesPerPixel);
  return memory;
}

infer::EngineStats OcrEngine::stats() const {
  infer::EngineStats stats;
  stats.n_running = worker_.running() ? 1 : 0;
  stats.n_waiting = worker_.n_waiting();
  stats.n_steps_total = n_pages_total_.load();
  return stats;
}

Status OcrEngine::ocr(infer::OcrRequest&& request, infer::OcrCallback done) {
  auto shared_done = std::make_shared<infer::OcrCallback>(std::move(done));
  auto shared_request = std::make_shared<infer::OcrRequest>(std::move(request));
  SerialWorker::Job job;
  job.run = [this, shared_request, shared_done](const std::atomic<bool>& cancelled) {
    (*shared_done)(read_document(*shared_request, cancelled));
  };
  job.cancel = [shared_done](Status why) { (*shared_done)(std::move(why)); };
  return worker_.post(std::move(job));
}

Result<infer::OcrResult> OcrEngine::read_document(infer::OcrRequest& request, const std::atomic<bool>& cancelled) {
  HEARTH_ASSIGN_OR_RETURN(Document doc, Document::open(std::move(request.document), options_.limits));
  std::vector<int32_t> pages = request.pages;
  if (pages.empty()) {
    for (int32_t page = 0; page < doc.page_count(); ++page) pages.push_back(page);
  }
  if (static_cast<int64_t>(pages.size()) > options_.limits.max_pages) {
    return out_of_range_error("the request reads " + std::to_string(pages.size()) + " pages; at most " +
                              std::to_string(options_.limits.max_pages) + " are read in one request");
  }
  for (int32_t page : pages) {
    if (page < 0 || page >= doc.page_count()) {
      return out_of_range_error("page " + std::to_string(page) + " is not in the document, which has " +
                                std::to_string(doc.page_count()) + (doc.page_count() == 1 ? " page" : " pages"));
    }
  }
  infer::OcrResult result;
  result.doc_size_bytes = doc.size_bytes();
  for (int32_t page : pages) {
    if (cancelled) return unavailable_error("the OCR engine was stopped");
    HEARTH_ASSIGN_OR_RETURN(PageRaster raster, doc.render(page));
    largest_page_pixels_ = std::max(largest_page_pixels_.load(), int64_t{raster.width} * raster.height);
    api_->SetImage(raster.pix.get());
    // An image that states no resolution is read as a scan at kOcrDefaultDpi: tesseract's own
    // estimate (from letter heights) splits ruled tables into cells and loses some of their text.
    const int32_t dpi = raster.dpi > 0 ? raster.dpi : kOcrDefaultDpi;
    api_->SetSourceResolution(dpi);
    RecognitionWatch watch{&cancelled};
    tesseract::ETEXT_DESC monitor;
    monitor.cancel = cancel_recognition;
    monitor.cancel_this = &watch;
    monitor.set_deadline_msecs(static_cast<int32_t>(std::min<int64_t>(options_.limits.page_timeout_ms, 1 << 30)));
    const int recognized = api_->Recognize(&monitor);
    if (cancelled) {
      api_->Clear();
      return unavailable_error("the OCR engine was stopped");
    }
    if (recognized != 0 || monitor.deadline_exceeded()) {
      api_->Clear();
      return out_of_range_error("page " + std::to_string(page) + " could not be read within " +
                                std::to_string(options_.limits.page_timeout_ms) + " ms");
    }
    std::unique_ptr<char[]> text(api_->GetUTF8Text());
    infer::OcrPage out;
    out.index = page;
    out.markdown = text ? text_to_markdown(text.get()) : std::string();
    out.dpi = dpi;
    out.width = raster.width;
    out.height = raster.height;
    api_->Clear();
    ++n_pages_total_;
    result.pages.push_back(std::move(out));
  }
  return result;
}

int32_t OcrEngine::drain(int64_t timeout_ms, std::string_view reason) { return worker_.drain(timeout_ms, reason); }

}  // namespace hearth::media

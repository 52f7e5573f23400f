#include "media/speech_engine.h"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "media/audio_encoder.h"

namespace hearth::media {
namespace {

// eSpeak NG's state is the process's: one engine at a time owns it.
std::atomic<bool> g_espeak_owned{false};

// eSpeak NG is started once per process and never terminated: its
// espeak_ng_Terminate waits forever for its internal thread when the output
// is synchronous (1.51, Debian 12). The sample rate it runs at, or the error
// that stopped it (the first data folder given wins).
struct EspeakStart {
  Status status;
  int32_t sample_rate = 0;
};

bool is_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string espeak_status_text(espeak_ng_STATUS status) {
  char text[512] = {};
  espeak_ng_GetStatusCodeMessage(status, text, sizeof(text));
  return text;
}

// One synthesis in progress, as the callback sees it (through user_data).
struct Synthesis {
  AudioEncoder* encoder = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  Status status;  // the first failure; the callback then aborts
};

int on_samples(short* wav, int n_samples, espeak_EVENT* events) {
  // The events list always holds at least its terminator, which carries user_data too.
  auto* synthesis = static_cast<Synthesis*>(events->user_data);
  if (synthesis == nullptr) return 1;
  if (synthesis->cancelled->load()) {
    synthesis->status = unavailable_error("the speech engine was stopped");
    return 1;
  }
  if (wav == nullptr || n_samples <= 0) return 0;
  Status written = synthesis->encoder->write(std::span<const int16_t>(wav, static_cast<size_t>(n_samples)));
  if (!written.ok()) {
    synthesis->status = std::move(written);
    return 1;
  }
  return 0;
}

EspeakVoiceSet list_voices() {
  EspeakVoiceSet voices;
  if (const espeak_VOICE** all = espeak_ListVoices(nullptr); all != nullptr) {
    for (const espeak_VOICE** voice = all; *voice != nullptr; ++voice) {
      // languages: a priority byte, then a NUL-terminated name, repeated; a 0 priority ends it.
      const char* entry = (*voice)->languages;
      while (entry != nullptr && *entry != '\0') {
        const char* language = entry + 1;
        if (*language != '\0') voices.languages.insert(language);
        entry = language + std::strlen(language) + 1;
      }
    }
  }
  espeak_VOICE spec{};
  spec.languages = "variant";
  if (const espeak_VOICE** variants = espeak_ListVoices(&spec); variants != nullptr) {
    for (const espeak_VOICE** variant = variants; *variant != nullptr; ++variant) {
      const std::string_view identifier = (*variant)->identifier != nullptr ? (*variant)->identifier : "";
      const size_t slash = identifier.rfind('/');
      const std::string_view name = slash == std::string_view::npos ? identifier : identifier.substr(slash + 1);
      if (!name.empty()) voices.variants.insert(std::string(name));
    }
  }
  return voices;
}

}  // namespace

std::string find_espeak_data_dir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("ESPEAK_DATA_PATH"); env != nullptr && *env != '\0') candidates.emplace_back(env);
  // Debian 12's espeak-ng-data package.
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/share",
                          "/usr/local/share", "/opt/homebrew/share"}) {
    candidates.emplace_back(dir);
  }
  for (const std::string& dir : candidates) {
    if (is_file(dir + "/espeak-ng-data/phontab")) return dir;
  }
  return {};
}

infer::EngineMemory speech_memory_estimate() {
  infer::EngineMemory memory;
  memory.weights_bytes = kSpeechWeightsBytes;
  memory.scratch_bytes = kSpeechScratchBytes;
  return memory;
}

SpeechEngine::SpeechEngine(const SpeechEngineOptions& options) : options_(options), worker_(options.max_queued) {}

SpeechEngine::~SpeechEngine() {
  worker_.drain(0, "the engine is being destroyed");  // no synthesis runs past here
  g_espeak_owned = false;                             // eSpeak NG itself stays started (see EspeakStart)
}

Result<std::unique_ptr<SpeechEngine>> SpeechEngine::create(const SpeechEngineOptions& options) {
  if (!is_file(options.espeak_data_dir + "/espeak-ng-data/phontab")) {
    return not_found_error("eSpeak NG's data is not in " + options.espeak_data_dir +
                           "/espeak-ng-data (Debian: apt install espeak-ng-data)");
  }
  if (options.max_queued < 1) return invalid_argument_error("the speech engine's queue must hold at least one request");
  bool expected = false;
  if (!g_espeak_owned.compare_exchange_strong(expected, true)) {
    return failed_precondition_error("eSpeak NG is in use by another speech engine of this process");
  }
  static EspeakStart started;
  static std::once_flag once;
  std::call_once(once, [&options] {
    espeak_ng_InitializePath(options.espeak_data_dir.c_str());
    espeak_ng_ERROR_CONTEXT context = nullptr;
    espeak_ng_STATUS status = espeak_ng_Initialize(&context);
    espeak_ng_ClearErrorContext(&context);
    if (status != ENS_OK) {
      started.status = not_found_error("eSpeak NG cannot start: " + espeak_status_text(status));
      return;
    }
    // Synchronous: each synthesis calls back with pieces of at most 100 ms as it goes.
    status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 100, nullptr);
    if (status != ENS_OK) {
      started.status = internal_error("eSpeak NG's output cannot start: " + espeak_status_text(status));
      return;
    }
    espeak_SetSynthCallback(on_samples);
    started.sample_rate = espeak_ng_GetSampleRate();
  });
  if (!started.status.ok()) {
    g_espeak_owned = false;
    return started.status;
  }
  std::unique_ptr<SpeechEngine> engine(new SpeechEngine(options));
  engine->sample_rate_ = started.sample_rate;
  engine->voices_ = list_voices();
  if (engine->voices_.languages.empty()) return not_found_error("eSpeak NG lists no voices");
  return engine;
}

infer::EngineStats SpeechEngine::stats() const {
  infer::EngineStats stats;
  stats.n_running = worker_.running() ? 1 : 0;
  stats.n_waiting = worker_.n_waiting();
  stats.n_steps_total = n_requests_total_.load();
  return stats;
}

Status SpeechEngine::speak(infer::SpeechRequest&& request, std::shared_ptr<infer::SpeechObserver> observer) {
  std::optional<std::string> voice = resolve_voice(voices_, request.voice);
  if (!voice) {
    return invalid_argument_error("'" + request.voice +
                                  "' is not a voice of eSpeak NG here: use one of OpenAI's names (alloy, ash, ballad, "
                                  "coral, echo, fable, onyx, nova, sage, shimmer, verse, marin, cedar) or an eSpeak NG "
                                  "language such as en-us, de or fr, optionally with a variant (en-us+f3)");
  }
  const double wpm = kEspeakDefaultWpm * request.speed;
  if (!std::isfinite(wpm) || std::lround(wpm) < kEspeakMinWpm || std::lround(wpm) > kEspeakMaxWpm) {
    return invalid_argument_error("speed " + std::to_string(request.speed) + " is beyond what eSpeak NG can speak (" +
                                  std::to_string(kEspeakMinWpm) + " to " + std::to_string(kEspeakMaxWpm) +
                                  " words per minute: speed 0.46 to 2.57)");
  }
  if (request.input.empty()) return invalid_argument_error("the input is empty");
  int64_t n_chars = 0;  // UTF-8 code points: every byte that does not continue one
  for (const char byte : request.input) n_chars += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  if (n_chars > options_.max_input_chars) {
    return invalid_argument_error("the input has " + std::to_string(n_chars) + " characters; at most " +
                                  std::to_string(options_.max_input_chars) + " are spoken in one request");
  }
  const auto rate_wpm = static_cast<int32_t>(std::lround(wpm));
  auto shared_request = std::make_shared<infer::SpeechRequest>(std::move(request));
  SerialWorker::Job job;
  job.run = [this, shared_request, observer, voice = *voice, rate_wpm](const std::atomic<bool>& cancelled) {
    synthesize(*shared_request, voice, rate_wpm, *observer, cancelled);
  };
  job.cancel = [observer](Status why) { observer->on_finish(std::move(why), 0.0); };
  return worker_.post(std::move(job));
}

void SpeechEngine::synthesize(const infer::SpeechRequest& request, const std::string& voice, int32_t rate_wpm,
                              infer::SpeechObserver& observer, const std::atomic<bool>& cancelled) {
  ++n_requests_total_;
  auto encoder = AudioEncoder::create(request.format, sample_rate_,
                                      [&observer](std::string_view bytes) { return observer.on_audio(bytes); });
  if (!encoder.ok()) {
    observer.on_finish(encoder.status(), 0.0);
    return;
  }
  espeak_ng_STATUS status = espeak_ng_SetVoiceByName(voice.c_str());
  if (status != ENS_OK) {
    observer.on_finish(
        invalid_argument_error("eSpeak NG cannot use the voice '" + voice + "': " + espeak_status_text(status)), 0.0);
    return;
  }
  espeak_ng_SetParameter(espeakRATE, rate_wpm, 0);
  Synthesis synthesis;
  synthesis.encoder = encoder->get();
  synthesis.cancelled = &cancelled;
  // Plain text: no SSML, no phoneme mnemonics, whatever the input holds.
  status = espeak_ng_Synthesize(request.input.c_str(), request.input.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                nullptr, &synthesis);
  if (!synthesis.status.ok()) {
    observer.on_finish(std::move(synthesis.status), 0.0);
    return;
  }
  if (status != ENS_OK) {
    observer.on_finish(internal_error("eSpeak NG failed: " + espeak_status_text(status)), 0.0);
    return;
  }
  Status finished = (*encoder)->finish();
  const double seconds = static_cast<double>((*encoder)->n_output_samples()) / kSpeechSampleRate;
  observer.on_finish(std::move(finished), seconds);
}

int32_t SpeechEngine::drain(int64_t timeout_ms, std::string_view reason) { return worker_.drain(timeout_ms, reason); }

}  // namespace hearth::media

#include "cli/transcribe_command.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/read_bandwidth.h"
#include "media/wav_reader.h"
#include "media/whisper_transcriber.h"

namespace hearth::cli {
namespace {

struct TranscribeArgs {
  std::string model_path;
  std::string audio_path;
  std::string language;
  std::string prompt;
  bool translate = false;
  bool no_timestamps = false;
  std::vector<float> temperatures;
  int n_threads = 0;
  double max_seconds = 3 * 3600;
  bool json = false;
};

std::string clock_text(double seconds) {
  const auto ms = static_cast<int64_t>(seconds * 1000.0 + 0.5);
  char out[32];
  std::snprintf(out, sizeof(out), "%02lld:%02lld.%03lld", static_cast<long long>(ms / 60000),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return out;
}

// CPU seconds this process has used (user + system, every thread): on a shared machine the
// benchmark's load-independent measure next to wall time.
double process_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

int run_transcribe(const TranscribeArgs& args) {
  const int n_threads = args.n_threads > 0 ? args.n_threads : static_cast<int>(std::thread::hardware_concurrency());
  const auto t_start = std::chrono::steady_clock::now();
  auto model = media::WhisperModel::load(args.model_path);
  if (!model.ok()) {
    std::fprintf(stderr, "hearth transcribe: %s: %s\n", args.model_path.c_str(), model.status().message().c_str());
    return 1;
  }
  const auto max_samples = static_cast<int64_t>(args.max_seconds * media::kWhisperSampleRate);
  auto audio = media::read_wav_file(args.audio_path, max_samples);
  if (!audio.ok()) {
    std::fprintf(stderr, "hearth transcribe: %s: %s\n", args.audio_path.c_str(), audio.status().message().c_str());
    return 1;
  }
  if (audio->sample_rate != media::kWhisperSampleRate) {
    std::fprintf(stderr, "hearth transcribe: %s is %lld Hz; Whisper reads 16000 Hz (resample it first)\n",
                 args.audio_path.c_str(), static_cast<long long>(audio->sample_rate));
    return 1;
  }
  const auto t_loaded = std::chrono::steady_clock::now();
  const double cpu_loaded_s = process_cpu_s();
  ThreadPool pool(n_threads);
  media::WhisperTranscriber transcriber(**model, pool);
  media::TranscribeOptions options;
  options.language = args.language;
  options.translate = args.translate;
  options.prompt = args.prompt;
  options.timestamps = !args.no_timestamps;
  if (!args.temperatures.empty()) options.temperatures = args.temperatures;
  if (!args.json) {
    options.on_segment = [](const media::TranscriptSegment& s) {
      std::printf("[%s --> %s] %s\n", clock_text(s.start_s).c_str(), clock_text(s.end_s).c_str(), s.text.c_str());
      std::fflush(stdout);
    };
  }
  auto result = transcriber.transcribe(audio->samples, options);
  if (!result.ok()) {
    std::fprintf(stderr, "hearth transcribe: %s\n", result.status().message().c_str());
    return 1;
  }
  const double cpu_s = process_cpu_s() - cpu_loaded_s;
  const double load_s = std::chrono::duration<double>(t_loaded - t_start).count();
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_loaded).count();
  const double rtf = result->duration_s > 0 ? total_s / result->duration_s : 0.0;
  if (args.json) {
    nlohmann::json segments = nlohmann::json::array();
    for (const media::TranscriptSegment& s : result->segments) {
      segments.push_back({{"id", s.id}, {"start", s.start_s}, {"end", s.end_s}, {"text", s.text},
                          {"temperature", s.temperature}, {"avg_logprob", s.avg_logprob},
                          {"compression_ratio", s.compression_ratio}, {"no_speech_prob", s.no_speech_prob}});
    }
    const nlohmann::json out = {{"text", result->text},
                                {"language", result->language},
                                {"duration_s", result->duration_s},
                                {"segments", segments},
                                {"threads", n_threads},
                                {"load_s", load_s},
                                {"transcribe_s", total_s},
                                {"transcribe_cpu_s", cpu_s},
                                {"real_time_factor", rtf},
                                {"n_windows", result->n_windows},
                                {"n_decodes", result->n_decodes},
                                {"n_tokens", result->n_tokens},
                                {"encode_s", result->encode_s},
                                {"decode_s", result->decode_s},
                                {"weights_bytes", (*model)->weights_bytes()},
                                {"read_gbs", measure_read_bandwidth(pool, 1ull << 29, 3).gbs}};
    std::printf("%s\n", out.dump(1).c_str());
  } else {
    std::fprintf(stderr,
                 "hearth transcribe: %.1f s of audio (%s) in %.2f s: real-time factor %.3f (%lld windows, %lld decodes, "
                 "%lld tokens; encoder %.2f s, decoder %.2f s; %d threads)\n",
                 result->duration_s, result->language.c_str(), total_s, rtf, static_cast<long long>(result->n_windows),
                 static_cast<long long>(result->n_decodes), static_cast<long long>(result->n_tokens), result->encode_s,
                 result->decode_s, n_threads);
  }
  return 0;
}

}  // namespace

void add_transcribe_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<TranscribeArgs>();
  CLI::App* cmd = app.add_subcommand("transcribe", "Speech to text with a Whisper model (16 kHz WAV input)");
  cmd->add_option("--model", args->model_path, "A whisper GGUF file")->required();
  cmd->add_option("audio", args->audio_path, "A WAV file (16-bit PCM or float, 16 kHz)")->required();
  cmd->add_option("--language", args->language, "Language code (default: detected)");
  cmd->add_option("--prompt", args->prompt, "Text that precedes the audio (names, spelling)");
  cmd->add_flag("--translate", args->translate, "Translate to English");
  cmd->add_flag("--no-timestamps", args->no_timestamps, "Decode without timestamp tokens (one segment per window)");
  cmd->add_option("--temperature", args->temperatures,
                  "Temperatures to try in order (default 0 0.2 0.4 0.6 0.8 1)")
      ->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--threads", args->n_threads, "Threads (default: all cores)")->check(CLI::Range(1, 1024));
  cmd->add_option("--max-seconds", args->max_seconds, "Refuse longer audio")->check(CLI::Range(1.0, 86400.0));
  cmd->add_flag("--json", args->json, "Print the transcript and timings as JSON");
  cmd->callback([args, &run] { run = [args] { return run_transcribe(*args); }; });
}

}  // namespace hearth::cli

// Whisper's transcription loop (see whisper_transcriber.h).
#include "media/whisper_transcriber.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "infer/rng.h"
#include "media/whisper_logit_rules.h"
#include "text/utf8.h"

namespace hearth::media {
namespace {

constexpr double kTimePrecisionS = 0.02;  // one timestamp token
constexpr int64_t kFramesPerTimestamp = 2;
constexpr double kFrameS = static_cast<double>(kWhisperHop) / kWhisperSampleRate;

std::string text_of(const text::Tokenizer& tok, const WhisperVocab& vocab, std::span<const int32_t> tokens) {
  std::vector<int32_t> text_tokens;
  for (int32_t id : tokens) {
    if (id < vocab.eot) text_tokens.push_back(id);
  }
  return text::sanitize_utf8(tok.decode(text_tokens, /*skip_special=*/true));
}

}  // namespace

double compression_ratio(std::string_view text) {
  if (text.empty()) return 0.0;
  uLongf bound = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> out(bound);
  if (compress2(out.data(), &bound, reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    return 0.0;
  }
  return static_cast<double>(text.size()) / static_cast<double>(bound);
}

WhisperTranscriber::WhisperTranscriber(const WhisperModel& model, ThreadPool& pool)
    : model_(model),
      pool_(pool),
      mel_(model.config().n_mels),
      decoder_(model),
      audio_ctx_(static_cast<size_t>(model.config().n_audio_ctx * model.config().n_embd)) {}

void WhisperTranscriber::encode_window(std::span<const float> samples) {
  const std::vector<float> features = mel_.compute(samples, pool_);
  model_.encode(features.data(), audio_ctx_.data(), pool_);
  decoder_.set_audio(audio_ctx_.data(), pool_);
}

Result<std::vector<std::pair<std::string, float>>> WhisperTranscriber::detect_language(std::span<const float> samples) {
  const WhisperVocab& v = model_.vocab();
  if (!v.is_multilingual()) return failed_precondition_error("whisper: an English-only model detects no language");
  encode_window(samples.first(std::min<size_t>(samples.size(), kWhisperWindowSamples)));
  std::vector<float> logits(static_cast<size_t>(model_.config().n_vocab));
  HEARTH_RETURN_IF_ERROR(decoder_.decode({&v.sot, 1}, logits.data(), pool_));
  std::vector<std::pair<std::string, float>> out;
  float max_value = -std::numeric_limits<float>::infinity();
  for (int64_t idx = 0; idx < v.n_languages(); ++idx) max_value = std::max(max_value, logits[static_cast<size_t>(v.lang_begin + idx)]);
  double sum = 0.0;
  for (int64_t idx = 0; idx < v.n_languages(); ++idx) sum += std::exp(double(logits[static_cast<size_t>(v.lang_begin + idx)]) - max_value);
  for (int64_t idx = 0; idx < v.n_languages(); ++idx) {
    out.emplace_back(v.languages[static_cast<size_t>(idx)],
                     static_cast<float>(std::exp(double(logits[static_cast<size_t>(v.lang_begin + idx)]) - max_value) / sum));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

Result<WhisperTranscriber::WindowResult> WhisperTranscriber::decode_window(const std::vector<int32_t>& prompt,
                                                                           size_t sot_index, float temperature,
                                                                           const TranscribeOptions& options,
                                                                           uint64_t seed) {
  const model::WhisperConfig& c = model_.config();
  const WhisperVocab& v = model_.vocab();
  const int64_t n_vocab = c.n_vocab;
  std::vector<float> logits(static_cast<size_t>(n_vocab));
  WindowResult r;
  r.temperature = temperature;
  // The prompt up to <|startoftranscript|>, whose logits give the no-speech probability, then the rest.
  decoder_.truncate(0);
  HEARTH_RETURN_IF_ERROR(decoder_.decode(std::span(prompt).first(sot_index + 1), logits.data(), pool_));
  if (v.no_speech >= 0) {
    const float max_value = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float x : logits) sum += std::exp(double(x) - max_value);
    r.no_speech_prob = std::exp(double(logits[static_cast<size_t>(v.no_speech)]) - max_value) / sum;
  }
  if (sot_index + 1 < prompt.size()) {
    HEARTH_RETURN_IF_ERROR(decoder_.decode(std::span(prompt).subspan(sot_index + 1), logits.data(), pool_));
  }
  const WhisperLogitRules rules(v, model_.tokenizer(), options.timestamps);
  infer::Rng rng(seed);
  const int64_t sample_len = c.n_text_ctx / 2;
  std::vector<double> probs(static_cast<size_t>(n_vocab));
  while (static_cast<int64_t>(r.tokens.size()) < sample_len) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      return unavailable_error("whisper: transcription cancelled");
    }
    rules.apply(r.tokens, logits);
    const float max_value = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float x : logits) sum += std::exp(double(x) - max_value);
    const double log_sum = max_value + std::log(sum);
    int32_t next = 0;
    if (temperature <= 0.0f) {
      next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    } else {
      double total = 0.0;
      for (int64_t id = 0; id < n_vocab; ++id) {
        probs[static_cast<size_t>(id)] = std::exp((double(logits[static_cast<size_t>(id)]) - max_value) / temperature);
        total += probs[static_cast<size_t>(id)];
      }
      double target = rng.next_unit() * total;
      next = static_cast<int32_t>(n_vocab - 1);
      for (int64_t id = 0; id < n_vocab; ++id) {
        target -= probs[static_cast<size_t>(id)];
        if (target < 0.0 && probs[static_cast<size_t>(id)] > 0.0) {
          next = static_cast<int32_t>(id);
          break;
        }
      }
    }
    r.sum_logprob += double(logits[static_cast<size_t>(next)]) - log_sum;
    if (next == v.eot) break;
    r.tokens.push_back(next);
    if (decoder_.n_past() >= c.n_text_ctx) break;
    HEARTH_RETURN_IF_ERROR(decoder_.decode({&next, 1}, logits.data(), pool_));
  }
  r.avg_logprob = r.sum_logprob / static_cast<double>(r.tokens.size() + 1);
  r.compression_ratio = compression_ratio(text_of(model_.tokenizer(), v, r.tokens));
  return r;
}

Result<Transcript> WhisperTranscriber::transcribe(std::span<const float> samples, const TranscribeOptions& options) {
  const model::WhisperConfig& c = model_.config();
  const WhisperVocab& v = model_.vocab();
  const text::Tokenizer& tok = model_.tokenizer();
  Transcript out;
  out.duration_s = static_cast<double>(samples.size()) / kWhisperSampleRate;

  // The start of every window's prompt: <|startoftranscript|> [<|lang|> <|task|>] [<|notimestamps|>].
  std::vector<int32_t> sot_sequence = {v.sot};
  if (v.is_multilingual()) {
    std::string language = options.language;
    if (language.empty()) {
      HEARTH_ASSIGN_OR_RETURN(auto detected, detect_language(samples));
      language = detected.front().first;
    }
    const int32_t lang_token = v.language_token(language);
    if (lang_token < 0) return invalid_argument_error("whisper: unknown language \"" + language + "\"");
    out.language = language;
    sot_sequence.push_back(lang_token);
    sot_sequence.push_back(options.translate ? v.translate : v.transcribe);
  } else {
    if (!options.language.empty() && options.language != "en") {
      return invalid_argument_error("whisper: this model is English-only; language \"" + options.language + "\"");
    }
    if (options.translate) return invalid_argument_error("whisper: an English-only model does not translate");
    out.language = "en";
  }
  if (!options.timestamps) sot_sequence.push_back(v.no_timestamps);
  if (options.temperatures.empty()) return invalid_argument_error("whisper: no temperature to decode at");

  std::vector<int32_t> all_tokens;
  if (!options.prompt.empty()) {
    all_tokens = tok.encode(" " + options.prompt, /*add_special=*/false, /*parse_special=*/false);
  }
  size_t prompt_reset_since = 0;
  const int64_t content_frames = static_cast<int64_t>(samples.size()) / kWhisperHop;
  int64_t seek = 0;
  uint64_t seed = options.seed;
  while (seek < content_frames) {
    const int64_t segment_size = std::min(kWhisperWindowFrames, content_frames - seek);
    const double time_offset = static_cast<double>(seek) * kFrameS;
    const auto t_encode = std::chrono::steady_clock::now();
    encode_window(samples.subspan(static_cast<size_t>(seek * kWhisperHop),
                                  static_cast<size_t>(segment_size * kWhisperHop)));
    const auto t_decode = std::chrono::steady_clock::now();
    out.encode_s += std::chrono::duration<double>(t_decode - t_encode).count();
    ++out.n_windows;
    // [<|startofprev|> the previous text (at most n_text_ctx/2 - 1 tokens)] + sot_sequence.
    std::vector<int32_t> prompt;
    const size_t n_prev = all_tokens.size() - prompt_reset_since;
    if (n_prev > 0) {
      const size_t keep = std::min<size_t>(n_prev, static_cast<size_t>(c.n_text_ctx / 2 - 1));
      prompt.push_back(v.sot_prev);
      prompt.insert(prompt.end(), all_tokens.end() - static_cast<std::ptrdiff_t>(keep), all_tokens.end());
    }
    const size_t sot_index = prompt.size();
    prompt.insert(prompt.end(), sot_sequence.begin(), sot_sequence.end());

    WindowResult result;
    for (float temperature : options.temperatures) {
      HEARTH_ASSIGN_OR_RETURN(result, decode_window(prompt, sot_index, temperature, options, seed++));
      out.n_tokens += static_cast<int64_t>(result.tokens.size()) + 1;
      ++out.n_decodes;
      bool fallback = result.compression_ratio > options.compression_ratio_threshold ||
                      result.avg_logprob < options.logprob_threshold;
      if (result.no_speech_prob > options.no_speech_threshold && result.avg_logprob < options.logprob_threshold) {
        fallback = false;  // silence: skipped below, not retried
      }
      if (!fallback) break;
    }
    out.decode_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_decode).count();
    const bool silent =
        result.no_speech_prob > options.no_speech_threshold && result.avg_logprob <= options.logprob_threshold;
    if (silent) {
      seek += segment_size;
      continue;
    }

    std::vector<TranscriptSegment> new_segments;
    auto add_segment = [&](double start_s, double end_s, std::span<const int32_t> tokens) {
      TranscriptSegment s;
      s.id = static_cast<int64_t>(out.segments.size() + new_segments.size());
      s.start_s = start_s;
      s.end_s = end_s;
      s.tokens.assign(tokens.begin(), tokens.end());
      s.text = text_of(tok, v, tokens);
      s.temperature = result.temperature;
      s.avg_logprob = result.avg_logprob;
      s.compression_ratio = result.compression_ratio;
      s.no_speech_prob = result.no_speech_prob;
      new_segments.push_back(std::move(s));
    };
    const std::vector<int32_t>& tokens = result.tokens;
    const size_t n = tokens.size();
    auto is_ts = [&](size_t idx) { return tokens[idx] >= v.timestamp_begin; };
    const bool single_timestamp_ending = n >= 2 && !is_ts(n - 2) && is_ts(n - 1);
    std::vector<size_t> slices;
    for (size_t idx = 1; idx < n; ++idx) {
      if (is_ts(idx - 1) && is_ts(idx)) slices.push_back(idx);
    }
    const int64_t seek_before = seek;
    if (options.timestamps && !slices.empty()) {
      if (single_timestamp_ending) slices.push_back(n);
      size_t last_slice = 0;
      for (size_t current : slices) {
        std::span<const int32_t> part(tokens.data() + last_slice, current - last_slice);
        add_segment(time_offset + (part.front() - v.timestamp_begin) * kTimePrecisionS,
                    time_offset + (part.back() - v.timestamp_begin) * kTimePrecisionS, part);
        last_slice = current;
      }
      if (single_timestamp_ending) {
        seek += segment_size;
      } else {
        seek += static_cast<int64_t>(tokens[last_slice - 1] - v.timestamp_begin) * kFramesPerTimestamp;
      }
    } else {
      double duration = static_cast<double>(segment_size) * kFrameS;
      for (size_t idx = n; idx-- > 0;) {
        if (is_ts(idx)) {
          if (tokens[idx] != v.timestamp_begin) duration = (tokens[idx] - v.timestamp_begin) * kTimePrecisionS;
          break;
        }
      }
      if (n > 0) add_segment(time_offset, time_offset + duration, tokens);
      seek += segment_size;
    }
    if (seek <= seek_before) seek = seek_before + segment_size;  // a window that ends where it began: move on
    for (TranscriptSegment& s : new_segments) {
      all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
      if (options.on_segment) options.on_segment(s);
      out.text += s.text;
      out.segments.push_back(std::move(s));
    }
    if (!options.condition_on_previous_text || result.temperature > 0.5f) prompt_reset_since = all_tokens.size();
  }
  return out;
}

}  // namespace hearth::media

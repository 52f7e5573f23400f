// Whisper's logit filters (see whisper_logit_rules.h).
#include "media/whisper_logit_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>

namespace hearth::media {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

double log_sum_exp(std::span<const float> x) {
  float max_value = kNegInf;
  for (float v : x) max_value = std::max(max_value, v);
  if (max_value == kNegInf) return -std::numeric_limits<double>::infinity();
  double sum = 0.0;
  for (float v : x) sum += std::exp(static_cast<double>(v) - max_value);
  return max_value + std::log(sum);
}

}  // namespace

std::vector<int32_t> whisper_non_speech_tokens(const text::Tokenizer& tok) {
  std::vector<std::string> symbols;
  for (const char* s : {"\"", "#", "(", ")", "*", "+", "/", ":", ";", "<", "=", ">", "@", "[", "\\", "]", "^",
                        "_", "`", "{", "|", "}", "~", "「", "」", "『", "』", "<<", ">>", "<<<", ">>>", "--",
                        "---", "-(", "-[", "('", "(\"", "((", "))", "(((", ")))", "[[", "]]", "{{", "}}", "♪♪",
                        "♪♪♪"}) {
    symbols.emplace_back(s);
  }
  const std::vector<std::string> misc = {"♩", "♪", "♫", "♬", "♭", "♮", "♯"};
  std::set<int32_t> out;
  for (const char* s : {" -", " '"}) {
    const auto ids = tok.encode(s, false, false);
    if (!ids.empty()) out.insert(ids[0]);
  }
  for (const std::string& s : symbols) {
    for (const std::string& text : {s, " " + s}) {
      const auto ids = tok.encode(text, false, false);
      if (ids.size() == 1) out.insert(ids[0]);
    }
  }
  for (const std::string& s : misc) {
    for (const std::string& text : {s, " " + s}) {
      const auto ids = tok.encode(text, false, false);
      if (!ids.empty()) out.insert(ids[0]);
    }
  }
  return {out.begin(), out.end()};
}

WhisperLogitRules::WhisperLogitRules(const WhisperVocab& vocab, const text::Tokenizer& tokenizer, bool timestamps,
                                     int32_t max_initial_timestamp_index)
    : vocab_(vocab), timestamps_(timestamps), max_initial_timestamp_index_(max_initial_timestamp_index) {
  std::set<int32_t> s;
  for (int32_t id : whisper_non_speech_tokens(tokenizer)) s.insert(id);
  for (int32_t id : {vocab.translate, vocab.transcribe, vocab.sot, vocab.sot_prev, vocab.sot_lm, vocab.no_speech}) {
    if (id >= 0) s.insert(id);
  }
  suppressed_.assign(s.begin(), s.end());
  const auto space = tokenizer.encode(" ", false, false);
  if (space.size() == 1) blank_.push_back(space[0]);
  blank_.push_back(vocab.eot);
}

void WhisperLogitRules::apply(std::span<const int32_t> sampled, std::span<float> logits) const {
  const int64_t n_vocab = static_cast<int64_t>(logits.size());
  auto forbid = [&](int64_t begin, int64_t end) {
    for (int64_t id = std::max<int64_t>(begin, 0); id < std::min(end, n_vocab); ++id) logits[static_cast<size_t>(id)] = kNegInf;
  };
  for (int32_t id : suppressed_) forbid(id, id + 1);
  if (sampled.empty()) {
    for (int32_t id : blank_) forbid(id, id + 1);
  }
  if (!timestamps_) return;

  const int32_t ts_begin = vocab_.timestamp_begin;
  forbid(vocab_.no_timestamps, vocab_.no_timestamps + 1);
  const size_t n = sampled.size();
  const bool last_was_timestamp = n >= 1 && sampled[n - 1] >= ts_begin;
  const bool penultimate_was_timestamp = n < 2 || sampled[n - 2] >= ts_begin;
  if (last_was_timestamp) {
    if (penultimate_was_timestamp) {
      forbid(ts_begin, n_vocab);  // a pair just closed: text (or the end) comes next
    } else {
      forbid(0, vocab_.eot);  // a lone timestamp: another timestamp or the end
    }
  }
  int32_t last_timestamp = -1;
  for (int32_t id : sampled) {
    if (id >= ts_begin) last_timestamp = id;
  }
  if (last_timestamp >= 0) {
    // Never earlier than the last one; after a lone opening timestamp it may repeat
    // (an empty segment is impossible since text must follow a pair).
    const int32_t lowest = last_was_timestamp && !penultimate_was_timestamp ? last_timestamp : last_timestamp + 1;
    forbid(ts_begin, lowest);
  }
  if (sampled.empty()) {
    forbid(0, ts_begin);
    if (max_initial_timestamp_index_ >= 0) forbid(ts_begin + max_initial_timestamp_index_ + 1, n_vocab);
  }
  // If the timestamps together are likelier than any one text token, take a timestamp.
  const double total = log_sum_exp(logits);
  const double ts_logprob = log_sum_exp(logits.subspan(static_cast<size_t>(ts_begin))) - total;
  float max_text = kNegInf;
  for (int32_t id = 0; id < ts_begin; ++id) max_text = std::max(max_text, logits[static_cast<size_t>(id)]);
  if (ts_logprob > static_cast<double>(max_text) - total) forbid(0, ts_begin);
}

}  // namespace hearth::media

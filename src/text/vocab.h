// Vocab: the validated token table shared by the encoders: id -> text, score,
// type, and text -> id. Built once, immutable afterwards, safe to read from
// any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "text/tokenizer_spec.h"

namespace hearth::text {

class Vocab {
 public:
  // kDataLoss naming the first offending entry when the arrays disagree in
  // length, a type is not a TokenType, a score is NaN, a text repeats, or a
  // byte token's text is not "<0xAB>".
  static Result<Vocab> build(std::vector<std::string> tokens, std::vector<float> scores,
                             std::vector<int32_t> token_types);

  Vocab(Vocab&&) = default;
  Vocab& operator=(Vocab&&) = default;
  Vocab(const Vocab&) = delete;  // text_to_id_ points into tokens_
  Vocab& operator=(const Vocab&) = delete;

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  bool contains(int32_t id) const { return id >= 0 && id < size(); }
  // Callers pass ids that satisfy contains().
  const std::string& text(int32_t id) const { return tokens_[id]; }
  float score(int32_t id) const { return scores_[id]; }
  TokenType type(int32_t id) const { return types_[id]; }
  // The byte a kByte token stands for.
  uint8_t byte_value(int32_t id) const { return byte_values_[id]; }

  // The id whose text is exactly `text`, or -1. Empty texts are never found.
  int32_t find(std::string_view text) const {
    const auto it = text_to_id_.find(text);
    return it == text_to_id_.end() ? -1 : it->second;
  }

 private:
  Vocab() = default;

  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::vector<uint8_t> byte_values_;
  // Views into tokens_: moving a vector keeps its elements in place, so the
  // views stay valid when the Vocab moves.
  std::unordered_map<std::string_view, int32_t> text_to_id_;
};

}  // namespace hearth::text

// Token table validation; see vocab.h.
#include "text/vocab.h"

#include <cmath>

namespace hearth::text {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xAB>" -> 0xAB; -1 for any other text.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = hex_digit(text[3]);
  const int lo = hex_digit(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

Result<Vocab> Vocab::build(std::vector<std::string> tokens, std::vector<float> scores,
                           std::vector<int32_t> token_types) {
  const size_t n = tokens.size();
  if (n == 0) return data_loss_error("tokenizer vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return data_loss_error("tokenizer vocabulary has more than 2^31-1 tokens");
  if (!scores.empty() && scores.size() != n) {
    return data_loss_error("tokenizer has " + std::to_string(scores.size()) + " scores for " +
                           std::to_string(n) + " tokens");
  }
  if (!token_types.empty() && token_types.size() != n) {
    return data_loss_error("tokenizer has " + std::to_string(token_types.size()) + " token types for " +
                           std::to_string(n) + " tokens");
  }

  Vocab vocab;
  vocab.tokens_ = std::move(tokens);
  vocab.scores_ = scores.empty() ? std::vector<float>(n, 0.0f) : std::move(scores);
  vocab.types_.assign(n, TokenType::kNormal);
  vocab.byte_values_.assign(n, 0);
  vocab.text_to_id_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = vocab.tokens_[id];
    if (std::isnan(vocab.scores_[id])) {
      return data_loss_error("token " + std::to_string(id) + " has a NaN score");
    }
    if (!token_types.empty()) {
      const int32_t type = token_types[id];
      if (type < 0 || type > static_cast<int32_t>(TokenType::kByte)) {
        return data_loss_error("token " + std::to_string(id) + " has unknown type " + std::to_string(type));
      }
      vocab.types_[id] = static_cast<TokenType>(type);
    }
    if (vocab.types_[id] == TokenType::kByte) {
      const int byte = parse_byte_token(text);
      if (byte < 0) {
        return data_loss_error("byte token " + std::to_string(id) + " is not of the form <0xAB>");
      }
      vocab.byte_values_[id] = static_cast<uint8_t>(byte);
    }
    if (text.empty()) continue;  // never matched; decodes to nothing
    const auto [it, inserted] = vocab.text_to_id_.emplace(std::string_view(text), static_cast<int32_t>(id));
    if (!inserted) {
      return data_loss_error("token " + std::to_string(id) + " repeats the text of token " +
                             std::to_string(it->second));
    }
  }
  return vocab;
}

}  // namespace hearth::text

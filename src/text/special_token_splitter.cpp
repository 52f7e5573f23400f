// Leftmost-longest special-token extraction; see special_token_splitter.h.
#include "text/special_token_splitter.h"

#include <algorithm>

namespace hearth::text {

void SpecialTokenSplitter::Table::add(std::string_view text, int32_t id) {
  by_text.emplace(text, id);
  lengths.push_back(text.size());
  first_byte[static_cast<uint8_t>(text[0])] = true;
}

void SpecialTokenSplitter::Table::finish() {
  std::sort(lengths.begin(), lengths.end(), std::greater<>());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
}

int32_t SpecialTokenSplitter::Table::match(std::string_view text, size_t pos, size_t* length) const {
  if (!first_byte[static_cast<uint8_t>(text[pos])]) return -1;
  for (size_t len : lengths) {
    if (len > text.size() - pos) continue;
    const auto it = by_text.find(text.substr(pos, len));
    if (it != by_text.end()) {
      *length = len;
      return it->second;
    }
  }
  return -1;
}

SpecialTokenSplitter::SpecialTokenSplitter(const Vocab& vocab) {
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::string& text = vocab.text(id);
    if (text.empty()) continue;
    switch (vocab.type(id)) {
      case TokenType::kUserDefined:
        user_defined_.add(text, id);
        all_.add(text, id);
        break;
      case TokenType::kControl:
      case TokenType::kUnknown:
        all_.add(text, id);
        break;
      default:
        break;
    }
  }
  user_defined_.finish();
  all_.finish();
}

void SpecialTokenSplitter::split(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const {
  const Table& table = parse_special ? all_ : user_defined_;
  if (table.by_text.empty()) {
    if (!text.empty()) out.push_back({-1, text});
    return;
  }
  size_t run_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    const int32_t id = table.match(text, pos, &length);
    if (id < 0) {
      ++pos;
      continue;
    }
    if (pos > run_start) out.push_back({-1, text.substr(run_start, pos - run_start)});
    out.push_back({id, text.substr(pos, length)});
    pos += length;
    run_start = pos;
  }
  if (run_start < text.size()) out.push_back({-1, text.substr(run_start)});
}

}  // namespace hearth::text

#include "api/request_ids.h"

namespace hearth::api {

std::string RequestIds::next_id(std::string_view prefix) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr int kIdChars = 24;
  std::string id(prefix);
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  for (int char_idx = 0; char_idx < kIdChars; ++char_idx) id += kAlphabet[pick(rng_)];
  return id;
}

}  // namespace hearth::api

// Incremental BPE training; see bpe_trainer.h.
#include "text/bpe_trainer.h"

#include <queue>
#include <tuple>
#include <unordered_map>

namespace hearth::text {
namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

BpeTrainer::BpeTrainer(std::vector<std::string> symbols) : symbols_(std::move(symbols)) {}

void BpeTrainer::add_word(std::vector<int32_t> symbols, int64_t count) {
  if (symbols.size() >= 2 && count > 0) words_.push_back({std::move(symbols), count});
}

std::vector<BpeMerge> BpeTrainer::train(int64_t max_new_symbols, int64_t min_pair_count) {
  std::unordered_map<std::string, int32_t> symbol_ids;
  for (size_t id = 0; id < symbols_.size(); ++id) symbol_ids.emplace(symbols_[id], static_cast<int32_t>(id));

  std::unordered_map<uint64_t, int64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;  // may hold stale or repeated entries
  auto for_each_pair = [](const std::vector<int32_t>& syms, auto&& fn) {
    for (size_t pos = 0; pos + 1 < syms.size(); ++pos) {
      if (syms[pos] >= 0 && syms[pos + 1] >= 0) fn(pair_key(syms[pos], syms[pos + 1]));
    }
  };
  for (size_t word_idx = 0; word_idx < words_.size(); ++word_idx) {
    for_each_pair(words_[word_idx].symbols, [&](uint64_t key) {
      pair_counts[key] += words_[word_idx].count;
      pair_words[key].push_back(static_cast<int32_t>(word_idx));
    });
  }

  // Max-heap on (count, then lower key); entries whose count changed are stale.
  using Entry = std::pair<int64_t, uint64_t>;
  auto lower_priority = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(lower_priority)> heap(lower_priority);
  for (const auto& [key, count] : pair_counts) heap.push({count, key});

  std::vector<BpeMerge> merges;
  std::vector<int64_t> word_seen(words_.size(), -1);
  int64_t n_new = 0;
  while (n_new < max_new_symbols && !heap.empty()) {
    const auto [count, key] = heap.top();
    heap.pop();
    const auto it = pair_counts.find(key);
    if (it == pair_counts.end() || it->second != count) continue;  // stale
    if (count < min_pair_count) break;

    const auto left = static_cast<int32_t>(key >> 32);
    const auto right = static_cast<int32_t>(key & 0xFFFFFFFFu);
    const std::string text = symbols_[left] + symbols_[right];
    int32_t merged;
    if (const auto found = symbol_ids.find(text); found != symbol_ids.end()) {
      merged = found->second;
    } else {
      merged = static_cast<int32_t>(symbols_.size());
      symbols_.push_back(text);
      symbol_ids.emplace(text, merged);
      ++n_new;
    }
    merges.push_back({left, right, merged});

    std::vector<int32_t> affected = std::move(pair_words[key]);
    pair_words.erase(key);
    std::unordered_map<uint64_t, int64_t> changed;
    const int64_t merge_idx = static_cast<int64_t>(merges.size());
    for (int32_t word_idx : affected) {
      if (word_seen[word_idx] == merge_idx) continue;
      word_seen[word_idx] = merge_idx;
      Word& word = words_[word_idx];
      bool has_pair = false;
      const uint64_t merged_key = key;  // a structured binding: clang 14 cannot capture one in a lambda
      for_each_pair(word.symbols, [&](uint64_t k) { has_pair = has_pair || k == merged_key; });
      if (!has_pair) continue;
      for_each_pair(word.symbols, [&](uint64_t k) {
        pair_counts[k] -= word.count;
        changed[k];
      });
      std::vector<int32_t> merged_symbols;
      merged_symbols.reserve(word.symbols.size());
      for (size_t pos = 0; pos < word.symbols.size(); ++pos) {
        if (pos + 1 < word.symbols.size() && word.symbols[pos] == left && word.symbols[pos + 1] == right) {
          merged_symbols.push_back(merged);
          ++pos;
        } else {
          merged_symbols.push_back(word.symbols[pos]);
        }
      }
      word.symbols = std::move(merged_symbols);
      for_each_pair(word.symbols, [&](uint64_t k) {
        pair_counts[k] += word.count;
        changed[k];
        pair_words[k].push_back(word_idx);
      });
    }
    for (const auto& [k, unused] : changed) {
      const int64_t now = pair_counts[k];
      if (now <= 0) {
        pair_counts.erase(k);
      } else {
        heap.push({now, k});
      }
    }
  }
  return merges;
}

}  // namespace hearth::text

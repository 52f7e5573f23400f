// BpeTrainer: learns BPE merges from word counts, for synthetic vocabularies
// (`hearth synth`). Words are sequences of initial symbols (bytes for
// byte-level BPE, characters for SentencePiece); each step merges the most
// frequent adjacent pair (ties: the pair of lower symbol ids), counting only
// non-overlapping occurrences, until the symbol budget is spent or no pair
// occurs min_pair_count times. Deterministic for a given input.
//
//   BpeTrainer trainer({"a", "b", "c"});
//   trainer.add_word({0, 1, 2}, 5);              // "abc" seen 5 times
//   std::vector<BpeMerge> merges = trainer.train(100, 2);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::text {

struct BpeMerge {
  int32_t left;    // symbol ids
  int32_t right;
  int32_t merged;  // a new symbol, or an existing one with the same text
};

class BpeTrainer {
 public:
  // Initial symbols, by id; their texts must be distinct.
  explicit BpeTrainer(std::vector<std::string> symbols);

  // A word of initial-symbol ids seen `count` times. Id -1 is a barrier no
  // pair crosses (a character left out of the vocabulary).
  void add_word(std::vector<int32_t> symbols, int64_t count);

  // Runs until max_new_symbols symbols were created or the best pair occurs
  // fewer than min_pair_count times.
  std::vector<BpeMerge> train(int64_t max_new_symbols, int64_t min_pair_count);

  // Text of every symbol, initial ones first, then merged ones in creation order.
  const std::vector<std::string>& symbols() const { return symbols_; }

 private:
  struct Word {
    std::vector<int32_t> symbols;
    int64_t count;
  };
  std::vector<std::string> symbols_;
  std::vector<Word> words_;
};

}  // namespace hearth::text

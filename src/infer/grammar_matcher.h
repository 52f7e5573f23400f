// GrammarMatcher: where a sequence stands in a JsonGrammar, advanced one
// byte at a time; the state constrained decoding keeps per sequence.
//
//   GrammarMatcher matcher(grammar);       // grammar validated, outlives the matcher
//   if (!matcher.accept(token_bytes)) ...  // rejected: the state is unchanged
//   matcher.can_finish();                  // the text so far is a whole sentence
//   matcher.finished();                    // ... and no byte may follow it
//
// The state is a set of pushdown stacks (one per way the text so far can be
// read: anyOf branches, enum values sharing a prefix), each a stack of frames
// (node, phase, counters). A byte advances every stack and drops the ones
// that reject it, so a step costs a few frame updates, never a re-parse.
// Stacks are de-duplicated and capped at kMaxStacks (dropping readings only
// narrows what may follow: what is accepted stays valid); frames are capped at
// kMaxDepth (deeper nesting is refused), and a byte explores at most
// kMaxBranchesPerByte anyOf branches.
//
// Numbers with bounds are checked as they are written: a digit is accepted
// only if some completion of the number can still land within the bounds.
//
// Copyable (the token mask copies it down a trie of the vocabulary).
// Thread-safety: none; one matcher per sequence.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "infer/json_grammar.h"

namespace hearth::infer {

class GrammarMatcher {
 public:
  static constexpr size_t kMaxStacks = 128;
  static constexpr size_t kMaxDepth = 64;
  // anyOf branches explored per byte, however the schema nests them (a
  // hostile schema must not make a byte expensive); past it, readings are dropped.
  static constexpr int kMaxBranchesPerByte = 4096;

  // Precondition: grammar.validate() is ok; the grammar outlives the matcher.
  explicit GrammarMatcher(const JsonGrammar& grammar);

  // Advances past `byte`; false (state unchanged) when no reading accepts it.
  bool accept(uint8_t byte);
  // All of `bytes` or nothing (state unchanged on false).
  bool accept(std::string_view bytes);

  // The bytes so far form a complete sentence of the grammar.
  bool can_finish() const;
  // Complete, and no byte may follow (an object root after its `}`).
  bool finished() const;

  // When the only reading is inside a string's text (not in an escape or a
  // UTF-8 sequence): how many more code points it may take (-1: no limit).
  // Any text without '"', '\\' and control bytes, made of whole UTF-8
  // characters, is then accepted up to that many code points (TokenTrie's
  // fast path). -2 in any other state.
  int64_t plain_string_room() const;

 private:
  struct Frame {
    int32_t node = 0;
    uint8_t phase = 0;
    uint8_t ws = 0;            // whitespace bytes in the current gap
    uint8_t str = 0;           // string: 0 text, 1 after '\', 2..5 expecting \u hex digit 1..4
    uint8_t utf8_pending = 0;  // string: continuation bytes still due
    uint8_t utf8_lo = 0x80;    // string: range of the next continuation byte
    uint8_t utf8_hi = 0xBF;    //   (utf8_lo also keeps a \u escape's first digit)
    bool negative = false;     // number
    bool any_written = false;  // object: a property was written
    int32_t index = 0;         // object: properties before it are done; sequence: next child; literal: position
    int32_t candidate = 0;     // object: the property whose key is being matched
    int64_t count = 0;         // array: items; string: code points; object: key bytes matched
    int64_t int_value = 0;     // number: digits before the point
    int64_t frac_value = 0;    // number: digits after it
    int8_t int_digits = 0;
    int8_t frac_digits = 0;
    int8_t exp_digits = 0;
    bool operator==(const Frame&) const = default;
  };
  using Stack = std::vector<Frame>;

  enum class Step : uint8_t { kReject, kConsumed, kConsumedPop, kPopRefeed, kPushRefeed };

  void feed(Stack&& stack, uint8_t byte, std::vector<Stack>* out, int* branch_budget) const;
  Step step(Stack& stack, uint8_t byte) const;
  Step step_object(Stack& stack, uint8_t byte) const;
  Step step_array(Stack& stack, uint8_t byte) const;
  Step step_string(Frame& frame, uint8_t byte, int64_t min_length, int64_t max_length) const;
  Step step_number(Frame& frame, uint8_t byte) const;
  bool number_complete(const Frame& frame) const;
  bool number_feasible(const Frame& frame) const;
  bool stack_can_finish(const Stack& stack) const;

  const JsonGrammar* grammar_;
  std::vector<Stack> stacks_;
  std::vector<Stack> next_;  // scratch for accept()
};

}  // namespace hearth::infer

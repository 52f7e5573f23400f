// StopMatcher: finds stop strings in streamed text without ever releasing any
// part of one.
//
// Text arrives in pieces (one token's worth at a time). push() returns the
// text that is safe to emit: everything except a trailing part that could
// still grow into a stop string. When a stop string completes, push() returns
// the text before its first occurrence and reports the stop; the stop string
// and everything after it are dropped, as OpenAI's `stop` specifies.
//
//   StopMatcher stops({"\nUser:"});
//   stops.push("Hi!\nUs");   // -> {"Hi!", false}: "\nUs" may start a stop
//   stops.push("er: x");     // -> {"", true}: "\nUser:" completed
//
// Matching is on bytes; callers feed valid UTF-8 (from Utf8StreamDecoder), so
// the held-back split never falls inside a character of a valid stop string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth::infer {

class StopMatcher {
 public:
  // Precondition: no stop string is empty (Generator rejects them).
  explicit StopMatcher(std::vector<std::string> stops);

  struct Step {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string completed; ignore further input
    size_t stop_index = 0; // which one, when stopped (the earliest occurrence wins)
  };
  Step push(std::string_view piece);

  // End of the stream without a stop: releases what was held back.
  std::string flush();

  size_t n_held_bytes() const { return held_.size(); }

 private:
  std::vector<std::string> stops_;
  std::string held_;
};

}  // namespace hearth::infer

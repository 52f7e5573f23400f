// TextStream: the text path of one generation: sampled tokens' bytes in,
// valid UTF-8 without any part of a stop string out.
//
// Bytes go through a Utf8StreamDecoder (so every piece is valid UTF-8), then
// a StopMatcher (so no part of a stop string is ever released), then to the
// sink.
//
//   TextStream stream({"\nUser:"}, [&](std::string_view piece) { out += piece; return true; });
//   if (!stream.push(tokenizer.token_to_bytes(id))) { /* stopped() or the sink cancelled */ }
//   stream.finish();  // end of generation: releases held-back text
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "infer/stop_matcher.h"
#include "text/utf8_stream.h"

namespace hearth::infer {

// Receives non-empty, valid UTF-8 pieces in order; returns false to cancel.
using TextSink = std::function<bool(std::string_view piece)>;

class TextStream {
 public:
  // Precondition: no stop string is empty.
  TextStream(std::vector<std::string> stops, TextSink sink) : stops_(std::move(stops)), sink_(std::move(sink)) {}

  // Feeds one token's bytes. False when the stream ended: a stop string
  // completed (stopped() is then true) or the sink cancelled.
  bool push(std::string_view bytes) { return feed(utf8_.push(bytes)); }

  // Releases held-back text at the end of generation; false as for push().
  bool finish() {
    if (!feed(utf8_.flush())) return false;
    return emit(stops_.flush());
  }

  bool stopped() const { return stop_index_ >= 0; }
  // Which stop string ended the text; -1 when none did.
  int32_t stop_index() const { return stop_index_; }

 private:
  bool feed(const std::string& text) {
    if (text.empty()) return true;
    StopMatcher::Step step = stops_.push(text);
    if (step.stopped) {
      stop_index_ = static_cast<int32_t>(step.stop_index);
      emit(step.text);
      return false;
    }
    return emit(step.text);
  }

  bool emit(const std::string& text) {
    if (text.empty()) return true;
    return sink_(text);
  }

  text::Utf8StreamDecoder utf8_;
  StopMatcher stops_;
  TextSink sink_;
  int32_t stop_index_ = -1;
};

}  // namespace hearth::infer

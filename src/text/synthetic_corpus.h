// A few KB of built-in text (English prose, code, numbers, several languages
// and scripts, emoji) that synthetic vocabularies are trained on, so that a
// random-weight test model still tokenizes text into realistic pieces.
#pragma once

#include <string_view>

namespace hearth::text {

std::string_view synthetic_corpus();

}  // namespace hearth::text

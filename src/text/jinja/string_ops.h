// The string operations of the template language (methods and filters), on
// UTF-8 text. Whitespace is JavaScript's \s set (what @huggingface/jinja's
// trim and strip remove); indices and lengths count code points.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::text::jinja {

// JavaScript's \s: \t \n \v \f \r, space, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
bool is_js_space(uint32_t code_point);

// Removes JavaScript whitespace from the chosen ends.
std::string_view trim_space(std::string_view text, bool left, bool right);
// Python's str.strip(chars): removes code points listed in `chars` from the chosen ends.
std::string_view trim_chars(std::string_view text, std::string_view chars, bool left, bool right);

// The code points of `text`, each as its UTF-8 bytes (ill-formed bytes become U+FFFD).
std::vector<std::string> split_code_points(std::string_view text);
size_t count_code_points(std::string_view text);

// Python's str.split: sep empty means "runs of whitespace"; max_split < 0 means no limit.
std::vector<std::string> split_python(std::string_view text, std::string_view sep, bool by_whitespace,
                                      int64_t max_split);
// Python's str.replace; count < 0 replaces every occurrence. An empty `from`
// inserts `to` between code points.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to, int64_t count);

std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
// @huggingface/jinja's title: upper-cases each ASCII letter or digit that starts a word.
std::string title_case(std::string_view text);
// Upper-cases the first code point, leaves the rest.
std::string capitalize_first(std::string_view text);

// HTML escaping of & < > " ' (the escape filter).
std::string html_escape(std::string_view text);

}  // namespace hearth::text::jinja

// Strings every tokenizer must round-trip (encode then decode gives the input
// back): scripts, emoji, combining marks, whitespace runs, digits, code.
#pragma once

#include <string>
#include <vector>

namespace hearth::text {

inline std::vector<std::string> round_trip_strings() {
  return {
      "Hello world",
      "Hello, world! How are you today?",
      "The quick brown fox jumps over the lazy dog.",
      "I'm sure they'll say it's fine; we'd've known. DON'T SHOUT",
      "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xC3\x85ngstr\xC3\xB6m \xC3\x98resund Stra\xC3\x9F" "e",
      "e\xCC\x81 a\xCC\x80 o\xCC\x88 n\xCC\x83 (combining marks)",
      "\xE4\xB8\xAD\xE6\x96\x87\xE6\xB5\x8B\xE8\xAF\x95\xEF\xBC\x8C\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88",
      "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xD0\xA0\xD1\x83\xD1\x81\xD1\x81\xD0\xBA\xD0\xB8\xD0\xB9 \xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC "
      "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 \xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80",
      "Emoji: \xF0\x9F\x98\x80\xF0\x9F\x8E\x89\xF0\x9F\x9A\x80 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
      "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 \xE2\x9D\xA4\xEF\xB8\x8F \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
      "   leading spaces",
      "trailing spaces   ",
      "tabs\tand\t\ttabs",
      "many     spaces     inside",
      "lines\nand\n\nblank\n\n\nlines\r\nwith CRLF\r\n",
      " ",
      "\n",
      "12345678901234567890123456789012345678901234567890",
      "3.14159 2,718 1e-10 0x1F 007 -42 +7 1/3 50%",
      "def f(x):\n    return x * 2  # double\n\tpass\n",
      "int main() { return std::vector<int>{1, 2, 3}.size() > 2 ? 0 : 1; }",
      "{\"key\": [1, 2, {\"nested\": null}], \"s\": \"\\u00e9\"}",
      "<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
      "Mixed: abc\xE4\xB8\xAD\xE6\x96\x87" "123\xF0\x9F\x98\x80xyz\xC3\xA9\xE2\x80\x94\xE2\x80\x9Cquoted\xE2\x80\x9D",
      "ALLCAPS lowercase MiXeD CamelCaseWord snake_case_word kebab-case-word",
      "a",
      "!!!???...,,,;;;:::",
      "\xE2\x80\x8B\xE2\x80\x8C zero-width and \xC2\xA0 no-break \xE3\x80\x80 ideographic spaces",
  };
}

}  // namespace hearth::text

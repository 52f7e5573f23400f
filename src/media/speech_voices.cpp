#include "media/speech_voices.h"

#include <array>
#include <utility>

namespace hearth::media {

std::optional<std::string_view> openai_voice(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kVoices = {{
      {"alloy", "en-us"},
      {"ash", "en-us+m3"},
      {"ballad", "en-gb+m4"},
      {"coral", "en-us+f3"},
      {"echo", "en-us+m2"},
      {"fable", "en-gb"},
      {"onyx", "en-us+m7"},
      {"nova", "en-us+f4"},
      {"sage", "en-us+f2"},
      {"shimmer", "en-us+f5"},
      {"verse", "en-gb+m1"},
      {"marin", "en-us+f1"},
      {"cedar", "en-us+m1"},
  }};
  for (const auto& [openai, espeak] : kVoices) {
    if (openai == name) return espeak;
  }
  return std::nullopt;
}

std::optional<std::string> resolve_voice(const EspeakVoiceSet& voices, std::string_view name) {
  if (std::optional<std::string_view> mapped = openai_voice(name)) return std::string(*mapped);
  const size_t plus = name.find('+');
  const std::string_view language = name.substr(0, plus);
  if (!voices.languages.contains(language)) return std::nullopt;
  if (plus != std::string_view::npos && !voices.variants.contains(name.substr(plus + 1))) return std::nullopt;
  return std::string(name);
}

}  // namespace hearth::media

// The voices of the eSpeak NG engine: OpenAI's voice names mapped onto eSpeak
// NG voices and variants (so a client written for OpenAI works unchanged),
// and eSpeak NG's own names ("de", "fr", "en-gb-scotland", optionally with a
// variant: "en-us+f3") for the languages it speaks.
//
//   alloy en-us       ash en-us+m3     ballad en-gb+m4   coral en-us+f3
//   echo en-us+m2     fable en-gb      onyx en-us+m7     nova en-us+f4
//   sage en-us+f2     shimmer en-us+f5 verse en-gb+m1    marin en-us+f1
//   cedar en-us+m1
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace hearth::media {

// The eSpeak NG voice an OpenAI voice name stands for; nullopt for other names.
std::optional<std::string_view> openai_voice(std::string_view name);

// What eSpeak NG offers, as read from its data at start.
struct EspeakVoiceSet {
  std::set<std::string, std::less<>> languages;  // "en-us", "de", ...
  std::set<std::string, std::less<>> variants;   // "m3", "f2", "klatt", ...
};

// The eSpeak NG voice name for a request's `voice`: an OpenAI name's mapping,
// or `language[+variant]` when both are offered. nullopt: not a voice here.
std::optional<std::string> resolve_voice(const EspeakVoiceSet& voices, std::string_view name);

}  // namespace hearth::media

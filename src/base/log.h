// Minimal leveled logging to stderr. The server adds structured access logs later;
// the engine logs only load-time facts and warnings.
#pragma once

#include <cstdio>
#include <string_view>

namespace hearth {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped. Set once at start-up (app/), read by all.
void set_log_level(LogLevel level);
LogLevel log_level();

void log_message(LogLevel level, std::string_view message);

}  // namespace hearth

#define HEARTH_LOG(level, msg)                                                                                       \
  do {                                                                                                               \
    if (::hearth::LogLevel::level >= ::hearth::log_level()) ::hearth::log_message(::hearth::LogLevel::level, (msg)); \
  } while (0)

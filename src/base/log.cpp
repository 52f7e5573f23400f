#include "base/log.h"

#include <atomic>
#include <cstdio>

namespace hearth {
namespace {
// The one process-wide setting: the log threshold, written at start-up only.
std::atomic<int> g_log_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace

void set_log_level(LogLevel level) { g_log_level.store(static_cast<int>(level)); }
LogLevel log_level() { return static_cast<LogLevel>(g_log_level.load(std::memory_order_relaxed)); }

void log_message(LogLevel level, std::string_view message) {
  static const char* const kNames[] = {"debug", "info", "warn", "error"};
  std::fprintf(stderr, "hearth %s: %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(message.size()),
               message.data());
}

}  // namespace hearth

#include "api/access_log.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

nlohmann::json string_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

template <typename T>
nlohmann::json value_or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

double round_to_tenth(double ms) { return std::round(ms * 10.0) / 10.0; }

}  // namespace

std::string format_utc_ms(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // room for any int the format could print, so no truncation
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
  return text;
}

std::string render_access_line(const AccessRecord& record) {
  nlohmann::json line = {
      {"ts", format_utc_ms(record.ts_unix_ms)},
      {"id", record.id},
      {"method", record.method},
      {"route", record.route},
      {"model", string_or_null(record.model)},
      {"status", record.status},
      {"prompt_tokens", value_or_null(record.prompt_tokens)},
      {"completion_tokens", value_or_null(record.completion_tokens)},
      {"cached_tokens", value_or_null(record.cached_tokens)},
      {"ttft_ms", record.ttft_ms ? nlohmann::json(round_to_tenth(*record.ttft_ms)) : nlohmann::json(nullptr)},
      {"total_ms", round_to_tenth(record.total_ms)},
      {"priority", string_or_null(record.priority)},
  };
  return dump_json(line) + "\n";
}

}  // namespace hearth::api

#include "cli/audit_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/money.h"
#include "cli/state_db.h"
#include "cli/utc_time.h"
#include "gateway/api_keys.h"
#include "ledger/egress_ledger.h"

namespace hearth::cli {
namespace {

constexpr size_t kShownHashChars = 12;

struct AuditArgs {
  std::string state_dir;
  std::string since;
  std::string key;
  bool json = false;
};

struct Totals {
  int64_t n_requests = 0;
  int64_t n_unfinished = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_udollars = 0;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth audit: %s\n", message.c_str());
  return 1;
}

int fail(const Status& status) { return fail(status.message()); }

// The ledger refuses non-printable text, but the file may have been edited by
// hand: never send its bytes to a terminal as they are.
std::string printable(const std::string& text) {
  std::string shown = text;
  for (char& ch : shown) {
    if (ch < 0x20 || ch > 0x7e) ch = '?';
  }
  return shown;
}

// 1234567 -> "1,234,567" (counts are never negative here).
std::string grouped(int64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t digit_idx = 0; digit_idx < digits.size(); ++digit_idx) {
    const size_t n_left = digits.size() - digit_idx;
    if (digit_idx > 0 && n_left % 3 == 0 && digits[digit_idx - 1] != '-') out.push_back(',');
    out.push_back(digits[digit_idx]);
  }
  return out;
}

Totals sum(const std::vector<ledger::EgressEntry>& entries) {
  Totals totals;
  for (const ledger::EgressEntry& entry : entries) {
    ++totals.n_requests;
    if (entry.status == ledger::EgressStatus::kSent) ++totals.n_unfinished;
    totals.prompt_tokens += entry.prompt_tokens;
    totals.completion_tokens += entry.completion_tokens;
    totals.cost_udollars += entry.cost_udollars;
  }
  return totals;
}

void print_json(const std::string& db_path, int64_t since_unix_ms, const AuditArgs& args,
                const std::vector<ledger::EgressEntry>& entries, const Totals& totals) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ledger::EgressEntry& entry : entries) {
    rows.push_back({{"id", entry.id},
                    {"time", format_utc_iso_time(entry.record.ts_unix_ms)},
                    {"ts_unix_ms", entry.record.ts_unix_ms},
                    {"key", entry.record.key_name},
                    {"data_class", entry.record.data_class},
                    {"provider", entry.record.provider},
                    {"model", entry.record.model},
                    {"prompt_tokens", entry.prompt_tokens},
                    {"completion_tokens", entry.completion_tokens},
                    {"cost_udollars", entry.cost_udollars},
                    {"cost_usd", format_usd(entry.cost_udollars)},
                    {"body_sha256", entry.record.body_sha256},
                    {"status", ledger::egress_status_name(entry.status)}});
  }
  const nlohmann::json out = {{"state_db", db_path},
                              {"since", format_utc_iso_time(since_unix_ms)},
                              {"since_unix_ms", since_unix_ms},
                              {"key", args.key.empty() ? nlohmann::json() : nlohmann::json(args.key)},
                              {"requests", rows},
                              {"totals",
                               {{"requests", totals.n_requests},
                                {"unfinished", totals.n_unfinished},
                                {"prompt_tokens", totals.prompt_tokens},
                                {"completion_tokens", totals.completion_tokens},
                                {"cost_udollars", totals.cost_udollars},
                                {"cost_usd", format_usd(totals.cost_udollars)}}}};
  // error_handler::replace: a byte sequence that is not UTF-8 (a hand-edited file) must not abort the dump.
  std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_table(const std::string& db_path, int64_t since_unix_ms, const AuditArgs& args,
                 const std::vector<ledger::EgressEntry>& entries, const Totals& totals) {
  const std::string scope = "since " + format_utc_table_time(since_unix_ms) + " UTC" +
                            (args.key.empty() ? "" : " with key '" + args.key + "'");
  const auto print_totals = [&totals] {
    std::printf("Total: %s request%s", grouped(totals.n_requests).c_str(), totals.n_requests == 1 ? "" : "s");
    if (totals.n_unfinished > 0) {
      std::printf(" (%s never finished: still 'sent')", grouped(totals.n_unfinished).c_str());
    }
    std::printf(", %s tokens in, %s tokens out, %s USD.\n", grouped(totals.prompt_tokens).c_str(),
                grouped(totals.completion_tokens).c_str(), format_usd(totals.cost_udollars).c_str());
  };
  if (entries.empty()) {
    std::printf("No requests left the boundary %s (ledger: %s).\n", scope.c_str(), db_path.c_str());
    print_totals();
    return;
  }
  const std::vector<std::string> header = {"time (UTC)", "key",        "class",    "provider",    "model",
                                           "tokens in",  "tokens out", "cost USD", "body sha256", "status"};
  std::vector<std::vector<std::string>> rows;
  for (const ledger::EgressEntry& entry : entries) {
    rows.push_back({format_utc_table_time(entry.record.ts_unix_ms),
                    entry.record.key_name.empty() ? "-" : printable(entry.record.key_name),
                    printable(entry.record.data_class), printable(entry.record.provider), printable(entry.record.model),
                    grouped(entry.prompt_tokens), grouped(entry.completion_tokens), format_usd(entry.cost_udollars),
                    printable(entry.record.body_sha256.substr(0, kShownHashChars)),
                    std::string(ledger::egress_status_name(entry.status))});
  }
  std::vector<size_t> widths(header.size());
  for (size_t column = 0; column < header.size(); ++column) {
    widths[column] = header[column].size();
    for (const std::vector<std::string>& row : rows) widths[column] = std::max(widths[column], row[column].size());
  }
  // Counts and money align right; text left.
  const auto right_aligned = [](size_t column) { return column >= 5 && column <= 7; };
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t column = 0; column < row.size(); ++column) {
      const std::string pad(widths[column] - row[column].size(), ' ');
      if (column > 0) line += "  ";
      line += right_aligned(column) ? pad + row[column] : row[column] + (column + 1 < row.size() ? pad : "");
    }
    std::printf("%s\n", line.c_str());
  };
  std::printf("Requests that left the boundary %s (ledger: %s):\n\n", scope.c_str(), db_path.c_str());
  print_row(header);
  for (const std::vector<std::string>& row : rows) print_row(row);
  std::printf("\n");
  print_totals();
}

int run_egress(const AuditArgs& args) {
  Result<std::string> db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status());
  const int64_t now = unix_now_ms();
  int64_t since_unix_ms = ledger::utc_month_containing(now).start_unix_ms;
  if (!args.since.empty()) {
    Result<int64_t> since = parse_since(args.since, now);
    if (!since.ok()) return fail(since.status());
    since_unix_ms = *since;
  }
  std::optional<std::string> key;
  if (!args.key.empty()) {
    if (Status valid = gateway::validate_key_name(args.key); !valid.ok()) return fail("--key: " + valid.message());
    key = args.key;
  }

  std::vector<ledger::EgressEntry> entries;
  struct stat info {};
  // An audit does not create the state: a mistyped --state-dir reports an empty ledger at the path it names.
  if (::stat(db_path->c_str(), &info) == 0) {
    Result<std::unique_ptr<db::Database>> db = open_state_db(*db_path);
    if (!db.ok()) return fail(db.status());
    Result<ledger::EgressLedger> egress = ledger::EgressLedger::open(**db);
    if (!egress.ok()) return fail(egress.status());
    Result<std::vector<ledger::EgressEntry>> queried = egress->query(since_unix_ms, key);
    if (!queried.ok()) return fail(queried.status());
    entries = *std::move(queried);
  }
  const Totals totals = sum(entries);
  if (args.json) {
    print_json(*db_path, since_unix_ms, args, entries, totals);
  } else {
    print_table(*db_path, since_unix_ms, args, entries, totals);
  }
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* audit = app.add_subcommand("audit", "Show what hearth recorded");
  audit->require_subcommand(1);

  CLI::App* egress = audit->add_subcommand("egress", "Every request that left the boundary for a cloud provider");
  egress->add_option("--since", args->since,
                     "From a date (2026-11-01), a UTC time (2026-11-01T10:00:00Z) or a duration back (24h, 7d); "
                     "default: the first of this month (UTC)");
  egress->add_option("--key", args->key, "Only the requests made with this API key");
  egress->add_flag("--json", args->json, "Print JSON");
  egress->add_option("--state-dir", args->state_dir,
                     "Where hearth.db lives (default: $HEARTH_STATE_DIR, else ~/.local/share/hearth/state)");
  egress->callback([args, &run] { run = [args] { return run_egress(*args); }; });
}

}  // namespace hearth::cli

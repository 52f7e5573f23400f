// `hearth audit egress` over a filled ledger: the ledger is written through
// ledger::EgressLedger (as the gateway writes it), then the command runs
// through run_cli as a user's argv would, and its output is read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/state_db.h"
#include "ledger/egress_ledger.h"
#include "temp_dir.h"

namespace hearth::cli {
namespace {

constexpr int64_t kOct20 = 1'792'497'600'000;  // 2026-10-20T12:00:00Z
constexpr int64_t kNov15 = 1'794'744'000'000;  // 2026-11-15T12:00:00Z
constexpr int64_t kNov20 = 1'795'176'000'000;  // 2026-11-20T12:00:00Z
const std::string kHashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kHashB = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

struct CliRun {
  int exit_code = 0;
  std::string out;
  std::string err;
};

CliRun run_hearth(std::vector<std::string> args) {
  args.insert(args.begin(), "hearth");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  CliRun result;
  result.exit_code = run_cli(static_cast<int>(argv.size()), argv.data());
  result.out = testing::internal::GetCapturedStdout();
  result.err = testing::internal::GetCapturedStderr();
  return result;
}

class AuditCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Result<std::unique_ptr<db::Database>> db = open_state_db(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    Result<ledger::EgressLedger> egress = ledger::EgressLedger::open(**db);
    ASSERT_TRUE(egress.ok());
    record(*egress, kOct20, "alice", "old-model", kHashA, ledger::EgressStatus::kOk, 999);
    record(*egress, kNov15, "alice", "gpt-4o-mini", kHashA, ledger::EgressStatus::kOk, 4'321);
    record(*egress, kNov20, "bob", "claude-sonnet", kHashB, ledger::EgressStatus::kError, 1'000'000);
    record(*egress, kNov20 + 1, "alice", "gpt-4o-mini", kHashB, ledger::EgressStatus::kSent, 0);
  }

  static void record(ledger::EgressLedger& egress, int64_t ts_unix_ms, const std::string& key, const std::string& model,
                     const std::string& hash, ledger::EgressStatus status, int64_t cost_udollars) {
    ledger::EgressRecord record;
    record.ts_unix_ms = ts_unix_ms;
    record.key_name = key;
    record.data_class = "internal";
    record.provider = "openai";
    record.model = model;
    record.body_sha256 = hash;
    Result<int64_t> id = egress.begin(record);
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    if (status != ledger::EgressStatus::kSent) {
      ASSERT_TRUE(egress.finish(*id, 1'200, 345, cost_udollars, status).ok());
    }
  }

  test::TempDir dir_;
};

TEST_F(AuditCommandTest, PrintsTheRowsSinceADateWithTotals) {
  const CliRun run = run_hearth({"audit", "egress", "--since", "2026-11-01", "--state-dir", dir_.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& out = run.out;
  EXPECT_NE(out.find("since 2026-11-01 00:00:00 UTC"), std::string::npos) << out;
  EXPECT_NE(out.find(dir_.file("hearth.db")), std::string::npos);
  for (const char* column : {"time (UTC)", "key", "class", "provider", "model", "tokens in", "tokens out", "cost USD",
                             "body sha256", "status"}) {
    EXPECT_NE(out.find(column), std::string::npos) << column;
  }
  EXPECT_NE(out.find("2026-11-15 12:00:00  alice  internal  openai    gpt-4o-mini"), std::string::npos) << out;
  EXPECT_NE(out.find("1,200"), std::string::npos);
  EXPECT_NE(out.find("0.004321"), std::string::npos);
  EXPECT_NE(out.find("1.000000"), std::string::npos);
  EXPECT_NE(out.find(kHashA.substr(0, 12) + "  ok"), std::string::npos) << out;
  EXPECT_EQ(out.find(kHashA.substr(0, 13)), std::string::npos);  // the hash is shortened
  EXPECT_NE(out.find("error"), std::string::npos);
  EXPECT_NE(out.find("sent"), std::string::npos);
  EXPECT_EQ(out.find("old-model"), std::string::npos);  // before --since
  EXPECT_NE(out.find("Total: 3 requests (1 never finished: still 'sent'), 2,400 tokens in, 690 tokens out, "
                     "1.004321 USD."),
            std::string::npos)
      << out;
}

TEST_F(AuditCommandTest, FiltersByKey) {
  const CliRun run =
      run_hearth({"audit", "egress", "--since", "2026-10-01", "--key", "bob", "--state-dir", dir_.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("with key 'bob'"), std::string::npos);
  EXPECT_NE(run.out.find("claude-sonnet"), std::string::npos);
  EXPECT_EQ(run.out.find("gpt-4o-mini"), std::string::npos);
  EXPECT_NE(run.out.find("Total: 1 request, 1,200 tokens in, 345 tokens out, 1.000000 USD."), std::string::npos)
      << run.out;
}

TEST_F(AuditCommandTest, PrintsJsonWithExactMoney) {
  const CliRun run = run_hearth({"audit", "egress", "--since", "2026-10-01", "--json", "--state-dir", dir_.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out);
  ASSERT_EQ(out["requests"].size(), 4u);
  EXPECT_EQ(out["since"], "2026-10-01T00:00:00.000Z");
  EXPECT_EQ(out["requests"][0]["model"], "old-model");
  EXPECT_EQ(out["requests"][1]["time"], "2026-11-15T12:00:00.000Z");
  EXPECT_EQ(out["requests"][1]["cost_udollars"], 4'321);
  EXPECT_EQ(out["requests"][1]["cost_usd"], "0.004321");
  EXPECT_EQ(out["requests"][1]["body_sha256"], kHashA);
  EXPECT_EQ(out["requests"][3]["status"], "sent");
  EXPECT_EQ(out["totals"]["requests"], 4);
  EXPECT_EQ(out["totals"]["unfinished"], 1);
  EXPECT_EQ(out["totals"]["cost_udollars"], 999 + 4'321 + 1'000'000);
  EXPECT_EQ(out["totals"]["prompt_tokens"], 3 * 1'200);
  EXPECT_TRUE(out["key"].is_null());
}

TEST_F(AuditCommandTest, AnEmptyRangeSaysSo) {
  const CliRun run = run_hearth({"audit", "egress", "--since", "2030-01-01", "--state-dir", dir_.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("No requests left the boundary since 2030-01-01 00:00:00 UTC"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Total: 0 requests"), std::string::npos);
}

TEST_F(AuditCommandTest, BadFlagsAndANewerFileAreOneSentence) {
  CliRun run = run_hearth({"audit", "egress", "--since", "last tuesday", "--state-dir", dir_.path()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("hearth audit: --since 'last tuesday' is not a date"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty());

  run = run_hearth({"audit", "egress", "--key", "no spaces", "--state-dir", dir_.path()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--key: a key name is"), std::string::npos) << run.err;

  {
    Result<std::unique_ptr<db::Database>> db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->lock().exec("PRAGMA user_version=99").ok());
  }
  run = run_hearth({"audit", "egress", "--state-dir", dir_.path()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("newer than this hearth"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace hearth::cli

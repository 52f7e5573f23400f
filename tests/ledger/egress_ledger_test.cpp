// ledger::EgressLedger over a temp hearth.db: write-ahead begin and finish,
// what it refuses to record, month spend at the UTC month's edges, and the
// audit query's filters.
#include "ledger/egress_ledger.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <ctime>

#include "temp_dir.h"

namespace hearth::ledger {
namespace {

using db::Database;

// UTC instants (checked against Python's calendar.timegm).
constexpr int64_t kOct31Last = 1'793'491'199'000 + 999;  // 2026-10-31T23:59:59.999Z
constexpr int64_t kNov1 = 1'793'491'200'000;             // 2026-11-01T00:00:00Z
constexpr int64_t kNov15 = 1'794'744'000'000;            // 2026-11-15T12:00:00Z
constexpr int64_t kNov30Last = 1'796'083'199'000 + 999;  // 2026-11-30T23:59:59.999Z
constexpr int64_t kDec1 = 1'796'083'200'000;             // 2026-12-01T00:00:00Z
constexpr int64_t kDec31Last = 1'798'761'599'000;        // 2026-12-31T23:59:59Z
constexpr int64_t kJan1 = 1'798'761'600'000;             // 2027-01-01T00:00:00Z
constexpr int64_t kFeb1Leap = 1'832'976'000'000;         // 2028-02-01T00:00:00Z
constexpr int64_t kFeb29Leap = 1'835'438'400'000;        // 2028-02-29T12:00:00Z
constexpr int64_t kMar1Leap = 1'835'481'600'000;         // 2028-03-01T00:00:00Z

const std::string kBodyHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

EgressRecord record_at(int64_t ts_unix_ms, const std::string& key_name, const std::string& model = "gpt-4o-mini") {
  EgressRecord record;
  record.ts_unix_ms = ts_unix_ms;
  record.key_name = key_name;
  record.data_class = "internal";
  record.provider = "openai";
  record.model = model;
  record.body_sha256 = kBodyHash;
  return record;
}

class EgressLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    db_ = open_db();
    ASSERT_NE(db_, nullptr);
    Result<EgressLedger> ledger = EgressLedger::open(*db_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().to_string();
    ledger_.emplace(std::move(ledger).value());
  }

  std::unique_ptr<Database> open_db() {
    Result<std::unique_ptr<Database>> db = Database::open(dir_.file("hearth.db"));
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    if (!db.ok()) return nullptr;
    const Status migrated = (*db)->migrate(egress_migrations());
    EXPECT_TRUE(migrated.ok()) << migrated.to_string();
    return std::move(db).value();
  }

  // A finished request: begin, then finish with `cost_udollars`.
  int64_t spend(int64_t ts_unix_ms, const std::string& key_name, int64_t cost_udollars) {
    Result<int64_t> id = ledger_->begin(record_at(ts_unix_ms, key_name));
    EXPECT_TRUE(id.ok()) << id.status().to_string();
    if (!id.ok()) return -1;
    const Status finished = ledger_->finish(*id, 10, 20, cost_udollars, EgressStatus::kOk);
    EXPECT_TRUE(finished.ok()) << finished.to_string();
    return *id;
  }

  std::vector<EgressEntry> all() {
    Result<std::vector<EgressEntry>> entries = ledger_->query(0, std::nullopt);
    EXPECT_TRUE(entries.ok()) << entries.status().to_string();
    return entries.ok() ? std::move(entries).value() : std::vector<EgressEntry>{};
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::optional<EgressLedger> ledger_;
};

TEST_F(EgressLedgerTest, BeginRecordsBeforeFinishCompletes) {
  Result<int64_t> id = ledger_->begin(record_at(kNov15, "alice", "claude-sonnet"));
  ASSERT_TRUE(id.ok()) << id.status().to_string();

  // Before it ends, the row already says the request left.
  std::vector<EgressEntry> entries = all();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, *id);
  EXPECT_EQ(entries[0].status, EgressStatus::kSent);
  EXPECT_EQ(entries[0].record.ts_unix_ms, kNov15);
  EXPECT_EQ(entries[0].record.key_name, "alice");
  EXPECT_EQ(entries[0].record.data_class, "internal");
  EXPECT_EQ(entries[0].record.provider, "openai");
  EXPECT_EQ(entries[0].record.model, "claude-sonnet");
  EXPECT_EQ(entries[0].record.body_sha256, kBodyHash);
  EXPECT_EQ(entries[0].prompt_tokens, 0);
  EXPECT_EQ(entries[0].cost_udollars, 0);

  ASSERT_TRUE(ledger_->finish(*id, 1200, 345, 4'321, EgressStatus::kOk).ok());
  entries = all();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].status, EgressStatus::kOk);
  EXPECT_EQ(entries[0].prompt_tokens, 1200);
  EXPECT_EQ(entries[0].completion_tokens, 345);
  EXPECT_EQ(entries[0].cost_udollars, 4'321);

  // Once only.
  const Status again = ledger_->finish(*id, 1, 1, 1, EgressStatus::kError);
  EXPECT_EQ(again.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("already finished as ok"), std::string::npos) << again.message();
  EXPECT_EQ(all()[0].cost_udollars, 4'321);
  EXPECT_EQ(ledger_->finish(*id + 100, 1, 1, 1, EgressStatus::kOk).code(), ErrorCode::kNotFound);
}

TEST_F(EgressLedgerTest, FinishTakesEveryEndButSentAndRefusesBadCounts) {
  const int64_t error_id = *ledger_->begin(record_at(kNov15, "alice"));
  const int64_t cancelled_id = *ledger_->begin(record_at(kNov15, "alice"));
  EXPECT_EQ(ledger_->finish(error_id, 1, 1, 1, EgressStatus::kSent).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger_->finish(error_id, -1, 0, 0, EgressStatus::kOk).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger_->finish(error_id, 0, -1, 0, EgressStatus::kOk).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger_->finish(error_id, 0, 0, -1, EgressStatus::kOk).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger_->finish(error_id, kEgressTokensMax + 1, 0, 0, EgressStatus::kOk).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger_->finish(error_id, 0, 0, kEgressCostMaxUdollars + 1, EgressStatus::kOk).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(ledger_->finish(error_id, 50, 0, 0, EgressStatus::kError).ok());
  ASSERT_TRUE(ledger_->finish(cancelled_id, 50, 7, 90, EgressStatus::kCancelled).ok());
  const std::vector<EgressEntry> entries = all();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status, EgressStatus::kError);
  EXPECT_EQ(entries[1].status, EgressStatus::kCancelled);
  EXPECT_EQ(entries[1].cost_udollars, 90);  // a cancelled stream still cost what it used
}

TEST_F(EgressLedgerTest, RefusesRecordsItWouldNotPrintFaithfully) {
  std::vector<EgressRecord> bad(10, record_at(kNov15, "alice"));
  bad[0].ts_unix_ms = 0;
  bad[1].provider = "";
  bad[2].model = "";
  bad[3].data_class = "";
  bad[4].model = "gpt\x1b[31m";  // a terminal escape in an audit table
  bad[5].model = std::string(kEgressNameMaxBytes + 1, 'm');
  bad[6].key_name = std::string(kEgressKeyNameMaxBytes + 1, 'k');
  bad[7].body_sha256 = kBodyHash.substr(1);
  bad[8].body_sha256 = std::string(64, 'g');
  bad[9].provider = " openai";
  for (const EgressRecord& record : bad) {
    Result<int64_t> id = ledger_->begin(record);
    EXPECT_EQ(id.status().code(), ErrorCode::kInvalidArgument) << record.model << " " << record.provider;
  }
  EXPECT_TRUE(all().empty());

  // No key (a gateway without keys) and an upper-case hash are fine; the hash is stored lower-case.
  EgressRecord anonymous = record_at(kNov15, "");
  for (char& ch : anonymous.body_sha256) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ASSERT_TRUE(ledger_->begin(anonymous).ok());
  ASSERT_EQ(all().size(), 1u);
  EXPECT_EQ(all()[0].record.key_name, "");
  EXPECT_EQ(all()[0].record.body_sha256, kBodyHash);
}

TEST_F(EgressLedgerTest, UtcMonthBoundsAreCalendarMonths) {
  EXPECT_EQ(utc_month_containing(kNov15).start_unix_ms, kNov1);
  EXPECT_EQ(utc_month_containing(kNov15).end_unix_ms, kDec1);
  EXPECT_EQ(utc_month_containing(kNov1).start_unix_ms, kNov1);
  EXPECT_EQ(utc_month_containing(kNov30Last).end_unix_ms, kDec1);
  EXPECT_EQ(utc_month_containing(kOct31Last).end_unix_ms, kNov1);
  EXPECT_EQ(utc_month_containing(kDec31Last).end_unix_ms, kJan1);  // the year rolls over
  EXPECT_EQ(utc_month_containing(kFeb29Leap).start_unix_ms, kFeb1Leap);
  EXPECT_EQ(utc_month_containing(kFeb29Leap).end_unix_ms, kMar1Leap);
  EXPECT_EQ(utc_month_containing(0).start_unix_ms, 0);
  EXPECT_EQ(utc_month_containing(-1).end_unix_ms, 0);  // December 1969
}

TEST_F(EgressLedgerTest, MonthSpendCountsOneKeysCalendarMonthInUtc) {
  // The local time zone must not matter: the month is UTC's.
  const char* saved_tz = std::getenv("TZ");
  const std::string saved = saved_tz != nullptr ? saved_tz : "";
  ::setenv("TZ", "Pacific/Kiritimati", 1);  // UTC+14: local November starts on UTC's October 31
  ::tzset();

  spend(kOct31Last, "alice", 1);
  spend(kNov1, "alice", 10);
  spend(kNov30Last, "alice", 100);
  spend(kDec1, "alice", 1'000);
  spend(kNov15, "bob", 10'000);
  ASSERT_TRUE(ledger_->begin(record_at(kNov15, "alice")).ok());  // in flight: counts 0 until finished

  EXPECT_EQ(*ledger_->month_spend_udollars("alice", kNov15), 110);
  EXPECT_EQ(*ledger_->month_spend_udollars("alice", kNov1), 110);
  EXPECT_EQ(*ledger_->month_spend_udollars("alice", kNov30Last), 110);
  EXPECT_EQ(*ledger_->month_spend_udollars("alice", kOct31Last), 1);
  EXPECT_EQ(*ledger_->month_spend_udollars("alice", kDec1), 1'000);
  EXPECT_EQ(*ledger_->month_spend_udollars("bob", kNov15), 10'000);
  EXPECT_EQ(*ledger_->month_spend_udollars("carol", kNov15), 0);
  EXPECT_EQ(*ledger_->month_spend_udollars("ALICE", kNov15), 0);  // names are exact

  if (saved_tz != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST_F(EgressLedgerTest, QueryFiltersBySinceAndKeyOldestFirst) {
  // Inserted out of time order: the query orders by time, then id.
  const int64_t late = spend(kDec1, "alice", 1);
  const int64_t early = spend(kOct31Last, "alice", 1);
  const int64_t bob = spend(kNov15, "bob", 1);
  const int64_t same_time = spend(kDec1, "bob", 1);

  Result<std::vector<EgressEntry>> everything = ledger_->query(0, std::nullopt);
  ASSERT_TRUE(everything.ok());
  ASSERT_EQ(everything->size(), 4u);
  EXPECT_EQ((*everything)[0].id, early);
  EXPECT_EQ((*everything)[1].id, bob);
  EXPECT_EQ((*everything)[2].id, late);
  EXPECT_EQ((*everything)[3].id, same_time);

  Result<std::vector<EgressEntry>> since_nov = ledger_->query(kNov1, std::nullopt);
  ASSERT_TRUE(since_nov.ok());
  EXPECT_EQ(since_nov->size(), 3u);
  Result<std::vector<EgressEntry>> since_exactly = ledger_->query(kDec1, std::nullopt);  // inclusive
  ASSERT_TRUE(since_exactly.ok());
  EXPECT_EQ(since_exactly->size(), 2u);

  Result<std::vector<EgressEntry>> alice = ledger_->query(kNov1, std::string("alice"));
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 1u);
  EXPECT_EQ((*alice)[0].id, late);
  Result<std::vector<EgressEntry>> nobody = ledger_->query(0, std::string("carol"));
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
  Result<std::vector<EgressEntry>> future = ledger_->query(kJan1, std::nullopt);
  ASSERT_TRUE(future.ok());
  EXPECT_TRUE(future->empty());
}

TEST_F(EgressLedgerTest, RecentIsTheLastRowsBegunNewestFirst) {
  const int64_t first = spend(kDec1, "alice", 1);
  const int64_t second = spend(kOct31Last, "bob", 2);  // earlier timestamp, begun later
  Result<int64_t> in_flight = ledger_->begin(record_at(kNov15, "carol"));
  ASSERT_TRUE(in_flight.ok());

  Result<std::vector<EgressEntry>> two = ledger_->recent(2);
  ASSERT_TRUE(two.ok()) << two.status().to_string();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].id, *in_flight);
  EXPECT_EQ((*two)[0].status, EgressStatus::kSent);
  EXPECT_EQ((*two)[1].id, second);
  EXPECT_EQ((*two)[1].cost_udollars, 2);

  Result<std::vector<EgressEntry>> many = ledger_->recent(100);
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[2].id, first);
  Result<std::vector<EgressEntry>> none = ledger_->recent(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EgressLedgerTest, AnotherProcessReadsWhatWasRecorded) {
  const int64_t id = spend(kNov15, "alice", 77);
  std::unique_ptr<Database> audit_db = open_db();  // `hearth audit egress` beside `hearth serve`
  ASSERT_NE(audit_db, nullptr);
  Result<EgressLedger> audit = EgressLedger::open(*audit_db);
  ASSERT_TRUE(audit.ok());
  Result<std::vector<EgressEntry>> entries = audit->query(0, std::nullopt);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].id, id);
  EXPECT_EQ((*entries)[0].cost_udollars, 77);
}

TEST_F(EgressLedgerTest, OpenNeedsTheTable) {
  Result<std::unique_ptr<Database>> bare = Database::open(dir_.file("bare.db"));
  ASSERT_TRUE(bare.ok());
  Result<EgressLedger> ledger = EgressLedger::open(**bare);
  ASSERT_FALSE(ledger.ok());
  EXPECT_EQ(ledger.status().code(), ErrorCode::kInternal);
  EXPECT_NE(ledger.status().message().find("egress"), std::string::npos);
}

TEST(EgressStatusTest, NamesRoundTrip) {
  for (EgressStatus status : {EgressStatus::kSent, EgressStatus::kOk, EgressStatus::kError, EgressStatus::kCancelled}) {
    EXPECT_EQ(parse_egress_status(egress_status_name(status)), status);
  }
  EXPECT_EQ(parse_egress_status("OK"), std::nullopt);
  EXPECT_EQ(parse_egress_status(""), std::nullopt);
}

}  // namespace
}  // namespace hearth::ledger

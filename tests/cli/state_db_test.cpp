// Where hearth.db is (flag, $HEARTH_STATE_DIR, $HOME), its schema (every
// area's steps, once, in order), and the UTC times the state commands read and print.
#include "cli/state_db.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "cli/utc_time.h"
#include "gateway/api_keys.h"
#include "jobs/jobs_schema.h"
#include "ledger/egress_ledger.h"
#include "ledger/usage_ledger.h"
#include "temp_dir.h"

namespace hearth::cli {
namespace {

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(StateDbTest, FlagThenEnvironmentThenHome) {
  ScopedEnv home("HOME", "/home/shop");
  {
    ScopedEnv state("HEARTH_STATE_DIR", "/srv/hearth/");
    EXPECT_EQ(*resolve_state_db_path("/flag/dir"), "/flag/dir/hearth.db");
    EXPECT_EQ(*resolve_state_db_path(""), "/srv/hearth/hearth.db");
  }
  ScopedEnv no_state("HEARTH_STATE_DIR", nullptr);
  EXPECT_EQ(*resolve_state_db_path(""), "/home/shop/.local/share/hearth/state/hearth.db");
  ScopedEnv empty_state("HEARTH_STATE_DIR", "");  // set but empty counts as unset
  EXPECT_EQ(*resolve_state_db_path(""), "/home/shop/.local/share/hearth/state/hearth.db");
  ScopedEnv no_home("HOME", nullptr);
  Result<std::string> nowhere = resolve_state_db_path("");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(nowhere.status().message().find("--state-dir"), std::string::npos);
}

TEST(StateDbTest, TheSchemaHoldsEveryAreasStepsOnceInTheirOrder) {
  const std::vector<db::Migration> schema = state_schema();
  const auto position = [&schema](const db::Migration& step) {
    int64_t found = -1;
    int n_found = 0;
    for (size_t step_idx = 0; step_idx < schema.size(); ++step_idx) {
      if (schema[step_idx].sql == step.sql) {
        found = static_cast<int64_t>(step_idx);
        ++n_found;
      }
    }
    EXPECT_EQ(n_found, 1) << step.name;
    return found;
  };
  size_t n_area_steps = 0;
  for (std::span<const db::Migration> area : {gateway::api_key_migrations(), ledger::egress_migrations(), ledger::usage_migrations(),
                                                   jobs::jobs_migrations()}) {
    int64_t previous = -1;
    for (const db::Migration& step : area) {
      const int64_t at = position(step);
      EXPECT_GT(at, previous) << step.name << " comes before an earlier step of its area";
      previous = at;
      ++n_area_steps;
    }
  }
  EXPECT_EQ(n_area_steps, schema.size());
}

TEST(StateDbTest, OpenMigratesAFreshFileAndRefusesANewerOne) {
  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state/hearth.db");
  {
    Result<std::unique_ptr<db::Database>> db = open_state_db(path);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    EXPECT_EQ(*(*db)->schema_version(), static_cast<int64_t>(state_schema().size()));
    EXPECT_TRUE(gateway::KeyStore::open(**db).ok());
    EXPECT_TRUE(ledger::EgressLedger::open(**db).ok());
    ASSERT_TRUE((*db)->lock().exec("PRAGMA user_version=99").ok());
  }
  Result<std::unique_ptr<db::Database>> newer = open_state_db(path);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer than this hearth"), std::string::npos);
}

// 2026-11-15T12:00:00Z
constexpr int64_t kNow = 1'794'744'000'000;

TEST(UtcTimeTest, ParsesTheSinceForms) {
  EXPECT_EQ(*parse_since("2026-11-01", kNow), 1'793'491'200'000);
  EXPECT_EQ(*parse_since("2026-11-01T10:00:00Z", kNow), 1'793'491'200'000 + 10 * 3'600'000);
  EXPECT_EQ(*parse_since("2028-02-29", kNow), 1'835'395'200'000);
  EXPECT_EQ(*parse_since("24h", kNow), kNow - 86'400'000);
  EXPECT_EQ(*parse_since("7d", kNow), kNow - 7 * 86'400'000);
  EXPECT_EQ(*parse_since("90m", kNow), kNow - 90 * 60'000);
  EXPECT_EQ(*parse_since("1h30m", kNow), kNow - 90 * 60'000);
}

TEST(UtcTimeTest, RefusesEverythingElse) {
  for (const char* text : {"",
                           "2026-11",
                           "2026-13-01",
                           "2026-02-30",
                           "2027-02-29",
                           "2026-11-01T24:00:00Z",
                           "2026-11-01T10:00:00",
                           "2026-11-01 10:00:00",
                           "2026-11-01T10:00Z",
                           "2026-11-01T10:00:00+01",
                           "26-11-01",
                           "0d",
                           "-7d",
                           "7",
                           "7w",
                           "d",
                           "1e3d",
                           "-1",
                           "0",
                           "-24h",
                           "24 h",
                           "yesterday",
                           "2026-11-01junk"}) {
    Result<int64_t> since = parse_since(text, kNow);
    ASSERT_FALSE(since.ok()) << text;
    EXPECT_NE(since.status().message().find("24h, 7d"), std::string::npos);
  }
}

TEST(UtcTimeTest, FormatsInUtc) {
  ScopedEnv tz("TZ", "Asia/Kolkata");  // a local zone must not leak in
  EXPECT_EQ(format_utc_table_time(kNow + 1'234), "2026-11-15 12:00:01");
  EXPECT_EQ(format_utc_iso_time(kNow + 1'234), "2026-11-15T12:00:01.234Z");
  EXPECT_EQ(format_utc_table_time(0), "1970-01-01 00:00:00");
}

}  // namespace
}  // namespace hearth::cli

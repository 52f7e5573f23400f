// A temp hearth.db with the jobs tables, and a clock the test moves.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>

#include "db/sqlite_db.h"
#include "jobs/jobs_schema.h"
#include "temp_dir.h"

namespace hearth::jobs::test {

struct JobsDb {
  hearth::test::TempDir dir;
  std::unique_ptr<db::Database> db;
  std::shared_ptr<std::atomic<int64_t>> now_ms = std::make_shared<std::atomic<int64_t>>(1'700'000'000'000);

  JobsDb() {
    auto opened = db::Database::open(dir.file("hearth.db"));
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    if (!opened.ok()) return;
    db = std::move(opened).value();
    Status migrated = db->migrate(jobs_migrations());
    EXPECT_TRUE(migrated.ok()) << migrated.message();
  }

  std::function<int64_t()> clock() const {
    return [now = now_ms] { return now->load(); };
  }
};

}  // namespace hearth::jobs::test

// The tables the batch API keeps in hearth.db: uploaded files (their bytes
// live beside hearth.db, jobs/file_store.h), batches and their lines
// (jobs/batch_store.h). One ordered list of migration steps, appended to
// cli::state_schema().
#pragma once

#include <span>

#include "db/sqlite_db.h"

namespace hearth::jobs {

std::span<const db::Migration> jobs_migrations();

}  // namespace hearth::jobs

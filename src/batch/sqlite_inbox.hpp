// batch/sqlite_inbox.hpp — the inbox operations of the SQLite journal (journal.hpp), on its
// connection. The caller holds the journal's connection mutex; every write is its own transaction.
#pragma once

#include <string>
#include <vector>

#include <sqlite3.h>

#include "batch/journal.hpp"

namespace crewai::batch::sqlite_inbox {

Result<std::vector<InboxEntry>> list(sqlite3* db, const std::string& path);
Result<void> record_intent(sqlite3* db, const std::string& path, const InboxAnswer& a);
Result<void> record_answer(sqlite3* db, const std::string& path, const InboxAnswer& a);
Result<void> forget(sqlite3* db, const std::string& path, const InboxAnswer& a);

}  // namespace crewai::batch::sqlite_inbox

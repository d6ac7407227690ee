// The inbox on SQLite: paused records come from `records`; answers live in their own table, keyed
// by the pause they answer, so that an answer is sent at most once per pause (the primary key is
// the guard: a second intent for the same pause is refused inside the same transaction).
#include "batch/sqlite_inbox.hpp"

#include <map>
#include <tuple>

#include "batch/output_writer.hpp"
#include "batch/sqlite_util.hpp"

namespace crewai::batch::sqlite_inbox {
namespace {

// Created on first use, not in the batch schema: a journal written before the inbox existed, or
// opened by a reader, simply has no answers yet.
constexpr const char* kAnswersTable = R"sql(
CREATE TABLE IF NOT EXISTS answers(
  idx INTEGER NOT NULL, paused_kickoff_id TEXT NOT NULL, paused_at REAL NOT NULL,
  feedback TEXT NOT NULL, approve INTEGER NOT NULL, sent_at REAL NOT NULL,
  answered_at REAL, kickoff_id TEXT, status TEXT,
  PRIMARY KEY(idx, paused_kickoff_id, paused_at)) WITHOUT ROWID;
)sql";

using Key = std::tuple<std::size_t, std::string, double>;

Result<bool> has_table(sqlite3* db, const std::string& path, const char* name) {
  sqlite::Stmt s;
  int rc = sqlite::prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", s);
  if (rc == SQLITE_OK) {
    sqlite::bind_text(s.get(), 1, name);
    rc = sqlite3_step(s.get());
  }
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite::make(db, rc, path, "cannot read its inbox"));
  return sqlite3_column_int(s.get(), 0) > 0;
}

Result<std::map<Key, InboxAnswer>> answers(sqlite3* db, const std::string& path) {
  std::map<Key, InboxAnswer> out;
  auto exists = has_table(db, path, "answers");
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return out;
  sqlite::Stmt s;
  int rc = sqlite::prepare(db,
                           "SELECT idx, paused_kickoff_id, paused_at, feedback, approve, sent_at, "
                           "answered_at, kickoff_id, status FROM answers",
                           s);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite::make(db, rc, path, "cannot read its inbox"));
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    InboxAnswer a;
    a.index = static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0));
    a.paused_kickoff_id = sqlite::column_text(s.get(), 1);
    a.paused_at = sqlite3_column_double(s.get(), 2);
    a.feedback = sqlite::column_text(s.get(), 3);
    a.approve = sqlite3_column_int(s.get(), 4) != 0;
    a.sent_at = sqlite3_column_double(s.get(), 5);
    if (sqlite3_column_type(s.get(), 6) != SQLITE_NULL) a.answered_at = sqlite3_column_double(s.get(), 6);
    a.kickoff_id = sqlite::column_text(s.get(), 7);
    a.status = sqlite::column_text(s.get(), 8);
    out.emplace(Key{a.index, a.paused_kickoff_id, a.paused_at}, std::move(a));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite::make(db, rc, path, "cannot read its inbox"));
  return out;
}

// One statement in its own IMMEDIATE transaction, committed before returning.
template <class Bind>
Result<int> write(sqlite3* db, const std::string& path, const char* sql, Bind bind) {
  if (int rc = sqlite::exec(db, "BEGIN IMMEDIATE"); rc != SQLITE_OK) {
    return tl::unexpected(sqlite::make(db, rc, path, "cannot write its inbox"));
  }
  int rc = sqlite::exec(db, kAnswersTable);
  sqlite::Stmt s;
  if (rc == SQLITE_OK) rc = sqlite::prepare(db, sql, s);
  if (rc == SQLITE_OK) {
    bind(s.get());
    rc = sqlite3_step(s.get());
  }
  if (rc != SQLITE_DONE) {
    Error e = sqlite::make(db, rc, path, "cannot write its inbox");
    s.reset();
    sqlite::exec(db, "ROLLBACK");
    return tl::unexpected(std::move(e));
  }
  int changed = sqlite3_changes(db);
  s.reset();
  if (rc = sqlite::exec(db, "COMMIT"); rc != SQLITE_OK) {
    Error e = sqlite::make(db, rc, path, "cannot commit its inbox");
    sqlite::exec(db, "ROLLBACK");
    return tl::unexpected(std::move(e));
  }
  return changed;
}

void bind_key(sqlite3_stmt* s, const InboxAnswer& a) {
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(a.index));
  sqlite::bind_text(s, 2, a.paused_kickoff_id);
  sqlite3_bind_double(s, 3, a.paused_at);
}

}  // namespace

Result<std::vector<InboxEntry>> list(sqlite3* db, const std::string& path) {
  auto known = answers(db, path);
  if (!known) return tl::unexpected(known.error());
  std::vector<InboxEntry> out;
  auto exists = has_table(db, path, "records");
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return out;
  sqlite::Stmt s;
  int rc = sqlite::prepare(db, "SELECT idx, json FROM records WHERE outcome = 'paused' ORDER BY idx", s);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite::make(db, rc, path, "cannot read its inbox"));
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    auto record = record_from_results_line(Json::parse(sqlite::column_text(s.get(), 1), nullptr, false));
    if (!record) {
      return make_error(ErrorCode::protocol,
                        "journal " + path + ": the record of item " +
                            std::to_string(sqlite3_column_int64(s.get(), 0)) + " is corrupt");
    }
    InboxEntry e;
    e.record = std::move(*record);
    auto it = known->find(Key{e.record.index, e.record.kickoff_id, e.record.finished_at.value_or(0)});
    if (it != known->end()) e.answer = it->second;
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite::make(db, rc, path, "cannot read its inbox"));
  return out;
}

Result<void> record_intent(sqlite3* db, const std::string& path, const InboxAnswer& a) {
  auto n = write(db, path,
                 "INSERT INTO answers(idx, paused_kickoff_id, paused_at, feedback, approve, sent_at) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                 [&a](sqlite3_stmt* s) {
                   bind_key(s, a);
                   sqlite::bind_text(s, 4, a.feedback);
                   sqlite3_bind_int(s, 5, a.approve ? 1 : 0);
                   sqlite3_bind_double(s, 6, a.sent_at);
                 });
  if (!n) return tl::unexpected(n.error());
  if (*n == 0) {
    return make_error(ErrorCode::failed_precondition,
                      "item " + std::to_string(a.index) + " (run " + a.paused_kickoff_id +
                          ") has already been answered");
  }
  return {};
}

Result<void> record_answer(sqlite3* db, const std::string& path, const InboxAnswer& a) {
  auto n = write(db, path,
                 "UPDATE answers SET answered_at = ?4, kickoff_id = ?5, status = ?6 "
                 "WHERE idx = ?1 AND paused_kickoff_id = ?2 AND paused_at = ?3",
                 [&a](sqlite3_stmt* s) {
                   bind_key(s, a);
                   sqlite3_bind_double(s, 4, a.answered_at.value_or(0));
                   sqlite::bind_text(s, 5, a.kickoff_id);
                   sqlite::bind_text(s, 6, a.status);
                 });
  if (!n) return tl::unexpected(n.error());
  return {};
}

Result<void> forget(sqlite3* db, const std::string& path, const InboxAnswer& a) {
  auto n = write(db, path,
                 "DELETE FROM answers WHERE idx = ?1 AND paused_kickoff_id = ?2 AND paused_at = ?3 "
                 "AND answered_at IS NULL",
                 [&a](sqlite3_stmt* s) { bind_key(s, a); });
  if (!n) return tl::unexpected(n.error());
  return {};
}

}  // namespace crewai::batch::sqlite_inbox

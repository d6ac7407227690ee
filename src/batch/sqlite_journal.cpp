// The SQLite journal: WAL, one writer thread, group commit.
//
// Durability: WAL with synchronous=FULL by default (SqliteJournalOptions::survive_power_loss): each
// group commit is fsynced before its `done` runs, so an intent survives a power loss too. That is
// what "never a second paid run" needs: an intent lost in a machine crash while its kickoff had
// left would be kicked off again on resume. The fsync runs on the writer thread, never on the
// batch loop, and costs one per group commit (~0.03 per item under load: intents' commits are
// paced, GroupCommitOptions::min_interval). With survive_power_loss
// false (synchronous=NORMAL, `crewctl batch --journal-sync normal`), a commit is in the WAL file in
// the OS page cache: it survives the death of the process (SIGKILL, abort, OOM kill), not of the
// machine.
//
// Group commit (group_commit.hpp): an intent is committed at once, or under load at most
// min_interval after the previous commit began; kickoff ids and final records ride along with the
// next commit (or wait at most GroupCommitOptions::max_delay), so under load a transaction carries
// many operations.
//
// Records are stored as their results-file line (results_line, made once by the batch for the
// journal and the results file alike); schema version 1 stored crewai::to_json's text, which
// record_from_results_line reads as well.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "batch/group_commit.hpp"
#include "batch/journal.hpp"
#include "batch/journal_lock.hpp"
#include "batch/output_writer.hpp"
#include "batch/sqlite_inbox.hpp"
#include "batch/sqlite_util.hpp"
#include "batch/unix_time.hpp"
#include "protocol/json_util.hpp"

namespace crewai::batch {
namespace {

constexpr int kSchemaVersion = 2;  // 2: records hold results lines

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts(
  idx INTEGER NOT NULL, attempt INTEGER NOT NULL, request_id TEXT NOT NULL DEFAULT '',
  kickoff_id TEXT, intent_at REAL, kickoff_at REAL, PRIMARY KEY(idx, attempt)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records(
  idx INTEGER PRIMARY KEY, json TEXT NOT NULL, outcome TEXT NOT NULL, finished_at REAL);
PRAGMA user_version = 2;
)sql";

constexpr const char* kInsertIntent =
    "INSERT INTO attempts(idx, attempt, request_id, intent_at) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(idx, attempt) DO UPDATE SET request_id = excluded.request_id, "
    "intent_at = excluded.intent_at";
constexpr const char* kUpsertKickoff =
    "INSERT INTO attempts(idx, attempt, kickoff_id, kickoff_at) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(idx, attempt) DO UPDATE SET kickoff_id = excluded.kickoff_id, "
    "kickoff_at = excluded.kickoff_at";
// A kickoff id is recorded after its intent's commit, so its row is there: an UPDATE finds it with
// one B-tree search where the upsert above tries an insert first (issue 13). The upsert remains
// for a row that is not there (changes() == 0).
constexpr const char* kUpdateKickoff =
    "UPDATE attempts SET kickoff_id = ?3, kickoff_at = ?4 WHERE idx = ?1 AND attempt = ?2";
// An intent whose kickoff never left (Journal::withdraw_intent); a row with a kickoff id stays.
constexpr const char* kWithdrawIntent =
    "DELETE FROM attempts WHERE idx = ?1 AND attempt = ?2 AND kickoff_id IS NULL";
constexpr const char* kUpsertRecord =
    "INSERT INTO records(idx, json, outcome, finished_at) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(idx) DO UPDATE SET json = excluded.json, outcome = excluded.outcome, "
    "finished_at = excluded.finished_at";

using Op = JournalOp;

Error identity_error(std::string message) {
  Error e;
  e.code = ErrorCode::failed_precondition;
  e.message = std::move(message);
  return e;
}

class SqliteJournal final : public Journal {
 public:
  SqliteJournal(std::string path, sqlite::Db db, std::optional<JournalLock> lock, GroupCommitOptions group,
                bool fsync_per_commit)
      : path_(std::move(path)), lock_(std::move(lock)), fsync_per_commit_(fsync_per_commit), db_(std::move(db)),
        writer_([this](std::vector<Op>& ops) { return commit(ops); }, std::move(group)) {}

  Result<void> bind(const BatchIdentity& id) override;
  Result<std::optional<BatchIdentity>> identity() override;
  Result<std::vector<JournalItem>> load() override;

  void record_intent(std::size_t index, int attempt, const std::string& request_id,
                     std::function<void(Result<void>)> done) override {
    writer_.enqueue(Op{Op::Kind::intent, index, attempt, request_id, {}, std::nullopt, unix_now(), std::move(done)});
  }
  void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) override {
    writer_.enqueue(Op{Op::Kind::kickoff, index, attempt, kickoff_id, {}, std::nullopt, unix_now(), {}});
  }
  void record_final(const ItemRecord& rec) override { record_final_line(rec, results_line(rec)); }
  void record_final_line(const ItemRecord& rec, std::string line) override {
    writer_.enqueue(Op{Op::Kind::final, rec.index, 0, std::move(line),
                       std::string(crewai::to_string(rec.outcome)), rec.finished_at, unix_now(), {}});
  }
  void withdraw_intent(std::size_t index, int attempt) override {
    writer_.enqueue(Op{Op::Kind::withdraw, index, attempt, {}, {}, std::nullopt, unix_now(), {}});
  }
  void hold_commits() override { writer_.hold(); }
  void release_commits() override { writer_.release(); }
  JournalStats stats() const override {
    auto s = writer_.stats();
    return JournalStats{s.transactions, s.operations, fsync_per_commit_, s.deferred_wakes};
  }

  Result<void> flush() override { return writer_.flush(); }

  std::string path() const override { return path_; }

  // The inbox (sqlite_inbox.cpp): on this connection, beside the writer thread.
  Result<std::vector<InboxEntry>> inbox() override {
    std::lock_guard db_lock(db_mu_);
    return sqlite_inbox::list(db_.get(), path_);
  }
  Result<void> record_answer_intent(const InboxAnswer& a) override { return inbox_write(a, &sqlite_inbox::record_intent); }
  Result<void> record_answer(const InboxAnswer& a) override { return inbox_write(a, &sqlite_inbox::record_answer); }
  Result<void> forget_answer(const InboxAnswer& a) override { return inbox_write(a, &sqlite_inbox::forget); }

 private:
  Result<void> inbox_write(const InboxAnswer& a,
                           Result<void> (*op)(sqlite3*, const std::string&, const InboxAnswer&)) {
    std::lock_guard db_lock(db_mu_);
    if (!lock_) return make_error(ErrorCode::internal, "journal " + path_ + ": opened as a reader");
    return op(db_.get(), path_, a);
  }
  Result<void> commit(std::vector<Op>& ops);
  Result<void> write_op(Op& op);
  int step_op(sqlite3_stmt* s, const Op& op);  // binds `op` to s, steps, resets: the step's code
  [[nodiscard]] Result<void> check_identity(const BatchIdentity& id);
  Result<std::optional<std::string>> meta(const std::string& key);
  [[nodiscard]] Result<void> set_meta(const std::string& key, const std::string& value);
  Result<bool> has_tables();
  Error fail(int rc, std::string_view what) { return sqlite::make(db_.get(), rc, path_, what); }

  const std::string path_;
  std::optional<JournalLock> lock_;  // empty: a reader; released after the connection closes
  const bool fsync_per_commit_;      // PRAGMA synchronous as SQLite took it: FULL or EXTRA

  std::mutex db_mu_;  // guards the connection and statements (writer vs bind/load)
  sqlite::Db db_;
  sqlite::Stmt intent_stmt_, kickoff_stmt_, update_kickoff_stmt_, record_stmt_, withdraw_stmt_;
  sqlite::Stmt begin_stmt_, commit_stmt_;
  bool bound_ = false;

  GroupCommit writer_;  // last: its thread stops (writing what is queued) before the rest goes
};

Result<void> SqliteJournal::commit(std::vector<Op>& ops) {
  std::lock_guard db_lock(db_mu_);
  if (!bound_) return make_error(ErrorCode::internal, "journal " + path_ + ": written before bind()");
  // BEGIN and COMMIT prepared once: sqlite3_exec would parse them again for every transaction.
  if (int rc = sqlite::step_once(begin_stmt_.get()); rc != SQLITE_OK) {
    return tl::unexpected(fail(rc, "cannot begin a transaction"));
  }
  for (auto& op : ops) {
    if (auto r = write_op(op); !r) {
      sqlite::exec(db_.get(), "ROLLBACK");
      return r;
    }
  }
  if (int rc = sqlite::step_once(commit_stmt_.get()); rc != SQLITE_OK) {
    Error e = fail(rc, "cannot commit");
    sqlite::exec(db_.get(), "ROLLBACK");
    return tl::unexpected(std::move(e));
  }
  return {};
}

Result<void> SqliteJournal::write_op(Op& op) {
  int rc = SQLITE_DONE;
  if (op.kind == Op::Kind::kickoff) {
    rc = step_op(update_kickoff_stmt_.get(), op);
    if (rc == SQLITE_DONE && sqlite3_changes(db_.get()) == 0) rc = step_op(kickoff_stmt_.get(), op);
  } else if (op.kind == Op::Kind::withdraw) {
    sqlite3_stmt* s = withdraw_stmt_.get();
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(op.index));
    sqlite3_bind_int(s, 2, op.attempt);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
  } else {
    rc = step_op(op.kind == Op::Kind::intent ? intent_stmt_.get() : record_stmt_.get(), op);
  }
  if (rc != SQLITE_DONE) return tl::unexpected(fail(rc, "cannot write"));
  return {};
}

int SqliteJournal::step_op(sqlite3_stmt* s, const Op& op) {
  // The texts are bound without a copy: `op` outlives the step (and clear_bindings below drops the
  // pointers before `op` goes).
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(op.index));
  if (op.kind == Op::Kind::final) {
    sqlite::bind_static_text(s, 2, op.text);
    sqlite::bind_static_text(s, 3, op.outcome);
    if (op.finished_at) {
      sqlite3_bind_double(s, 4, *op.finished_at);
    } else {
      sqlite3_bind_null(s, 4);
    }
  } else {
    sqlite3_bind_int(s, 2, op.attempt);
    sqlite::bind_static_text(s, 3, op.text);
    sqlite3_bind_double(s, 4, op.at);
  }
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return rc;
}

Result<bool> SqliteJournal::has_tables() {
  sqlite::Stmt s;
  int rc = sqlite::prepare(db_.get(),
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                           "('meta', 'attempts', 'records')",
                           s);
  if (rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot read"));
  rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return tl::unexpected(fail(rc, "cannot read"));
  return sqlite3_column_int(s.get(), 0) == 3;
}

Result<std::optional<std::string>> SqliteJournal::meta(const std::string& key) {
  sqlite::Stmt s;
  int rc = sqlite::prepare(db_.get(), "SELECT value FROM meta WHERE key = ?1", s);
  if (rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot read its identity"));
  sqlite::bind_text(s.get(), 1, key);
  rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) return std::optional<std::string>(sqlite::column_text(s.get(), 0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return tl::unexpected(fail(rc, "cannot read its identity"));
}

Result<void> SqliteJournal::set_meta(const std::string& key, const std::string& value) {
  sqlite::Stmt s;
  int rc = sqlite::prepare(
      db_.get(), "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
      s);
  if (rc == SQLITE_OK) {
    sqlite::bind_text(s.get(), 1, key);
    sqlite::bind_text(s.get(), 2, value);
    rc = sqlite3_step(s.get());
  }
  if (rc != SQLITE_DONE && rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot write"));
  return {};
}

Result<void> SqliteJournal::check_identity(const BatchIdentity& id) {
  const std::string url = journal_safe_url(id.deployment_url);
  auto stored_url = meta("deployment_url");
  if (!stored_url) return tl::unexpected(stored_url.error());
  if (!*stored_url) {
    const std::pair<const char*, std::string> fields[] = {
        {"deployment_url", url},
        {"inputs_hash", id.inputs_hash},
        {"item_count", std::to_string(id.item_count)},
        {"batch_id", id.batch_id},
        {"created_at", std::to_string(unix_now())}};
    for (const auto& [key, value] : fields) {
      if (auto r = set_meta(key, value); !r) return r;
    }
    return {};
  }
  if (**stored_url != url) {
    return tl::unexpected(identity_error("journal " + path_ + " belongs to deployment " +
                                         **stored_url + ", not " + url));
  }
  auto stored_hash = meta("inputs_hash");
  if (!stored_hash) return tl::unexpected(stored_hash.error());
  if (stored_hash->value_or("") != id.inputs_hash) {
    return tl::unexpected(identity_error(
        "journal " + path_ + " was written for other inputs (hash " +
        stored_hash->value_or("").substr(0, 12) + ".. vs " + id.inputs_hash.substr(0, 12) + "..)"));
  }
  auto stored_batch = meta("batch_id");
  if (!stored_batch) return tl::unexpected(stored_batch.error());
  if (!id.batch_id.empty() && stored_batch->value_or("") != id.batch_id) {
    return tl::unexpected(identity_error("journal " + path_ + " was written with batch id " +
                                         stored_batch->value_or("") + ", not " + id.batch_id));
  }
  return {};
}

Result<void> SqliteJournal::bind(const BatchIdentity& id) {
  std::lock_guard db_lock(db_mu_);
  if (!lock_) return make_error(ErrorCode::internal, "journal " + path_ + ": opened as a reader");
  if (int rc = sqlite::exec(db_.get(), "BEGIN IMMEDIATE"); rc != SQLITE_OK) {
    return tl::unexpected(fail(rc, "cannot write"));
  }
  auto body = [&]() -> Result<void> {
    sqlite::Stmt version;
    int rc = sqlite::prepare(db_.get(), "PRAGMA user_version", version);
    if (rc == SQLITE_OK) rc = sqlite3_step(version.get());
    if (rc != SQLITE_ROW) return tl::unexpected(fail(rc, "cannot read its schema version"));
    if (int v = sqlite3_column_int(version.get(), 0); v > kSchemaVersion) {
      return tl::unexpected(identity_error("journal " + path_ + " has schema version " +
                                           std::to_string(v) + "; this build reads up to " +
                                           std::to_string(kSchemaVersion)));
    }
    version.reset();
    if (rc = sqlite::exec(db_.get(), kSchema); rc != SQLITE_OK) {
      return tl::unexpected(fail(rc, "cannot create its tables"));
    }
    if (auto r = check_identity(id); !r) return r;
    return set_meta("opened_at", std::to_string(unix_now()));
  };
  auto result = body();
  if (result) {
    if (int rc = sqlite::exec(db_.get(), "COMMIT"); rc != SQLITE_OK) {
      result = tl::unexpected(fail(rc, "cannot write"));
    }
  }
  if (!result) {
    sqlite::exec(db_.get(), "ROLLBACK");
    return result;
  }
  if (!intent_stmt_) {
    int rc = sqlite::prepare(db_.get(), kInsertIntent, intent_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), kUpsertKickoff, kickoff_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), kUpdateKickoff, update_kickoff_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), kWithdrawIntent, withdraw_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), kUpsertRecord, record_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), "BEGIN IMMEDIATE", begin_stmt_);
    if (rc == SQLITE_OK) rc = sqlite::prepare(db_.get(), "COMMIT", commit_stmt_);
    if (rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot prepare its statements"));
  }
  bound_ = true;
  return {};
}

Result<std::optional<BatchIdentity>> SqliteJournal::identity() {
  std::lock_guard db_lock(db_mu_);
  auto tables = has_tables();
  if (!tables) return tl::unexpected(tables.error());
  if (!*tables) return std::optional<BatchIdentity>();
  BatchIdentity id;
  std::pair<const char*, std::string*> fields[] = {
      {"deployment_url", &id.deployment_url}, {"inputs_hash", &id.inputs_hash}, {"batch_id", &id.batch_id}};
  for (auto& [key, out] : fields) {
    auto v = meta(key);
    if (!v) return tl::unexpected(v.error());
    if (!*v) return std::optional<BatchIdentity>();
    *out = **v;
  }
  auto count = meta("item_count");
  if (!count) return tl::unexpected(count.error());
  id.item_count = count->has_value() ? std::strtoull((*count)->c_str(), nullptr, 10) : 0;
  return std::optional<BatchIdentity>(std::move(id));
}

Result<std::vector<JournalItem>> SqliteJournal::load() {
  std::lock_guard db_lock(db_mu_);
  auto tables = has_tables();
  if (!tables) return tl::unexpected(tables.error());
  if (!*tables) return std::vector<JournalItem>();
  std::map<std::size_t, JournalItem> items;
  sqlite::Stmt s;
  int rc = sqlite::prepare(db_.get(),
                           "SELECT idx, attempt, request_id, kickoff_id, intent_at FROM attempts "
                           "ORDER BY idx, attempt",
                           s);
  if (rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot read"));
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    const auto index = static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0));
    JournalItem& item = items[index];
    item.index = index;
    const bool has_intent = sqlite3_column_type(s.get(), 4) != SQLITE_NULL;
    auto request_id = sqlite::column_text(s.get(), 2);
    if (!request_id.empty()) item.request_id = std::move(request_id);
    if (has_intent) ++item.attempts;
    auto kickoff_id = sqlite::column_opt_text(s.get(), 3);
    item.intent_without_id = has_intent && !kickoff_id;
    if (kickoff_id) item.kickoff_ids.push_back(std::move(*kickoff_id));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(fail(rc, "cannot read"));
  rc = sqlite::prepare(db_.get(), "SELECT idx, json FROM records ORDER BY idx", s);
  if (rc != SQLITE_OK) return tl::unexpected(fail(rc, "cannot read"));
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    const auto index = static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0));
    auto json = Json::parse(sqlite::column_text(s.get(), 1), nullptr, false);
    auto record = record_from_results_line(json);
    if (!record) {
      return make_error(ErrorCode::protocol, "journal " + path_ + ": the record of item " +
                                                 std::to_string(index) + " is corrupt");
    }
    JournalItem& item = items[index];
    item.index = index;
    item.final_record = std::move(*record);
  }
  if (rc != SQLITE_DONE) return tl::unexpected(fail(rc, "cannot read"));
  std::vector<JournalItem> out;
  out.reserve(items.size());
  for (auto& [index, item] : items) out.push_back(std::move(item));
  return out;
}

// Returns whether every commit is fsynced (the synchronous level read back from the connection).
[[nodiscard]] Result<bool> configure(sqlite3* db, const std::string& path, const SqliteJournalOptions& options) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  if (sqlite3_db_readonly(db, "main") == 1) {
    return make_error(ErrorCode::invalid_argument, "journal " + path + " is read-only");
  }
  sqlite::Stmt s;
  int rc = sqlite::prepare(db, "PRAGMA journal_mode = WAL", s);
  if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return make_error(ErrorCode::invalid_argument, "journal " + path + " is not a SQLite database");
  }
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite::make(db, rc, path, "cannot open"));
  if (sqlite::column_text(s.get(), 0) != "wal") {
    return make_error(ErrorCode::invalid_argument,
                      "journal " + path + ": cannot switch to WAL mode (is the directory writable?)");
  }
  s.reset();
  const char* sync = options.survive_power_loss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (rc = sqlite::exec(db, sync); rc != SQLITE_OK) {
    return tl::unexpected(sqlite::make(db, rc, path, "cannot configure"));
  }
  rc = sqlite::prepare(db, "PRAGMA synchronous", s);
  if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite::make(db, rc, path, "cannot configure"));
  return sqlite3_column_int(s.get(), 0) >= 2;  // 2 FULL, 3 EXTRA
}

// "cannot open journal P: directory D does not exist", or nothing.
std::optional<std::string> missing_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path parent = fs::absolute(fs::path(path), ec).parent_path();
  if (!ec && !fs::is_directory(parent, ec)) {
    return "cannot open journal " + path + ": directory " + parent.string() + " does not exist";
  }
  return std::nullopt;
}

[[nodiscard]] Result<std::unique_ptr<Journal>> open_sqlite(const std::string& path, const SqliteJournalOptions& options,
                                             std::optional<JournalLock> lock) {
  if (auto parent = missing_directory(path)) return make_error(ErrorCode::invalid_argument, *parent);
  sqlite3* raw = nullptr;
  // NOMUTEX: SqliteJournal serialises every use of the connection under its own db_mu_ (the
  // writer's commits, bind, load, the inbox), so SQLite's own per-call mutex only added a lock and
  // an unlock to each step, bind and reset: 8% of the journal thread's instructions (issue 13).
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Db db(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite::make(db.get(), rc, path, "cannot open"));
  auto fsync_per_commit = configure(db.get(), path, options);
  if (!fsync_per_commit) return tl::unexpected(fsync_per_commit.error());
  GroupCommitOptions group = options.group_commit;
  // synchronous=FULL: an fsync per commit, which must not stall the batch loop releasing a hold.
  if (options.survive_power_loss) group.commit_on_release = false;
  return std::unique_ptr<Journal>(
      new SqliteJournal(path, std::move(db), std::move(lock), std::move(group), *fsync_per_commit));
}

}  // namespace

Result<std::unique_ptr<Journal>> open_sqlite_journal(const std::string& path,
                                                     const SqliteJournalOptions& options) {
  if (path.empty()) return make_error(ErrorCode::invalid_argument, "journal path is empty");
  if (options.reader) return open_sqlite(path, options, std::nullopt);
  if (auto parent = missing_directory(path)) return make_error(ErrorCode::invalid_argument, *parent);
  auto lock = JournalLock::acquire(path);
  if (!lock) return tl::unexpected(lock.error());
  return open_sqlite(path, options, std::move(*lock));
}

Result<std::unique_ptr<Journal>> open_sqlite_journal(JournalLock lock, const SqliteJournalOptions& options) {
  std::string path = lock.journal_path();
  return open_sqlite(path, options, std::move(lock));
}

}  // namespace crewai::batch

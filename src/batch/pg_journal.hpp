// batch/pg_journal.hpp — the shared journal on PostgreSQL: one batch, many workers (processes on
// any number of machines), each item kicked off by at most one of them, ever.
//
// The records are the SQLite journal's (intent before each kickoff, the kickoff id the moment it is
// known, the final record), plus the batch's items themselves (so that a worker can join without the
// input file) and a lease per item. A worker claims small groups of items with
// `SELECT ... FOR UPDATE SKIP LOCKED` (the River / pgmq pattern), heartbeats its leases, and writes
// its intents only while it holds the item's lease. When a worker dies its leases expire and the
// others take its items over: with a kickoff id they are followed, with an intent and no id they
// are ambiguous, untouched ones are claimed again.
//
// The database is never on the critical path but for the intent: one writer thread per journal
// group-commits what the scheduler queues. When PostgreSQL is restarted or unreachable the writer
// keeps what is queued, reconnects with backoff and writes it then; intents wait with it, so no
// kickoff goes out without a durable intent while runs already started keep being followed.
//
// The connection string (any libpq URI or key=value string; the password from it, PGPASSWORD or
// ~/.pgpass) is never shown: every message names the database as pg::display() prints it.
//
// Threading: as Journal. create_or_join(), join(), status() and list_batches() run on the caller's
// thread (serialised with the writer).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/journal.hpp"
#include "crewai/policy.hpp"

namespace crewai::batch {

struct PgJournalOptions {
  // A worker that stops heartbeating (SIGKILL, lost machine, lost network) loses its items this
  // long after its last heartbeat; heartbeats go every lease / 3.
  std::chrono::milliseconds lease{30'000};
  std::string worker_id;  // empty: <host>-<pid>-<random>
  // Reconnects after a lost connection: capped exponential, full jitter.
  BackoffPolicy reconnect{Millis(100), 2.0, Millis(5'000), BackoffPolicy::Jitter::full, 0.2};
  // Unreachable this long in a row: everything queued fails (flush() returns the error) instead of
  // waiting for ever.
  std::chrono::milliseconds give_up_after{std::chrono::minutes(10)};
  // false: closing leaves this worker's leases to expire, as a killed worker does (tests).
  bool release_on_close = true;
  // The clock the writer schedules heartbeats and reconnects by.
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
};

struct WorkerStatus {
  std::string worker_id, host;
  long long pid = 0;
  std::size_t finished = 0, leased = 0;
  double seen_seconds_ago = 0;
  bool left = false;
};

// `crewctl journal status` (either backend; the worker and lease fields stay empty on SQLite).
struct JournalStatus {
  BatchIdentity identity;
  std::size_t finished = 0, following = 0, ambiguous_pending = 0, leased = 0;
  std::map<std::string, std::size_t> outcomes;  // final records by outcome
  std::vector<WorkerStatus> workers;
  std::optional<std::string> stop_reason;
  std::optional<double> rate_per_second, eta_seconds;  // over the last minute's finishes
};

class PgJournal : public Journal {
 public:
  // Creates the batch identified by wanted.deployment_url + wanted.inputs_hash, with its items, or
  // joins it when another worker created it first. Returns the stored identity (its batch id).
  virtual Result<BatchIdentity> create_or_join(const BatchIdentity& wanted,
                                               const std::vector<BatchItem>& items) = 0;
  // Joins an existing batch by id: its items, in input order, from the database.
  virtual Result<std::vector<BatchItem>> join(const std::string& batch_id) = 0;
  // Works on an existing batch by id without joining it as a worker (status, export, stop).
  virtual Result<BatchIdentity> attach(const std::string& batch_id) = 0;
  // Every batch in the database (for a clear "which one?" when --batch is missing).
  virtual Result<std::vector<BatchIdentity>> list_batches() = 0;
  virtual Result<JournalStatus> status() = 0;
  // Lifts the batch's stop (`crewctl journal stop --clear`): a stop is kept in the database, so
  // without this a batch stopped by a rule or by hand could never be finished; workers that join
  // or resume afterwards claim its items again. Workers already stopped stay stopped.
  virtual Result<void> clear_stop() = 0;
};

// Connects, checks (or creates) the schema: a schema of another version is a clear error
// (failed_precondition) before anything is written.
Result<std::unique_ptr<PgJournal>> open_pg_journal(const std::string& conninfo,
                                                   PgJournalOptions options = {});

// True for a postgresql:// or postgres:// URI: how the CLI tells a shared journal from a file.
bool is_postgres_uri(const std::string& journal);

// Status from load() and identity(): what any journal can tell (SQLite included).
Result<JournalStatus> basic_status(Journal& journal);

}  // namespace crewai::batch

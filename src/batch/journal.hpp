// batch/journal.hpp — the crash-proof record of a batch: intents, kickoff ids, final records.
//
// The scheduler records an intent before each kickoff (and sends the kickoff only once the intent is
// durable), the kickoff id the moment it is known, and each item's final record. Reopening a journal
// and calling load() tells the scheduler, per item, what is already known, so that a resumed batch
// never pays for the same run twice.
//
// The interface hides the backend: SQLite (one process) or PostgreSQL (pg_journal.hpp: workers on
// several machines share one batch and take its items in claims). The journal never receives a
// token: its identity holds only the deployment URL, stripped of userinfo and credential-like query
// parameters before it is stored.
//
// Threading: record_* and flush() are safe from any thread. bind() and load() are meant to be called
// by one thread before the batch starts writing (they are safe against the writer, too). `done`
// callbacks run on the journal's writer thread or, for intents recorded under a CommitHold, on the
// thread that releases the hold (inside release_commits()), without any journal lock held; they
// must be quick (post back to your own loop, send a request) and must not call flush() (it would
// wait for itself).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/group_commit.hpp"
#include "batch/journal_lock.hpp"
#include "crewai/batch.hpp"
#include "crewai/error.hpp"

namespace crewai::batch {

struct BatchIdentity {
  std::string deployment_url;
  std::string inputs_hash;  // hash_items(items)
  std::size_t item_count = 0;
  std::string batch_id;     // requestId prefix (new_batch_id()); empty on reopen: accept the stored one
};

// What reopening tells the scheduler about one item index.
struct JournalItem {
  std::size_t index = 0;
  std::string request_id;                  // the last attempt's
  int attempts = 0;                        // intents recorded
  std::vector<std::string> kickoff_ids;    // known ids, in attempt order
  bool intent_without_id = false;          // last attempt has an intent but no kickoff id: ambiguous
  std::optional<ItemRecord> final_record;  // present when the item finished
};

// ---- The inbox (crewctl inbox): items whose final record is `paused`, and the answers sent to
// them. One pause is named by (index, paused kickoff id, paused_at = its record's finished_at):
// the same item may pause again later (another review step, or a rejected task asked again).
struct InboxAnswer {
  std::size_t index = 0;
  std::string paused_kickoff_id;  // ItemRecord::kickoff_id of the paused record
  double paused_at = 0;           // ItemRecord::finished_at of the paused record
  std::string feedback;
  bool approve = true;
  double sent_at = 0;                  // the answer's intent, durable before it was sent
  std::optional<double> answered_at;   // null: sent, outcome unknown (the process died meanwhile)
  std::string kickoff_id;  // answered: the run that carries on (live: a new id; else the same)
  std::string status;      // answered: the deployment's status/message
};

struct InboxEntry {
  ItemRecord record;                  // outcome paused
  std::optional<InboxAnswer> answer;  // the answer to this very pause, when one was sent
};

// What a shared journal hands one worker: items now leased to it, and what it must know of the rest.
struct Claim {
  std::vector<JournalItem> items;  // each as load() describes it (no final record yet)
  std::size_t open = 0;            // items without a final record that are not leased to this worker
  std::optional<std::string> stop_reason;  // the batch was stopped for every worker: why
  std::size_t batch_errors = 0;    // final records across workers: failed, error, ambiguous, timeout
  std::size_t batch_judged = 0;    // ...and all final records but invalid and skipped
  std::size_t workers = 1;         // workers of the batch seen alive, this one included
  // Claimed items that are paused with their pause answered (final_record: the paused record), with
  // those answers: the worker follows the answer's run (as a resume does on SQLite).
  std::vector<InboxEntry> answered;
};

// What a journal's writer did so far (zeros for a backend that does not count).
struct JournalStats {
  std::uint64_t transactions = 0;
  std::uint64_t operations = 0;  // intents, kickoff ids and final records written
  // SQLite: each commit is fsynced before it counts as durable (synchronous=FULL, read back from
  // the connection). Not reported by the PostgreSQL journal, whose durability is the server's.
  bool fsync_per_commit = false;
  // SQLite: how often a deferred operation (a kickoff id, a final record) woke the parked writer
  // thread (group_commit.hpp; tests).
  std::uint64_t deferred_wakes = 0;
};

class Journal {
 public:
  virtual ~Journal() = default;

  // First bind writes the identity; a later bind compares it and fails (failed_precondition) naming
  // what differs: the deployment URL, the inputs (hash), or the batch id. Every bind is a real write
  // (schema + identity in one transaction), so an unwritable journal fails here, before any kickoff.
  [[nodiscard]] virtual Result<void> bind(const BatchIdentity& id) = 0;
  // The stored identity, when the journal has one (e.g. to reuse the stored batch id on resume).
  [[nodiscard]] virtual Result<std::optional<BatchIdentity>> identity() = 0;
  // Everything known, one entry per item index that has any row, sorted by index.
  [[nodiscard]] virtual Result<std::vector<JournalItem>> load() = 0;

  // `done` runs once the intent is durable (group-committed with whatever else was queued), or with
  // the error when it could not be written. Attempts are numbered by the caller (1, 2, ...).
  virtual void record_intent(std::size_t index, int attempt, const std::string& request_id,
                             std::function<void(Result<void>)> done) = 0;
  // Nothing waits for these two: the SQLite journal writes them with the next intent's transaction,
  // or at most GroupCommitOptions::max_delay later (flush() writes them at once).
  virtual void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) = 0;
  virtual void record_final(const ItemRecord& rec) = 0;
  // The kickoff of this attempt was never sent (stopped before it left; the client said
  // `cancelled`): the intent is dropped, unless a kickoff id came meanwhile, so that a resume runs
  // the item instead of calling it `ambiguous`. Nothing waits for it; lost with the process, the
  // item is merely `ambiguous` on resume. PostgreSQL: only the worker's own attempt row goes.
  virtual void withdraw_intent(std::size_t index, int attempt) {
    (void)index;
    (void)attempt;
  }
  // The same with the record's results line (output_writer.hpp results_line), made once by the
  // caller for the journal and the results file. A backend that stores another shape ignores it.
  virtual void record_final_line(const ItemRecord& rec, std::string line) {
    (void)line;
    record_final(rec);
  }
  // Several intents in a row: between hold_commits() and release_commits() an intent does not start
  // a commit of its own, so that all of them share one transaction (group_commit.hpp, "Hold");
  // release_commits() starts it (SQLite: writes it on the calling thread, unless
  // survive_power_loss makes a commit wait for an fsync). Each `done` still runs only once its
  // intent is durable. A backend that does not group commits ignores both. Use CommitHold rather
  // than the pair.
  virtual void hold_commits() {}
  virtual void release_commits() {}
  virtual JournalStats stats() const { return {}; }
  // Blocks until everything queued before the call is durable; returns the first write error, if
  // any (once a write fails, every later write fails with it too).
  [[nodiscard]] virtual Result<void> flush() = 0;
  virtual std::string path() const = 0;

  // ---- Inbox. Each call is synchronous and durable before it returns (not group-committed: the
  // inbox answers one item at a time and must not send an answer before its intent is on disk). A
  // backend without an inbox answers ErrorCode::unimplemented (the default); a batch then does not
  // follow answered pauses. Safe from any thread, concurrently with the record_* writer.

  // Every item whose final record is `paused`, sorted by index, with the answer to that pause.
  virtual Result<std::vector<InboxEntry>> inbox() {
    return make_error(ErrorCode::unimplemented, "this journal has no inbox");
  }
  // Records that `a` (sent_at set, answered_at empty) is about to be sent. Fails with
  // failed_precondition, writing nothing, when that pause already has an answer (sent or answered):
  // the caller must not send it again. Two processes racing on one pause: exactly one succeeds.
  virtual Result<void> record_answer_intent(const InboxAnswer& a) {
    (void)a;
    return make_error(ErrorCode::unimplemented, "this journal has no inbox");
  }
  // Records the outcome of an answer whose intent was recorded (answered_at, kickoff_id, status).
  virtual Result<void> record_answer(const InboxAnswer& a) {
    (void)a;
    return make_error(ErrorCode::unimplemented, "this journal has no inbox");
  }
  // Drops the answer intent of a pause: the answer provably did not reach the deployment (it was
  // refused before sending, or a transport failure before any byte), so it may be sent again.
  virtual Result<void> forget_answer(const InboxAnswer& a) {
    (void)a;
    return make_error(ErrorCode::unimplemented, "this journal has no inbox");
  }
  // Shared journals only (shared() true): the scheduler takes items in claims instead of all at
  // once. `done` runs on the writer thread like record_intent's. A record_intent for an item whose
  // lease this worker lost fails with failed_precondition: another worker owns the item now, and
  // this one must neither kick it off nor record it. Once the batch is stopped (stop_batch, by any
  // worker or `crewctl journal stop`), every later record_intent fails with cancelled, its message
  // the recorded reason, and writes nothing: the stop reaches each worker at its next kickoff.
  virtual bool shared() const { return false; }
  virtual void claim(std::size_t /*max*/, std::function<void(Result<Claim>)> done) {
    done(make_error(ErrorCode::unimplemented, "this journal hands out no claims"));
  }
  // Asks every worker of the batch to stop kicking off (a batch-wide stop rule fired).
  virtual void stop_batch(const std::string& /*reason*/) {}
  // Hands claimed items this worker will not start back to the others now, instead of when the
  // journal closes (this worker stopped while others go on).
  virtual void release(const std::vector<std::size_t>& /*indices*/) {}
};

// Holds a journal's commits for a scope (no-op on a null journal).
class CommitHold {
 public:
  explicit CommitHold(Journal* j) : j_(j) {
    if (j_) j_->hold_commits();
  }
  ~CommitHold() {
    if (j_) j_->release_commits();
  }
  CommitHold(const CommitHold&) = delete;
  CommitHold& operator=(const CommitHold&) = delete;

 private:
  Journal* j_;
};

struct SqliteJournalOptions {
  // true (the default): synchronous=FULL, one fsync per group commit (on the writer thread), so a
  // commit survives a power loss or kernel crash too. false: WAL + synchronous=NORMAL, a commit
  // survives a crash of the process (SIGKILL, abort) but a machine crash may lose the last commits:
  // an intent lost while its kickoff had left is kicked off again on resume, a second paid run.
  bool survive_power_loss = true;
  std::chrono::milliseconds busy_timeout{5'000};
  // true: open beside the process that works on the journal, to read it (identity(), load()) without
  // its lock; bind() and every write fail.
  bool reader = false;
  // How long kickoff ids and final records may wait for a commit (group_commit.hpp).
  GroupCommitOptions group_commit;
};

// Opens (creating when missing) a SQLite journal, holding its JournalLock (journal_lock.hpp) until
// the Journal is destroyed: a journal another process (or object) works on is refused
// (failed_precondition, naming the holder) before the file is opened. Fails with a clear message when
// the directory is missing, the file is not a database, or it cannot be read; unwritable journals
// fail at bind().
[[nodiscard]] Result<std::unique_ptr<Journal>> open_sqlite_journal(const std::string& path,
                                                     const SqliteJournalOptions& options = {});
// The same, with the lock already taken (the CLI takes it before it looks at the journal at all).
[[nodiscard]] Result<std::unique_ptr<Journal>> open_sqlite_journal(JournalLock lock,
                                                     const SqliteJournalOptions& options = {});

// SHA-256 (lowercase hex) over the canonical form of every item: count, then per item its index,
// id, inputs and meta (nlohmann dump: sorted keys, no whitespace) and invalid_reason, each
// length-prefixed.
std::string hash_items(const std::vector<BatchItem>& items);

// A new batch's id: 16 random hex digits. It prefixes every meta.requestId of the batch
// (`<batch id>-<index>`, `-a<n>` from the second attempt), is stored in the journal and reused by every
// resume, so a request id names one attempt of one item of one batch: the same item in another batch
// (another file, or the same file after its journal was deleted) gets another id.
std::string new_batch_id();

// The URL as stored in a journal: userinfo removed, the query dropped when any parameter name looks
// like a credential (token, key, secret, password, signature, auth), the fragment dropped, scheme
// and host lower-cased, trailing '/' removed.
std::string journal_safe_url(const std::string& url);

}  // namespace crewai::batch

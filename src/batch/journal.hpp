// batch/journal.hpp — the crash-proof record of a batch: intents, kickoff ids, final records.
//
// The scheduler records an intent before each kickoff (and sends the kickoff only once the intent is
// durable), the kickoff id the moment it is known, and each item's final record. Reopening a journal
// and calling load() tells the scheduler, per item, what is already known, so that a resumed batch
// never pays for the same run twice.
//
// The interface hides the backend (SQLite now; PostgreSQL may follow). The journal never receives a
// token: its identity holds only the deployment URL, stripped of userinfo and credential-like query
// parameters before it is stored.
//
// Threading: record_* and flush() are safe from any thread. bind() and load() are meant to be called
// by one thread before the batch starts writing (they are safe against the writer, too). `done`
// callbacks run on the journal's writer thread, without any journal lock held; they must be quick
// (post back to your own loop) and must not call flush() (it would wait for itself).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  virtual void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) = 0;
  virtual void record_final(const ItemRecord& rec) = 0;
  // Blocks until everything queued before the call is durable; returns the first write error, if
  // any (once a write fails, every later write fails with it too).
  [[nodiscard]] virtual Result<void> flush() = 0;
  virtual std::string path() const = 0;
};

struct SqliteJournalOptions {
  // false: WAL + synchronous=NORMAL. A commit survives a crash of the process (SIGKILL, abort) but
  // not necessarily a power loss or kernel crash. true: synchronous=FULL, one fsync per group commit.
  bool survive_power_loss = false;
  std::chrono::milliseconds busy_timeout{5'000};
  // true: open beside the process that works on the journal, to read it (identity(), load()) without
  // its lock; bind() and every write fail.
  bool reader = false;
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

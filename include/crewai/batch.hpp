// crewai/batch.hpp — many inputs through one deployed crew, losing nothing.
//
// A Batch runs items through one Client with a cap on runs in flight, optional token buckets on
// kickoffs/s and requests/s, adaptive concurrency (halves on 429/503 clusters, recovers slowly), a
// circuit breaker on consecutive transport failures, and stop rules. With a journal path, every
// kickoff intent, kickoff id and final record is written to SQLite (WAL) so that a crash or Ctrl-C
// loses nothing: reopen the batch and it resumes without a second kickoff.
//
// Threading: run() blocks the calling thread until every item has a record (or a forced stop);
// the scheduling itself runs on the client's engine thread (except over a shared journal), so
// run() must not be called from a client callback (it fails with `internal`).
// request_stop() is safe from any thread and from signal-handling threads (not from a signal
// handler itself). Observer callbacks run on a dedicated observer thread, never while a lock is held,
// so a slow observer cannot stall the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crewai/client.hpp"
#include "crewai/types.hpp"

namespace crewai {

namespace batch {
struct BatchFactory;  // src/batch/batch_factory.hpp: a Batch over a journal the caller opened
}

/// One line of a batch's input: the inputs of one run.
struct BatchItem {
  std::size_t index = 0;  // position in the input (0-based); records are keyed by it
  std::string id;         // optional user id (echoed in the record)
  /// The crew's inputs for this item's kickoff.
  Json inputs = Json::object();
  Json meta;              // merged into the kickoff's meta (with meta.requestId added)
  std::string invalid_reason;  // non-empty: the item is recorded `invalid` without any call
};

/// A pause that a human-input webhook reported: what answering it needs.
struct PauseNotice {
  std::string kickoff_id;    // the paused run
  std::string task_id;       // crews: ResumeRequest::task_id
  std::string task_output;   // what the human reviews
  std::string callback_url;  // flows: FlowAnswer::callback_url (empty for crews)
};

/// A webhook receiver serving a batch (crewctl --listen): it hands every kickoff its webhook URLs
/// and reports the pauses that only a webhook reveals (a live crew waiting for a human reads
/// NOT FOUND; a flow's callback URL arrives only on its webhook). Implementations are thread-safe.
class BatchWebhooks {
 public:
  virtual ~BatchWebhooks() = default;
  // Sets the webhook URLs (and their authentication) on a kickoff of the batch.
  virtual void decorate(KickoffRequest& req) = 0;
  // `paused` runs once, on any thread, when the human-input webhook of `kickoff_id` arrives (at
  // once when it already has); it must be quick. A later watch of the same id replaces it.
  virtual void watch(const std::string& kickoff_id, std::function<void(PauseNotice)> paused) = 0;
  // Drops the watch (a `paused` already running may still complete).
  virtual void unwatch(const std::string& kickoff_id) = 0;
};

/// How an item ended (the `outcome` of its record; docs/cli.md, "Batch output"). cancelled: the
/// batch stopped the run (POST /stop) when it was stopped itself.
enum class Outcome { succeeded, failed, paused, timeout, ambiguous, invalid, error, skipped, cancelled };
// How many Outcome values there are. Cast to int, they number from 0 to kOutcomeCount - 1 in
// the order above: an array of kOutcomeCount counters holds one per outcome.
inline constexpr int kOutcomeCount = 9;
/// The outcome's name as written in records ("succeeded", ...).
std::string_view to_string(Outcome o) noexcept;
/// The outcome named `s`, or nullopt for an unknown name.
std::optional<Outcome> outcome_from_string(std::string_view s) noexcept;

/// The record of one finished item: its outcome, its kickoffs and its result.
struct ItemRecord {
  /// The item's position in the input (BatchItem::index).
  std::size_t index = 0;
  /// The item's id (BatchItem::id).
  std::string id;
  /// How the item ended.
  Outcome outcome = Outcome::skipped;
  std::string request_id;                 // meta.requestId sent with the kickoff(s)
  std::string kickoff_id;                 // the last attempt's
  std::vector<std::string> kickoff_ids;   // every attempt's, in order
  int attempts = 0;                       // kickoffs made for this item
  /// The run's final output as text (succeeded).
  std::optional<std::string> result;
  /// The run's result as JSON when it is JSON; null otherwise.
  Json result_json;
  std::string error;                      // the reason for every outcome but succeeded
  std::string run_state;                  // the run's final AMP state when known ("FAILED", ...)
  ///@{
  /// The paused task and its output (outcome paused), to answer with Client::resume.
  std::optional<std::string> pause_task_id, pause_task_output;
  ///@}
  // A paused flow: where its answer goes (the callback_url of its feedback request, heard on the
  // human-input webhook). Answer with Client::answer_flow.
  std::optional<std::string> pause_callback_url;
  ///@{
  /// Start and end of the item's run, unix seconds.
  std::optional<double> started_at, finished_at;
  ///@}
  /// Seconds the item's run took.
  std::optional<double> duration_seconds;
};

/// The record as one JSON object (one line of the results file).
Json to_json(const ItemRecord& r);
/// Reads a record written by to_json; a protocol error names what is wrong.
[[nodiscard]] Result<ItemRecord> record_from_json(const Json& j);

/// The progress of a batch at one moment (BatchObserver::on_snapshot, BatchReport).
struct BatchSnapshot {
  ///@{
  /// Items in all, finished, and running now.
  std::size_t total = 0, done = 0, in_flight = 0;
  ///@}
  ///@{
  /// Finished items by outcome (see Outcome).
  std::size_t succeeded = 0, failed = 0, paused = 0, timeout = 0, ambiguous = 0, invalid = 0,
              error = 0, skipped = 0, cancelled = 0;
  ///@}
  ///@{
  /// Requests retried, and answers 429 and 5xx, over the whole batch.
  std::uint64_t retries = 0, http_429 = 0, http_5xx = 0;
  /// New connections the client opened during this batch.
  std::uint64_t connections = 0;
  ///@}
  int concurrency = 0;          // current adaptive limit
  /// The circuit breaker is open: no requests until its cooldown ends.
  bool circuit_open = false;
  /// A stop rule or request_stop() is ending the batch.
  bool stopping = false;
  std::size_t restored = 0;     // records taken from the journal (a resumed batch)
  /// Seconds since the batch started.
  double elapsed_seconds = 0;
  double rate_per_second = 0;   // finished items per second (recent)
  /// Estimated seconds until every item is done, once the rate is known.
  std::optional<double> eta_seconds;
};

/// Callbacks of a running batch, called one at a time from a thread of the batch.
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  // Each finished item, in completion order. Return false to stop the batch (no new kickoffs).
  virtual bool on_record(const ItemRecord&) { return true; }
  /// The same with the record's results-file line (the JSON text the journal stores too, made once
  /// per record). Override it instead of on_record to write that line without serialising again;
  /// the default calls on_record.
  virtual bool on_record_line(const ItemRecord& r, const std::string& line) {
    (void)line;
    return on_record(r);
  }
  /// Every BatchOptions::snapshot_interval, and once at the end.
  virtual void on_snapshot(const BatchSnapshot&) {}
};

/// The limits, stop rules and journal of a batch.
struct BatchOptions {
  int max_concurrent = 16;             // runs in flight (not connections)
  int min_concurrent = 1;              // adaptive floor
  double kickoffs_per_second = 0;      // 0 = unlimited
  double requests_per_second = 0;      // 0 = unlimited (all requests)
  /// Adaptive concurrency: lower the limit (not below min_concurrent) when the deployment signals
  /// overload (429, 5xx), raise it back towards max_concurrent afterwards.
  bool adaptive = true;
  int breaker_threshold = 8;           // consecutive transport failures that open the circuit
  Millis breaker_cooldown{5'000};      // open → probe after this long
  std::optional<std::size_t> max_errors;          // stop rule
  std::optional<double> max_error_rate;           // stop rule, after min_sample records
  /// max_error_rate applies once this many records exist.
  std::size_t min_sample = 20;
  int retry_failed = 0;                // re-kick items whose run ended FAILED, this many times
  std::optional<Millis> item_deadline; // per item wait deadline (else the client's PollPolicy)
  Millis drain_deadline{30'000};       // after a stop: follow in-flight runs this long
  // A stop (request_stop, a stop rule, the observer) cancels the runs in flight (POST /stop): they
  // are recorded `cancelled` instead of being followed to their end.
  bool cancel_on_stop = false;
  // A forced stop (request_stop(true), or a second request) cancels the runs in flight before
  // run() returns, waiting at most cancel_grace for the answers (crewctl's second Ctrl-C). A run
  // whose stop was not confirmed in time stays resumable (`timeout`, kickoff id kept). Off: a
  // forced stop leaves every run in flight resumable.
  bool cancel_on_force = false;
  // With cancel_on_force: how long a forced stop waits for the deployment to confirm its POST
  // /stop calls before run() returns (on the client's clock). A run whose stop is confirmed later
  // stays `timeout` with its kickoff id: a resume of the batch reads how it really ended.
  Millis cancel_grace{1'000};
  /// How often BatchObserver::on_snapshot is called.
  Millis snapshot_interval{500};
  bool check_inputs = true;            // GET /inputs once; crews: items missing names are
                                       // `invalid`; flows (the client's kind): nothing is
                                       // required, unknown names are one BatchReport warning, and
                                       // an `id` input is `invalid`
  bool dry_run = false;                // validate only; no kickoff
  // meta.requestId = "<batch_id>-<index>" ("-a<n>" from the n-th attempt on). Default: a new random
  // id per batch, kept in the journal so that every resume of the batch sends the same ids; the same
  // item in another batch gets another id. Set it for reproducible ids (the simulator's outcomes
  // are drawn from the request id).
  std::string batch_id;
  // Journal (crash-proof resume). Empty: in memory only.
  std::string journal_path;
  // true: every journal commit is fsynced, so a power loss or kernel crash cannot lose an intent
  // whose kickoff had left (which a resume would kick off again: a second paid run). false: a
  // commit survives the death of the process only; cheaper on slow disks.
  bool journal_survive_power_loss = true;
  // Under load, the journal's commits of intents start at most once per this interval, so that
  // the intents of many kickoffs share one commit (and fsync): a kickoff may wait up to this much
  // longer for its intent. Kickoff ids and final records wait for those commits too (at most this
  // long, or 20 ms when shorter): a crash within that window loses them, never an intent (a lost
  // kickoff id makes its item `ambiguous` on resume, a lost record is followed again from its
  // kickoff id). An idle journal commits at once. Unset: the journal's default, 40 ms.
  // Zero: commit as soon as the journal's writer is free (under load one commit per fsync time,
  // about twice the journal's CPU).
  std::optional<std::chrono::milliseconds> journal_commit_interval;
  bool rerun_ambiguous = false;        // on reopen, re-kick items whose kickoff outcome is unknown
  // Records of this batch found outside its journal, e.g. in the results file of the run being
  // resumed. On reopen, an item whose journal holds no `succeeded` record takes a `succeeded` one
  // from here when it belongs to the item's journalled attempt (same request id, or one of its
  // kickoff ids), and the journal is mended with it: a result that was written out but never
  // journalled (the journal's disk was full) is neither downgraded nor paid for again, not even
  // with rerun_ambiguous. Later entries for an index win.
  std::vector<ItemRecord> earlier_records;
  // A webhook receiver (must outlive the batch): every kickoff carries its URLs, each wait is
  // woken by its webhooks, and a pause heard there ends the wait as `paused` with its task id and
  // output (and a flow's callback URL), even while GET /status reads NOT FOUND. Null: polling only.
  BatchWebhooks* webhooks = nullptr;
};

/// What Batch::run returns: every item's record and the final counts.
struct BatchReport {
  std::vector<ItemRecord> records;     // one per item, in input order (a worker of a shared
                                       // journal: the items it finished, in input order)
  /// The counts when the batch ended.
  BatchSnapshot final_snapshot;
  bool stopped = false;                // a stop rule or request_stop() ended it early
  /// Why the batch stopped early (empty when it did not).
  std::string stop_reason;
  // The journal could not be written (a full disk, say): no kickoff was sent after that, and the
  // records it lacks are only in `records` (write them out: a resume takes them from earlier_records).
  std::optional<Error> journal_error;
  // Noticed and let through, once per batch: flow input names the state model (/inputs) lacks.
  std::vector<std::string> warnings;
};

/// Many runs of one deployment from a list of items: bounded concurrency, rate limits, stop rules,
/// and a journal from which an interrupted batch resumes without paying twice.
class Batch {
 public:
  // The client must outlive the batch. Fails when the journal cannot be opened, is in use by another
  // process or Batch (failed_precondition, naming the holder: one writer per journal), or is bound to
  // another deployment or other inputs (the error names which). The journal stays locked until the
  // Batch is destroyed; a process that dies (even by SIGKILL) releases it.
  [[nodiscard]] static Result<std::unique_ptr<Batch>> create(Client& client, std::vector<BatchItem> items,
                                               BatchOptions options,
                                               BatchObserver* observer = nullptr);
  ~Batch();

  // Fails only before anything is spent: /inputs unreachable or refused (auth), or the journal
  // unwritable. Otherwise every item has a record in the report.
  [[nodiscard]] Result<BatchReport> run();
  // First call: no new kickoffs; in-flight runs are followed to the end (or drain_deadline), or
  // cancelled with BatchOptions::cancel_on_stop. force (or a second call): stop following them too;
  // with cancel_on_force they are cancelled first (POST /stop, at most cancel_grace) and recorded
  // `cancelled`; the others stay resumable from the journal.
  void request_stop(bool force = false);

 private:
  friend struct batch::BatchFactory;
  struct Impl;
  explicit Batch(std::unique_ptr<Impl>);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai

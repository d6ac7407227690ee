// batch/pg_journal_impl.hpp — the PostgreSQL journal's class, shared by its two sources:
// pg_journal.cpp (the writer thread: group commits, claims, heartbeats, reconnects) and
// pg_catalog.cpp (schema, batch creation and joining, load, status: the caller's thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "batch/pg_conn.hpp"
#include "batch/pg_journal.hpp"

namespace crewai::batch::pgj {

using Steady = std::chrono::steady_clock;
inline constexpr int kSchemaVersion = 2;

// The answer `a` (crewctl_answers) to the pause of item `i` (crewctl_items), by the pause's key as
// the record holds it (its JSON numbers are exact, where a column written by schema 1 was rounded).
inline const std::string kPauseKey =
    "a.batch_id = i.batch_id AND a.idx = i.idx AND a.paused_kickoff_id = (i.record::jsonb->>'kickoff_id') "
    "AND a.paused_at = COALESCE((i.record::jsonb->>'finished_at')::float8, 0)";
// An item a worker may claim: no final record yet, or paused with its pause answered from the inbox
// (the worker then follows the answer's run to its end).
inline const std::string kClaimable =
    "(i.record IS NULL OR (i.outcome = 'paused' AND EXISTS (SELECT 1 FROM crewctl_answers a WHERE " + kPauseKey +
    " AND a.answered_at IS NOT NULL AND COALESCE(a.kickoff_id, '') <> '')))";

// A double as PostgreSQL float8 text that reads back as the very same double.
std::string float8(double v);

struct Op {
  enum class Kind { intent, kickoff, final, withdraw, stop, release, claim } kind = Kind::intent;
  std::size_t index = 0;
  int attempt = 0;
  std::string text;  // request id, kickoff id, the record's JSON, the stop reason, or the released indices
  std::string outcome;  // final only
  std::optional<double> finished_at;
  std::size_t max = 0;  // claim only
  std::function<void(Result<void>)> done;
  std::function<void(Result<Claim>)> claimed;
  Result<void> result;  // intent: lease lost, or the commit's error
  std::optional<Result<Claim>> got;  // claim only
};

// Adds one attempt row to what is known of an item (as the SQLite journal's load() does).
void add_attempt(JournalItem& item, std::string request_id, std::optional<std::string> kickoff_id,
                 bool has_intent);

class PgJournalImpl final : public PgJournal {
 public:
  PgJournalImpl(std::string conninfo, PgJournalOptions options);
  ~PgJournalImpl() override;

  Result<void> open();  // connect + schema; before the writer starts

  // Journal
  Result<void> bind(const BatchIdentity& id) override;
  Result<std::optional<BatchIdentity>> identity() override;
  Result<std::vector<JournalItem>> load() override;
  void record_intent(std::size_t index, int attempt, const std::string& request_id,
                     std::function<void(Result<void>)> done) override;
  void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) override;
  void record_final(const ItemRecord& rec) override;
  void withdraw_intent(std::size_t index, int attempt) override;
  Result<void> flush() override;
  std::string path() const override { return session_.shown(); }
  bool shared() const override { return true; }
  void claim(std::size_t max, std::function<void(Result<Claim>)> done) override;
  void stop_batch(const std::string& reason) override;
  void release(const std::vector<std::size_t>& indices) override;

  // PgJournal
  Result<BatchIdentity> create_or_join(const BatchIdentity& wanted,
                                       const std::vector<BatchItem>& items) override;
  Result<std::vector<BatchItem>> join(const std::string& batch_id) override;
  Result<BatchIdentity> attach(const std::string& batch_id) override;
  Result<std::vector<BatchIdentity>> list_batches() override;
  Result<JournalStatus> status() override;
  Result<void> clear_stop() override;

  // Inbox (pg_inbox.cpp, caller thread): each call its own autocommitted statement.
  Result<std::vector<InboxEntry>> inbox() override;
  Result<void> record_answer_intent(const InboxAnswer& a) override;
  Result<void> record_answer(const InboxAnswer& a) override;
  Result<void> forget_answer(const InboxAnswer& a) override;

 private:
  // pg_catalog.cpp (caller thread, db_mu_ held)
  Result<void> ensure_schema();
  Result<void> register_worker();
  Result<BatchIdentity> read_identity(const std::string& batch_id);
  Result<void> in_transaction(const std::function<Result<void>()>& body);
  // Repeats `fn` over a lost connection a few times (the caller's one-shot statements).
  Result<void> with_reconnect(const std::function<Result<void>()>& fn);

  // pg_journal.cpp (writer thread)
  void enqueue(Op op);
  bool stop_requested();
  void writer_loop();
  bool ensure_connected(Steady::time_point now);
  Result<void> commit(std::vector<Op>& writes);
  Result<void> write_op(Op& op);
  Result<Claim> run_claim(std::size_t max);
  Result<void> claim_answered(Claim& claim, std::map<std::size_t, JournalItem>& items);
  Result<void> heartbeat();
  void release_leases();
  std::string lease_ms() const { return std::to_string(options_.lease.count()); }

  const PgJournalOptions options_;
  std::string worker_id_;

  std::mutex db_mu_;  // guards session_ and batch_id_/identity_ (writer vs caller)
  pg::Session session_;
  std::optional<BatchIdentity> identity_;  // the batch this journal works on, once attached

  std::mutex mu_;  // guards the queue, the counters and failure_
  std::condition_variable work_cv_, flushed_cv_;
  std::deque<Op> queue_;
  std::uint64_t enqueued_ = 0, finished_ = 0;
  std::optional<Error> failure_;
  bool stop_ = false;

  // Writer thread only.
  int reconnect_failures_ = 0;
  Steady::time_point retry_at_{}, heartbeat_at_{};
  std::optional<Steady::time_point> down_since_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::thread writer_;
};

}  // namespace crewai::batch::pgj

// The PostgreSQL journal's writer thread: group commits, claims, heartbeats and reconnects.
//
// Producers queue ops; the writer takes everything queued and writes it in one transaction (claims
// each in their own, after the writes they follow), then runs the callbacks with no lock held. A
// lost connection puts the ops back at the head of the queue, untouched: they are written once the
// writer has reconnected (every statement is an idempotent upsert, so a commit whose answer was lost
// may be repeated). Their callbacks, the intents' included, wait with them: no kickoff is sent on an
// intent that is not durable.
#include <algorithm>

#include "batch/pg_journal_impl.hpp"
#include "crewai/batch.hpp"

namespace crewai::batch::pgj {
namespace {

constexpr const char* kIntent =
    "WITH lease AS (UPDATE crewctl_items SET lease_until = now() + $5::bigint * interval '1 millisecond' "
    "WHERE batch_id = $1 AND idx = $2::bigint AND lease_owner = $6 AND record IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM crewctl_batches b WHERE b.batch_id = $1 AND b.stop_reason IS NOT NULL) RETURNING idx) "
    "INSERT INTO crewctl_attempts(batch_id, idx, attempt, request_id, intent_at, worker) "
    "SELECT $1, idx, $3::integer, $4, now(), $6 FROM lease "
    "ON CONFLICT (batch_id, idx, attempt) DO UPDATE SET request_id = excluded.request_id, "
    "intent_at = excluded.intent_at, worker = excluded.worker";
constexpr const char* kKickoff =
    "INSERT INTO crewctl_attempts(batch_id, idx, attempt, kickoff_id, kickoff_at, worker) "
    "VALUES($1, $2::bigint, $3::integer, $4, now(), $5) ON CONFLICT (batch_id, idx, attempt) "
    "DO UPDATE SET kickoff_id = excluded.kickoff_id, kickoff_at = excluded.kickoff_at";
// Only this worker's own attempt, and only while it has no kickoff id (Journal::withdraw_intent).
constexpr const char* kWithdraw =
    "DELETE FROM crewctl_attempts WHERE batch_id = $1 AND idx = $2::bigint AND attempt = $3::integer "
    "AND kickoff_id IS NULL AND worker = $4";
// The first final record wins, except that a run followed to its end replaces `ambiguous`, and the
// end of an answered pause's run replaces the pause (only by the worker that claimed it).
constexpr const char* kFinal =
    "UPDATE crewctl_items SET record = $3, outcome = $4::text, finished_at = $5::double precision, "
    "finished_by = $6, lease_owner = NULL, lease_until = NULL WHERE batch_id = $1 AND idx = $2::bigint "
    "AND (record IS NULL OR (outcome = 'ambiguous' AND $4::text <> 'ambiguous') "
    "OR (outcome = 'paused' AND lease_owner = $6))";
constexpr const char* kStopReason = "SELECT stop_reason FROM crewctl_batches WHERE batch_id = $1";
constexpr const char* kRelease =
    "UPDATE crewctl_items SET lease_owner = NULL, lease_until = NULL WHERE batch_id = $1 AND lease_owner = $2 "
    "AND idx = ANY($3::bigint[])";
constexpr const char* kStop =
    "UPDATE crewctl_batches SET stop_reason = COALESCE(stop_reason, $2) WHERE batch_id = $1";
const std::string kClaim =
    "WITH c AS (SELECT idx FROM crewctl_items i WHERE batch_id = $1 AND " + kClaimable +
    " AND (lease_owner IS NULL OR lease_until < now()) ORDER BY idx LIMIT $3::bigint "
    "FOR UPDATE SKIP LOCKED) "
    "UPDATE crewctl_items i SET lease_owner = $2, lease_until = now() + $4::bigint * interval "
    "'1 millisecond', claims = i.claims + 1 FROM c WHERE i.batch_id = $1 AND i.idx = c.idx "
    "RETURNING i.idx, i.record";
constexpr const char* kClaimAttempts =
    "SELECT idx, attempt, request_id, kickoff_id, intent_at IS NOT NULL FROM crewctl_attempts "
    "WHERE batch_id = $1 AND idx = ANY($2::bigint[]) ORDER BY idx, attempt";
const std::string kClaimCounts =
    "SELECT count(*) FILTER (WHERE " + kClaimable + " AND lease_owner IS DISTINCT FROM $2), "
    "count(*) FILTER (WHERE outcome IN ('failed', 'error', 'ambiguous', 'timeout')), "
    "count(*) FILTER (WHERE outcome IS NOT NULL AND outcome NOT IN ('invalid', 'skipped')), "
    "(SELECT stop_reason FROM crewctl_batches WHERE batch_id = $1), "
    "(SELECT count(*) FROM crewctl_workers WHERE batch_id = $1 AND left_at IS NULL AND "
    "seen_at > now() - $3::bigint * interval '1 millisecond') "
    "FROM crewctl_items i WHERE batch_id = $1";
constexpr const char* kHeartbeat =
    "UPDATE crewctl_items SET lease_until = now() + $3::bigint * interval '1 millisecond' "
    "WHERE batch_id = $1 AND lease_owner = $2";  // a final record clears its lease
constexpr const char* kSeen =
    "UPDATE crewctl_workers SET seen_at = now() WHERE batch_id = $1 AND worker_id = $2";

constexpr auto kGiveUpOnClose = std::chrono::seconds(30);

// What one pass of the writer did.
struct Pass {
  std::vector<Op> completed;  // callbacks to run
  std::deque<Op> waiting;     // back to the head of the queue: no connection
  std::optional<Error> failure;  // a statement was refused: every later write fails too
};

}  // namespace

bool PgJournalImpl::stop_requested() {
  std::lock_guard lk(mu_);
  return stop_;
}

void PgJournalImpl::enqueue(Op op) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(op));
    ++enqueued_;
  }
  work_cv_.notify_one();
}

void PgJournalImpl::record_intent(std::size_t index, int attempt, const std::string& request_id,
                                  std::function<void(Result<void>)> done) {
  Op op;
  op.kind = Op::Kind::intent;
  op.index = index;
  op.attempt = attempt;
  op.text = request_id;
  op.done = std::move(done);
  enqueue(std::move(op));
}

void PgJournalImpl::record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) {
  Op op;
  op.kind = Op::Kind::kickoff;
  op.index = index;
  op.attempt = attempt;
  op.text = kickoff_id;
  enqueue(std::move(op));
}

void PgJournalImpl::withdraw_intent(std::size_t index, int attempt) {
  Op op;
  op.kind = Op::Kind::withdraw;
  op.index = index;
  op.attempt = attempt;
  enqueue(std::move(op));
}

void PgJournalImpl::record_final(const ItemRecord& rec) {
  Op op;
  op.kind = Op::Kind::final;
  op.index = rec.index;
  op.text = crewai::to_json(rec).dump(-1, ' ', false, Json::error_handler_t::replace);
  op.outcome = std::string(crewai::to_string(rec.outcome));
  op.finished_at = rec.finished_at;
  enqueue(std::move(op));
}

void PgJournalImpl::claim(std::size_t max, std::function<void(Result<Claim>)> done) {
  Op op;
  op.kind = Op::Kind::claim;
  op.max = std::max<std::size_t>(1, max);
  op.claimed = std::move(done);
  enqueue(std::move(op));
}

void PgJournalImpl::stop_batch(const std::string& reason) {
  Op op;
  op.kind = Op::Kind::stop;
  op.text = reason;
  enqueue(std::move(op));
}

void PgJournalImpl::release(const std::vector<std::size_t>& indices) {
  if (indices.empty()) return;
  Op op;
  op.kind = Op::Kind::release;
  op.text = "{";
  for (std::size_t k = 0; k < indices.size(); ++k) op.text += (k ? "," : "") + std::to_string(indices[k]);
  op.text += "}";
  enqueue(std::move(op));
}

Result<void> PgJournalImpl::flush() {
  std::unique_lock lk(mu_);
  const std::uint64_t target = enqueued_;
  flushed_cv_.wait(lk, [&] { return finished_ >= target; });
  if (failure_) return tl::unexpected(*failure_);
  return {};
}

bool PgJournalImpl::ensure_connected(Steady::time_point now) {
  if (session_.connected()) return true;
  if (now < retry_at_) return false;
  if (!down_since_) down_since_ = now;
  if (session_.connect()) {
    reconnect_failures_ = 0;
    down_since_.reset();
    return true;
  }
  ++reconnect_failures_;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  retry_at_ = now + options_.reconnect.delay(reconnect_failures_, uniform(rng_));
  return false;
}

Result<void> PgJournalImpl::write_op(Op& op) {
  const std::string& batch = identity_->batch_id;
  const std::string idx = std::to_string(op.index);
  switch (op.kind) {
    case Op::Kind::intent: {
      auto r = session_.exec(kIntent, {batch, idx, std::to_string(op.attempt), op.text, lease_ms(), worker_id_});
      if (!r) return tl::unexpected(r.error());
      if (std::string(PQcmdTuples(r->get())) == "1") return {};
      auto stopped = session_.exec(kStopReason, {batch});
      if (!stopped) return tl::unexpected(stopped.error());
      if (auto why = pg::opt_text(stopped->get(), 0, 0)) {
        op.result = make_error(ErrorCode::cancelled, *why);  // the reason as recorded, for the report
      } else {
        op.result = tl::unexpected(session_.error(
            ErrorCode::failed_precondition, "item " + idx + " is no longer leased to this worker", ""));
      }
      return {};
    }
    case Op::Kind::kickoff: {
      auto r = session_.exec(kKickoff, {batch, idx, std::to_string(op.attempt), op.text, worker_id_});
      return r ? Result<void>() : tl::unexpected(r.error());
    }
    case Op::Kind::withdraw: {
      auto r = session_.exec(kWithdraw, {batch, idx, std::to_string(op.attempt), worker_id_});
      return r ? Result<void>() : tl::unexpected(r.error());
    }
    case Op::Kind::final: {
      pg::Param at = op.finished_at ? pg::Param(float8(*op.finished_at)) : std::nullopt;
      auto r = session_.exec(kFinal, {batch, idx, op.text, op.outcome, at, worker_id_});
      return r ? Result<void>() : tl::unexpected(r.error());
    }
    case Op::Kind::stop: {
      auto r = session_.exec(kStop, {batch, op.text});
      return r ? Result<void>() : tl::unexpected(r.error());
    }
    case Op::Kind::release: {
      auto r = session_.exec(kRelease, {batch, worker_id_, op.text});
      return r ? Result<void>() : tl::unexpected(r.error());
    }
    case Op::Kind::claim: break;
  }
  return {};
}

Result<void> PgJournalImpl::commit(std::vector<Op>& writes) {
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": written before bind()");
  if (auto r = session_.exec("BEGIN"); !r) return tl::unexpected(r.error());
  for (auto& op : writes) {
    if (auto r = write_op(op); !r) {
      if (!session_.lost()) (void)session_.exec("ROLLBACK");
      return r;
    }
  }
  if (auto r = session_.exec("COMMIT"); !r) return tl::unexpected(r.error());
  return {};
}

Result<Claim> PgJournalImpl::run_claim(std::size_t max) {
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": claim before bind()");
  const std::string& batch = identity_->batch_id;
  Claim claim;
  auto body = [&]() -> Result<void> {
    auto got = session_.exec(kClaim, {batch, worker_id_, std::to_string(max), lease_ms()});
    if (!got) return tl::unexpected(got.error());
    std::map<std::size_t, JournalItem> items;
    std::string array = "{";
    bool paused = false;
    for (int r = 0; r < PQntuples(got->get()); ++r) {
      auto idx = static_cast<std::size_t>(pg::integer(got->get(), r, 0));
      items[idx].index = idx;
      array += (r ? "," : "") + std::to_string(idx);
      if (auto rec = pg::opt_text(got->get(), r, 1)) {
        auto record = crewai::record_from_json(Json::parse(*rec, nullptr, false));
        if (!record) {
          return tl::unexpected(session_.error(ErrorCode::protocol, "the record of item " + std::to_string(idx) + " is corrupt", ""));
        }
        items[idx].final_record = std::move(*record);
        paused = true;
      }
    }
    array += "}";
    if (paused) {
      if (auto r = claim_answered(claim, items); !r) return r;
    }
    if (!items.empty()) {
      auto att = session_.exec(kClaimAttempts, {batch, array});
      if (!att) return tl::unexpected(att.error());
      for (int r = 0; r < PQntuples(att->get()); ++r) {
        JournalItem& item = items[static_cast<std::size_t>(pg::integer(att->get(), r, 0))];
        add_attempt(item, pg::text(att->get(), r, 2), pg::opt_text(att->get(), r, 3),
                    pg::text(att->get(), r, 4) == "t");
      }
    }
    auto counts = session_.exec(kClaimCounts, {batch, worker_id_, std::to_string(options_.lease.count() * 2)});
    if (!counts) return tl::unexpected(counts.error());
    const PGresult* c = counts->get();
    claim.open = static_cast<std::size_t>(pg::integer(c, 0, 0));
    claim.batch_errors = static_cast<std::size_t>(pg::integer(c, 0, 1));
    claim.batch_judged = static_cast<std::size_t>(pg::integer(c, 0, 2));
    claim.stop_reason = pg::opt_text(c, 0, 3);
    claim.workers = std::max<std::size_t>(1, static_cast<std::size_t>(pg::integer(c, 0, 4)));
    for (auto& [idx, item] : items) claim.items.push_back(std::move(item));
    return {};
  };
  if (auto r = in_transaction(body); !r) return tl::unexpected(r.error());
  return claim;
}

Result<void> PgJournalImpl::heartbeat() {
  if (!identity_) return {};
  auto r = session_.exec(kHeartbeat, {identity_->batch_id, worker_id_, lease_ms()});
  if (!r) return tl::unexpected(r.error());
  r = session_.exec(kSeen, {identity_->batch_id, worker_id_});
  return r ? Result<void>() : tl::unexpected(r.error());
}

void PgJournalImpl::writer_loop() {
  std::unique_lock lk(mu_);
  heartbeat_at_ = options_.now() + options_.lease / 3;
  for (;;) {
    const auto now = options_.now();
    if (stop_ && queue_.empty()) break;
    const bool work_due = !queue_.empty() && now >= retry_at_;
    const bool beat_due = now >= heartbeat_at_ && now >= retry_at_;
    if (!work_due && !beat_due) {
      // An overdue heartbeat waits for the reconnect like everything else.
      auto until = std::max(heartbeat_at_, retry_at_);
      if (!queue_.empty()) until = std::min(until, retry_at_);
      work_cv_.wait_for(lk, std::max(until - now, Steady::duration(std::chrono::milliseconds(1))));
      continue;
    }
    std::deque<Op> ops;
    ops.swap(queue_);
    const std::optional<Error> earlier = failure_;
    lk.unlock();
    Pass pass;
    if (earlier) {
      for (auto& op : ops) {
        op.result = tl::unexpected(*earlier);
        pass.completed.push_back(std::move(op));
      }
    } else {
      std::lock_guard db(db_mu_);
      if (!ensure_connected(now)) {
        // Closing (the batch is over, or interrupted) waits at most kGiveUpOnClose for the database.
        const auto give_up = stop_requested() ? std::min<Steady::duration>(options_.give_up_after, kGiveUpOnClose)
                                              : Steady::duration(options_.give_up_after);
        if (down_since_ && now - *down_since_ >= give_up) {
          pass.failure = session_.error(ErrorCode::unavailable, "unreachable, gave up", "");
          for (auto& op : ops) {
            op.result = tl::unexpected(*pass.failure);
            pass.completed.push_back(std::move(op));
          }
        } else {
          pass.waiting = std::move(ops);
        }
      } else {
        if (beat_due) {
          if (auto r = heartbeat(); r || !session_.lost()) heartbeat_at_ = now + options_.lease / 3;
        }
        std::vector<Op> writes;
        std::deque<Op> claims;
        for (auto& op : ops) {
          if (op.kind == Op::Kind::claim) {
            claims.push_back(std::move(op));
          } else {
            writes.push_back(std::move(op));
          }
        }
        Result<void> w = writes.empty() ? Result<void>() : commit(writes);
        if (!w && session_.lost()) {
          for (auto& op : writes) pass.waiting.push_back(std::move(op));
          for (auto& op : claims) pass.waiting.push_back(std::move(op));
        } else {
          if (!w) pass.failure = w.error();
          for (auto& op : writes) {
            if (!w) op.result = tl::unexpected(w.error());
            pass.completed.push_back(std::move(op));
          }
          while (!claims.empty()) {
            Op op = std::move(claims.front());
            claims.pop_front();
            auto c = run_claim(op.max);
            if (!c && session_.lost()) {
              pass.waiting.push_back(std::move(op));
              continue;
            }
            op.got = std::move(c);
            pass.completed.push_back(std::move(op));
          }
        }
        if (session_.lost()) retry_at_ = now;
      }
    }
    for (auto& op : pass.completed) {
      if (op.done) op.done(op.result);
      if (op.claimed) op.claimed(op.got ? std::move(*op.got) : Result<Claim>(tl::unexpected(op.result.error())));
    }
    lk.lock();
    if (pass.failure && !failure_) failure_ = pass.failure;
    for (auto it = pass.waiting.rbegin(); it != pass.waiting.rend(); ++it) queue_.push_front(std::move(*it));
    finished_ += pass.completed.size();
    flushed_cv_.notify_all();
  }
  lk.unlock();
  release_leases();
}

void PgJournalImpl::release_leases() {
  std::lock_guard db(db_mu_);
  if (!identity_ || !session_.connected() || !options_.release_on_close) return;
  (void)session_.exec(
      "UPDATE crewctl_items SET lease_owner = NULL, lease_until = NULL WHERE batch_id = $1 AND "
      "lease_owner = $2",
      {identity_->batch_id, worker_id_});
  (void)session_.exec("UPDATE crewctl_workers SET left_at = now() WHERE batch_id = $1 AND worker_id = $2",
                      {identity_->batch_id, worker_id_});
}

}  // namespace crewai::batch::pgj

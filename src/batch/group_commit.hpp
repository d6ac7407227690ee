// batch/group_commit.hpp — the journal's writer thread: a queue of operations written in one
// transaction per wake-up.
//
// Two kinds of operation. A gating one (an intent: its kickoff waits for it) wakes the writer at
// once. A deferred one (a kickoff id, a final record: nothing waits for it) does not: it rides
// along with the next gating commit, or is written when `max_delay` has passed since the oldest
// deferred one was queued, when `max_batch` operations are queued, on flush() or at the end. Under
// load intents keep coming, so kickoff ids and final records cost no transaction of their own; when
// idle nothing waits longer than `max_delay`. Before this, every operation woke the writer, which
// was fast enough to write each one in a transaction of its own (one WAL append per operation).
//
// Hold: between hold() and release() gating operations do not wake the writer either (release()
// does). A caller that records several intents in a row (the batch loop's launches of one turn)
// thus gets them into one transaction and one wake, where the first would otherwise wake the
// writer alone and the rest take a second commit. Each `done` still runs after the commit that
// holds its operation: a hold delays a kickoff by the rest of the caller's turn, never past it.
// With `commit_on_release` the releasing thread writes the held operations itself when the writer
// is not busy (their `done` callbacks then run on it, inside release()): a commit costs no thread
// wake and no context switch to the writer and back (issue 13: on this 2-core machine those cost
// more CPU than the commit). The writer still writes everything else and anything queued while
// it is busy; one commit runs at a time, in queue order.
//
// Waking the writer: an operation wakes it only when the writer would otherwise sleep past the
// time the operation is due (it is parked, with no deadline, or its deadline is later). After each
// commit the writer waits up to `max_delay` before it parks, so a deferred operation queued
// meanwhile cannot be due before the writer looks again, and needs no wake: under load the writer
// was woken once per commit only to learn a deadline it never reached (issue 13: a futex call on
// the engine's thread and two context switches each); an intent held back by the pace wakes it
// only when the pace ends before the writer's deadline.
//
// Pacing (`min_interval`): under load, gating commits start at most once per min_interval. An
// intent that comes within min_interval of the previous commit's start waits for the rest of it,
// and every intent queued meanwhile shares that commit; an intent that finds the writer idle for
// longer is committed at once. A commit's cost is mostly per transaction (the WAL frames of the
// pages it touches, the fsync, the writer's wake), so under load one commit per 20 ms instead of
// one as soon as the last is durable (every ~3 ms with an fsync on this machine) cut the journal's
// CPU by about half, and one per 40 ms (the default) by a third again (issue 13, bench/README.md),
// for at most min_interval more before a kickoff. max_delay is raised to min_interval, so that
// deferred operations do not force commits between the paced ones. flush() and the end write at
// once.
//
// Time: the writer reads its clock and watches it. A ManualClock has no real deadline, so there
// the writer waits until woken, and the clock's moves wake it: its deadlines pass in virtual time
// (tests). The steady clock's waits are real.
//
// Crash window: a deferred operation is lost with the process if it dies within `max_delay` of
// queuing it. Nothing gated is ever lost: a kickoff is sent only after its intent's commit. A lost
// kickoff id makes the item `ambiguous` on resume (never kicked off twice), a lost final record is
// followed again from its kickoff id.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crewai/clock.hpp"
#include "crewai/error.hpp"

namespace crewai::batch {

struct JournalOp {
  enum class Kind { intent, kickoff, final, withdraw } kind = Kind::intent;
  std::size_t index = 0;
  int attempt = 0;
  std::string text;     // request id, kickoff id, or the record's results line
  std::string outcome;  // final only
  std::optional<double> finished_at;
  double at = 0;
  std::function<void(Result<void>)> done;  // set: gating (runs once the commit is durable)
};

struct GroupCommitOptions {
  std::chrono::milliseconds max_delay{20};
  std::size_t max_batch = 1024;
  // release() commits on the caller's thread (see above). Off when a commit is slow (an fsync per
  // commit, synchronous=FULL): the caller would wait for the disk instead of going on.
  bool commit_on_release = true;
  // Gating commits start at most once per min_interval under load (see "Pacing" above); zero:
  // as soon as the writer is free. max_delay is raised to it when shorter, so that deferred
  // operations ride along with the paced commits instead of forcing commits between them.
  std::chrono::milliseconds min_interval{40};
  std::shared_ptr<Clock> clock;  // null: the steady clock
};

struct GroupCommitStats {
  std::uint64_t transactions = 0;  // commit calls (each one transaction)
  std::uint64_t operations = 0;    // operations written by them
  std::uint64_t deferred_wakes = 0;  // a deferred operation woke the waiting writer
  // The writer waited with operations queued that were not due yet: intents held back by the pace,
  // deferred ones before max_delay.
  std::uint64_t queued_waits = 0;
};

class GroupCommit {
 public:
  // `commit` writes every operation given in one transaction; it runs on the writer thread.
  using Commit = std::function<Result<void>(std::vector<JournalOp>&)>;
  GroupCommit(Commit commit, GroupCommitOptions options);
  ~GroupCommit();  // writes what is queued, then stops the thread
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void enqueue(JournalOp op);  // gating when op.done is set
  void hold();     // nested holds count; every hold() needs its release()
  void release();
  // Blocks until everything queued before the call is written; the first write error, if any.
  [[nodiscard]] Result<void> flush();
  GroupCommitStats stats() const;

 private:
  void loop();
  void write_queued(std::unique_lock<std::mutex>& lk);  // mu_ held on entry and on return
  bool due(Clock::time_point now) const;  // mu_ held
  // mu_ held: when the gating operations queued may be committed (now, or the pace's end).
  Clock::time_point gating_due(Clock::time_point now) const;
  // mu_ held: the time the waiting writer must look again at, none: it may wait to be woken.
  std::optional<Clock::time_point> next_look() const;
  // mu_ held: the writer waits past `t` (or with no deadline), so work due by `t` must wake it.
  bool sleeps_past(Clock::time_point t) const;
  void wait(std::unique_lock<std::mutex>& lk);  // the writer's wait for a deadline or a wake

  Commit commit_;
  GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, flushed_cv_;
  std::vector<JournalOp> queue_;
  std::size_t gating_ = 0;                    // gating operations in queue_
  int held_ = 0;                              // hold() calls not yet released
  bool committing_ = false;                   // a write_queued() runs (writer or releaser)
  std::optional<Clock::time_point> oldest_;   // when the oldest deferred operation was queued
  std::optional<Clock::time_point> linger_;   // the writer looks again by then (no wake needed)
  std::optional<Clock::time_point> last_start_;  // when the last commit started (pacing)
  // The waiting writer's deadline; time_point::max() while it waits with none (parked).
  std::optional<Clock::time_point> waiting_until_;
  std::uint64_t enqueued_ = 0, finished_ = 0, flush_target_ = 0;
  GroupCommitStats stats_;
  std::optional<Error> failure_;
  bool stop_ = false;
  std::unique_ptr<Clock::Watch> watch_;  // the writer's: a ManualClock's moves wake it
  std::thread writer_;
};

}  // namespace crewai::batch

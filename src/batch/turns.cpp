// Batch: the scheduler's turns on the client's engine thread (issue 13, point 5).
//
// A turn is one pass() of the scheduler (run_loop.cpp: events, stop, adaptive limit, launches,
// snapshot). Run on the engine thread, a run's end leads to the next kickoff on the thread its
// answer arrived on: no condition variable, no socket-pair wake-up, no context switch per item
// (the bare libcurl loop's shape). The caller's thread prepares, then sleeps until the last turn
// frees it, then reports.
//
// At most one turn is queued on the engine at a time (`turn_queued`): post() queues one when
// none is, which costs no wake-up from the engine thread itself and one from any other thread
// (the journal's writer, the webhook receiver, a stop request, the observer). One engine timer is
// armed for the next due time (a rate wait, a requeue, a snapshot, the drain deadline); it queues
// a turn too. In virtual time the engine's own clock watch covers the turns: the engine is busy
// while one is queued or running, and idle until its earliest timer (ours included) otherwise.
//
// The end: the turn that finds the batch done cancels its timer and marks `turns_over`; the
// caller is freed by it, or by the turn still queued then (which does nothing else). Either way
// the freeing turn notifies under `mu` as its last touch of *this: once the caller has `mu`
// back it may return and destroy the batch. Nothing queues a turn after `turns_over`.
//
// A turn never blocks the engine: its calls are the client's *_async ones, the observer's queue,
// and the journal's enqueues, whose CommitHold release commits on this thread only without an
// fsync and once the pace allows (group_commit.hpp: commit_on_release is off with
// survive_power_loss), ~50 µs.
#include "batch/scheduler.hpp"
#include "client/internal.hpp"

namespace crewai {

void Batch::Impl::run_turns() {
  transport::Engine& e = client::EngineAccess::engine(client);
  next_snapshot = clock->now();
  {
    std::lock_guard lock(mu);
    engine = &e;
    queue_turn_locked();
  }
  e.post([this] { turn(); });
  std::unique_lock lock(mu);
  cv.wait(lock, [this] { return caller_free; });
}

bool Batch::Impl::queue_turn_locked() {
  if (turn_queued || turns_over) return false;
  turn_queued = true;
  return true;
}

void Batch::Impl::wake_turns() {
  transport::Engine* e = nullptr;
  {
    std::lock_guard lock(mu);
    if (!engine) {  // the loop of run_loop.cpp, or not running yet
      cv.notify_one();
      return;
    }
    if (!queue_turn_locked()) return;
    e = engine;
  }
  e->post([this] { turn(); });
}

void Batch::Impl::turn() {
  {
    std::lock_guard lock(mu);
    turn_queued = false;
    if (turns_over) {
      caller_free = true;
      cv.notify_one();
      return;
    }
  }
  if (all_done()) return end_turns();
  const Pass p = pass();
  if (all_done()) return end_turns();
  // A due time already acted on (a zero snapshot interval) must not fire at once again: the engine
  // would spin on its timer and, in virtual time, never go idle for the clock to move.
  arm_wake(std::max(p.wake, p.now + std::chrono::milliseconds(1)));
}

void Batch::Impl::end_turns() {
  if (wake_timer != 0) engine->cancel_timer(wake_timer);  // engine thread: it cannot fire now
  wake_timer = 0;
  std::lock_guard lock(mu);
  turns_over = true;
  if (turn_queued) return;  // that turn frees the caller
  caller_free = true;
  cv.notify_one();
}

// The next wake is mostly "now + snapshot interval", later at every turn: a timer armed earlier
// is kept (its turn re-arms), so that a busy batch does not cancel and re-add one per turn.
void Batch::Impl::arm_wake(Steady::time_point wake) {
  if (wake_timer != 0 && wake_at <= wake) return;
  if (wake_timer != 0) engine->cancel_timer(wake_timer);
  wake_at = wake;
  wake_timer = engine->add_timer(wake, [this] {
    wake_timer = 0;
    bool queue = false;
    {
      std::lock_guard lock(mu);
      queue = queue_turn_locked();
    }
    if (queue) turn();  // already on the engine thread: run it here rather than post it
  });
}

}  // namespace crewai

// Batch: the scheduler loop of run(), step by step (loop thread).
#include <algorithm>

#include "batch/scheduler.hpp"
#include "client/internal.hpp"

namespace crewai {

Result<BatchReport> Batch::Impl::run() {
  if (client::EngineAccess::engine(client).on_engine_thread()) {
    return make_error(ErrorCode::internal,
                      "Batch::run() called from a client callback: the batch runs on that thread");
  }
  if (auto ok = prepare(); !ok) return tl::unexpected(ok.error());
  // A shared journal's claims, releases and stops are PostgreSQL round trips that may block: they
  // keep this thread's loop rather than stall the engine (turns.cpp).
  if (!shared) {
    run_turns();
    return report();
  }
  watch_clock(true);
  next_snapshot = clock->now();
  while (!all_done()) {
    const Pass p = pass();
    if (all_done()) break;
    wait_for_work(p.wake, p.stop_requests);
  }
  watch_clock(false);
  return report();
}

Batch::Impl::Pass Batch::Impl::pass() {
  run_events();
  Pass p;
  p.now = clock->now();
  p.stop_requests = stop_requests.load();
  handle_stop(p.now, p.stop_requests);
  feed_adaptive(p.now);
  p.wake = next_wake(p.now);
  if (p.now >= next_snapshot) {
    observer.snapshot(snapshot(p.now));
    next_snapshot = p.now + opt.snapshot_interval;
  }
  p.wake = std::min(p.wake, next_snapshot);
  return p;
}

// Everything before the loop: counters, the rate, preflight, the journal, the queue (or the dry
// run's records).
Result<void> Batch::Impl::prepare() {
  baseline = client.stats();
  seen_overloads = baseline.http_429 + baseline.http_5xx;
  seen_requests = baseline.requests;
  window_start = clock->now();
  if (opt.requests_per_second > 0) client.set_request_rate(opt.requests_per_second);
  if (auto ok = preflight(); !ok) return ok;
  shared = journal && journal->shared();  // items then come in claims (shared_claims.cpp)
  if (journal && !shared) {
    if (auto ok = restore(); !ok) return ok;
  }
  for (std::size_t i = 0; i < items.size() && !shared; ++i) {
    if (slots[i].phase == Phase::queued) queue.push_back(i);
  }
  if (opt.dry_run) {
    for (auto i : queue) {
      ItemRecord r = base_record(i);
      r.outcome = Outcome::skipped;
      r.error = "dry run: valid, not kicked off";
      finish(i, std::move(r), false);
    }
    queue.clear();
  }
  return {};
}

void Batch::Impl::run_events() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mu);
    batch.swap(events);
  }
  for (auto& fn : batch) fn();
}

// Stop requests, the observer's refusal, the drain deadline, and a forced stop's cancels and
// kickoff grace.
void Batch::Impl::handle_stop(Steady::time_point now, int requests) {
  if (requests > handled_stop_requests) {
    // Only the caller's second request (or force) abandons runs in flight; a stop rule that
    // already fired does not count as the first.
    bool force = force_requested.load() || requests >= 2;
    handled_stop_requests = requests;
    stop_new_work("stop requested");
    if (force) forced = true;
    if (force && opt.cancel_on_force && !cancelling) {
      cancelling = true;
      cancel_until = now + opt.cancel_grace;
      cancel_in_flight();
    }
  }
  if (observer_refused.load() && !stopping) stop_new_work("the observer asked to stop");
  if (drain_until && now >= *drain_until) forced = true;
  bool cancels_due = !cancelling || pending_cancels == 0 || now >= cancel_until;
  if (forced && !follow.stop_requested() && cancels_due) follow.request_stop();
  if (forced && !forced_at) forced_at = now;
  if (forced_at && !kick_stop.stop_requested() && now >= *forced_at + kForcedKickoffGrace) {
    kick_stop.request_stop();
  }
}

// Launches what may start now; returns the next time something is due (a rate wait, a requeue,
// the drain deadline, the kickoff grace, the cancel grace).
Steady::time_point Batch::Impl::next_wake(Steady::time_point now) {
  auto wake = now + opt.snapshot_interval;
  if (shared) pump_claims(now, wake);
  if (!stopping) launch_ready(now, wake);
  if (!holding.empty()) release_holds(now, wake);
  // Once passed, the deadline is acted on (handle_stop: forced); waking for it again would spin.
  if (drain_until && now < *drain_until) wake = std::min(wake, *drain_until);
  if (forced_at && !kick_stop.stop_requested()) {
    wake = std::min(wake, *forced_at + kForcedKickoffGrace);
  }
  if (cancelling && !follow.stop_requested()) wake = std::min(wake, cancel_until);
  return wake;
}

// Blocks until an event, a stop request, the observer's refusal, `wake`, or (virtual time) the
// clock moving. Idle is declared under `mu`, where post() declares busy: never stale.
void Batch::Impl::wait_for_work(Steady::time_point wake, int requests) {
  std::unique_lock lock(mu);
  auto ready = [this, requests] {
    return !events.empty() || stop_requests.load() != requests ||
           (observer_refused.load() && !stopping) || clock_moved;
  };
  clock_moved = false;
  if (ready()) return;
  watch->idle(wake);
  if (auto real = clock->real_wait(wake)) {
    cv.wait_for(lock, *real, ready);
  } else {
    cv.wait(lock, ready);
  }
}

// The loop's registration with the clock; made and dropped outside `mu` (its wake takes `mu`).
void Batch::Impl::watch_clock(bool on) {
  std::unique_ptr<Clock::Watch> w;
  if (on) {
    w = clock->watch([this] {
      std::lock_guard lock(mu);
      clock_moved = true;
      cv.notify_one();
    });
  }
  {
    std::lock_guard lock(mu);
    std::swap(w, watch);
  }
}  // turning off, `w` is the old watch: destroyed here, with `mu` released

BatchReport Batch::Impl::report() {
  if (journal) {
    if (auto ok = journal->flush(); !ok) {
      journal_failed(ok.error());
      if (stop_reason.empty()) stop_reason = "journal: " + ok.error().message;
    }
  }
  BatchReport report;
  report.final_snapshot = snapshot(clock->now());
  observer.snapshot(report.final_snapshot);
  observer.close();
  report.records = shared ? own_records() : std::move(records);
  report.stopped = stopping;
  report.stop_reason = stop_reason;
  report.journal_error = journal_error;
  report.warnings = warnings;
  return report;
}

}  // namespace crewai

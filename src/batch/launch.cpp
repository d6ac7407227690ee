// Batch: starting runs and following them (loop thread; completions arrive as posted events).
#include <algorithm>

#include "batch/scheduler.hpp"
#include "batch/unix_time.hpp"

namespace crewai {
namespace {

constexpr int kMaxRequeues = 8;  // kickoffs that provably never reached the app, per item


bool transport_trouble(const Error& e) {
  return e.code == ErrorCode::unavailable || e.code == ErrorCode::rate_limited;
}

}  // namespace

void Batch::Impl::launch_ready(Steady::time_point now, Steady::time_point& wake) {
  // The intents of this turn's launches share one commit (journal.hpp, hold_commits).
  batch::CommitHold hold(journal.get());
  int limit = opt.adaptive ? std::min(adaptive.limit(), opt.max_concurrent) : opt.max_concurrent;
  limit = std::max(limit, 1);
  std::size_t deferred = 0;
  while (!queue.empty() && static_cast<int>(in_flight) < limit && deferred < queue.size()) {
    std::size_t i = queue.front();
    if (slots[i].not_before > now) {
      // A requeued item waits its turn; look at the others behind it.
      queue.pop_front();
      queue.push_back(i);
      wake = std::min(wake, slots[i].not_before);
      ++deferred;
      continue;
    }
    if (!breaker.allow(now)) {
      wake = std::min(wake, now + std::chrono::milliseconds(100));
      return;
    }
    if (!kick_bucket.unlimited()) {
      if (!kick_bucket.try_take(now)) {
        wake = std::min(wake, now + std::chrono::milliseconds(
                                        static_cast<long>(1000.0 / opt.kickoffs_per_second) + 1));
        return;
      }
    }
    queue.pop_front();
    launch(i);
  }
}

void Batch::Impl::launch(std::size_t i) {
  Slot& s = slots[i];
  s.phase = Phase::starting;
  ++in_flight;
  ++s.attempts;
  s.request_id = request_id(i, s.attempts);
  if (!s.started_at) s.started_at = batch::unix_now();
  if (!journal) return send_kickoff(i, kickoff_request(i));
  // Once the intent is durable, whoever committed it sends the kickoff straight to the engine:
  // this thread when it releases launch_ready's hold (the usual case), else the journal's writer.
  // A round trip from the writer through this loop would add two thread wakes per commit (issue
  // 13). The request is made here, so that the writer touches no loop state.
  journal->record_intent(i, s.attempts, s.request_id,
                         [this, i, req = kickoff_request(i)](Result<void> r) mutable {
                           if (r) return send_kickoff(i, std::move(req));
                           post([this, i, e = std::move(r.error())] { on_intent_failed(i, e); });
                         });
}

void Batch::Impl::on_intent_failed(std::size_t i, const Error& e) {
  if (shared && e.code == ErrorCode::failed_precondition) return hand_back(i);
  if (shared && e.code == ErrorCode::cancelled) return refused_by_stop(i, e.message);
  // The intent is not durable, so the kickoff is not sent: the item stays runnable.
  ItemRecord rec = base_record(i);
  rec.outcome = Outcome::skipped;
  rec.error = "not kicked off: the journal could not record it (" + e.message + ")";
  journal_failed(e);
  stop_new_work("journal write failed: " + e.message);
  finish(i, std::move(rec), false);
}

KickoffRequest Batch::Impl::kickoff_request(std::size_t i) const {
  KickoffRequest req;
  req.inputs = items[i].inputs;
  req.meta = items[i].meta.is_object() ? items[i].meta : Json::object();
  req.meta["requestId"] = slots[i].request_id;
  if (opt.webhooks) opt.webhooks->decorate(req);
  return req;
}

// Any thread (the loop, or the journal's writer once the intent is durable): touches no loop
// state, only the client, the stop tokens and post().
void Batch::Impl::send_kickoff(std::size_t i, KickoffRequest req) {
  auto sent = clock->now();
  // Without webhooks the wait needs nothing from the loop: it starts on the engine thread with the
  // kickoff's answer, instead of a round trip through the loop and back (issue 13, point 5). The
  // answer is posted first, so the loop sees the kickoff id before the wait's end.
  std::optional<WaitOptions> wait;
  if (!opt.webhooks) wait = wait_options(sent);
  // A forced stop aborts the kickoff too after a short grace (scheduler.hpp), so that the batch
  // leaves at once: one on the wire ends `ambiguous` (journaled as such), one not yet sent
  // ends `cancelled`.
  client.kickoff_async(std::move(req), kick_stop.get_token())
      .then([this, i, sent, wait = std::move(wait)](Result<std::string> r) mutable {
        const bool waiting = r && wait;
        std::string id = r ? *r : std::string();
        post([this, i, sent, waiting, r = std::move(r)]() mutable {
          on_kickoff(i, std::move(r), sent, waiting);
        });
        if (waiting) follow_run(i, id, std::move(*wait));
      });
}

void Batch::Impl::on_kickoff(std::size_t i, Result<std::string> r, Steady::time_point sent,
                             bool waiting) {
  Slot& s = slots[i];
  auto now = clock->now();
  if (r) {
    breaker.on_success();
    s.kickoff_ids.push_back(*r);
    if (journal) journal->record_kickoff(i, s.attempts, *r);
    s.phase = Phase::running;
    if (!waiting) start_wait(i, *r, sent);
    if (stopping && opt.cancel_on_stop) cancel_run(i);
    return;
  }
  const Error& e = r.error();
  if (transport_trouble(e)) breaker.on_transport_failure(now);
  // Never sent: a retry-safe failure (it did not reach the app) or a kickoff stopped before it
  // left (one on the wire ends `ambiguous`). Its intent goes, so that a resume, or the worker an
  // item handed back goes to, runs the item instead of calling it ambiguous.
  if (journal && (e.code == ErrorCode::cancelled || e.retry_safe)) journal->withdraw_intent(i, s.attempts);
  if (e.retry_safe && transport_trouble(e) && !stopping && s.requeues < kMaxRequeues) {
    ++s.requeues;
    return requeue(i, now + opt.breaker_cooldown / 4 * s.requeues);
  }
  ItemRecord rec = base_record(i);
  rec.error = e.to_string();
  if (e.code == ErrorCode::cancelled) {
    rec.outcome = Outcome::skipped;
    rec.error = "not kicked off: the batch stopped (" + stop_reason + ")";
    return finish(i, std::move(rec), false);
  }
  switch (e.code) {
    case ErrorCode::ambiguous: rec.outcome = Outcome::ambiguous; break;
    case ErrorCode::invalid_input: rec.outcome = Outcome::invalid; break;
    default: rec.outcome = Outcome::error; break;
  }
  bool fatal = e.code == ErrorCode::unauthenticated || e.code == ErrorCode::permission_denied;
  finish(i, std::move(rec));
  if (fatal) stop_new_work("the deployment refused the token (" + e.to_string() + ")");
}

void Batch::Impl::requeue(std::size_t i, Steady::time_point not_before) {
  --in_flight;
  slots[i].phase = Phase::queued;
  slots[i].not_before = not_before;
  queue.push_front(i);
}

WaitOptions Batch::Impl::wait_options(Steady::time_point kicked_off_at) const {
  WaitOptions w;
  w.deadline = opt.item_deadline;
  w.stop = follow.get_token();
  w.kicked_off_at = kicked_off_at;
  w.keep_raw = false;  // a record keeps no status body
  return w;
}

void Batch::Impl::start_wait(std::size_t i, const std::string& id,
                             Steady::time_point kicked_off_at) {
  WaitOptions w = wait_options(kicked_off_at);
  if (opt.webhooks) hook_wait(i, id, w);
  follow_run(i, id, std::move(w));
}

// Any thread: touches no loop state, only the client and post().
void Batch::Impl::follow_run(std::size_t i, const std::string& id, WaitOptions w) {
  client.wait_async(id, std::move(w)).then([this, i](Result<RunResult> r) {
    // A record keeps none of the status body's DOM (raw is not even made: wait_options): it is
    // freed here, by the thread that built it, not by the loop (a free from another thread
    // contends for the engine's malloc arena).
    if (r) {
      r->usage_metrics = Json();
      r->last_executed_task = Json();
    }
    post([this, i, r = std::move(r)]() mutable { on_wait(i, std::move(r)); });
  });
}

void Batch::Impl::on_wait(std::size_t i, Result<RunResult> r) {
  if (opt.webhooks && hold_for_pause(i, r)) return;
  Slot& s = slots[i];
  ItemRecord rec = base_record(i);
  bool final_in_journal = true;
  if (r) {
    breaker.on_success();
    rec.run_state = r->raw_state.empty() ? std::string(to_string(r->state)) : r->raw_state;
    rec.result = std::move(r->result);
    rec.result_json = std::move(r->result_json);
    switch (r->state) {
      case RunState::success:
        rec.outcome = Outcome::succeeded;
        break;
      case RunState::paused:
        rec.outcome = Outcome::paused;
        rec.pause_task_id = r->pause_task_id;
        rec.pause_task_output = r->pause_task_output;
        if (s.pause && s.pause->heard && !s.pause->heard->callback_url.empty()) {
          rec.pause_callback_url = s.pause->heard->callback_url;
        }
        rec.error = "waiting for human input" +
                    (r->pause_task_id ? " on task " + *r->pause_task_id : std::string());
        break;
      case RunState::revoked:
        if (s.cancel_sent) {
          rec.outcome = Outcome::cancelled;
          rec.error = "cancelled (POST /stop) when the batch stopped (" + stop_reason + ")";
          break;
        }
        [[fallthrough]];
      default:
        if (r->state == RunState::failed && s.attempts <= opt.retry_failed && !stopping) {
          return requeue(i, clock->now());  // a new run: the old one is known to be over
        }
        rec.outcome = Outcome::failed;
        rec.error = r->message.empty() ? "the run ended " + rec.run_state : r->message;
        break;
    }
  } else {
    const Error& e = r.error();
    rec.error = e.to_string();
    if (transport_trouble(e)) breaker.on_transport_failure(clock->now());
    if (e.code == ErrorCode::cancelled && s.cancelled) {
      rec.outcome = Outcome::cancelled;
      rec.run_state = "REVOKED";
      rec.error = "cancelled (POST /stop accepted) when the batch stopped (" + stop_reason + ")";
    } else if (e.code == ErrorCode::cancelled) {
      rec.outcome = Outcome::timeout;
      rec.error = "stopped while the run was going (" + stop_reason +
                  "); its kickoff id is kept: resume the batch (crewctl batch ... --resume) to "
                  "follow it";
      final_in_journal = false;
    } else if (e.code == ErrorCode::deadline_exceeded) {
      rec.outcome = Outcome::timeout;
    } else {
      rec.outcome = Outcome::error;
    }
  }
  finish(i, std::move(rec), final_in_journal);
}

}  // namespace crewai

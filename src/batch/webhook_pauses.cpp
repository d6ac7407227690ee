// Batch: pauses reported by a webhook receiver (BatchOptions::webhooks).
//
// A live crew waiting for a human reads NOT FOUND and its task id comes only on the human-input
// webhook; a flow's callback URL too. So each wait of a batch with webhooks also watches its run:
// the webhook ends the wait (its own stop source, linked to the batch's `follow`) and the item is
// recorded `paused` with what answering it needs. When /status shows the pause first, the record
// waits up to kPauseDetailsGrace for the webhook (it is usually milliseconds behind), then goes
// without the details rather than hold the batch.
#include "batch/scheduler.hpp"

namespace crewai {
namespace {

constexpr std::chrono::seconds kPauseDetailsGrace{5};

void apply(const PauseNotice& n, RunResult& r) {
  if (!n.task_id.empty()) r.pause_task_id = n.task_id;
  if (!n.task_output.empty()) r.pause_task_output = n.task_output;
}

}  // namespace

void Batch::Impl::hook_wait(std::size_t i, const std::string& id, WaitOptions& w) {
  // A fresh state per run followed: nothing heard or held from an earlier run of the item.
  auto& p = slots[i].pause;
  p = std::make_unique<PauseState>();
  p->wait_stop = std::make_shared<std::stop_source>();
  std::function<void()> relay = [stop = p->wait_stop] { stop->request_stop(); };
  p->wait_stop_link =
      std::make_shared<std::stop_callback<std::function<void()>>>(follow.get_token(), std::move(relay));
  w.stop = p->wait_stop->get_token();
  w.human_input_webhook = true;  // NOT FOUND after RUNNING is the live crew's pause
  std::weak_ptr<Sink> weak = sink;
  opt.webhooks->watch(id, [weak, i, id](PauseNotice n) {
    auto sk = weak.lock();
    if (!sk) return;
    std::lock_guard lock(sk->mu);
    if (sk->impl == nullptr) return;
    Impl* self = sk->impl;
    self->post([self, i, id, n = std::move(n)]() mutable { self->on_pause_heard(i, id, std::move(n)); });
  });
}

void Batch::Impl::on_pause_heard(std::size_t i, const std::string& id, PauseNotice n) {
  Slot& s = slots[i];
  if (s.phase != Phase::running || s.kickoff_ids.empty() || s.kickoff_ids.back() != id) return;
  if (!s.pause) return;  // hook_wait made it before watching `id`: a stray notice
  PauseState& p = *s.pause;
  p.heard = std::move(n);
  if (p.held) {
    Result<RunResult> r = std::move(*p.held);
    p.held.reset();
    return on_wait(i, std::move(r));
  }
  if (p.wait_stop) p.wait_stop->request_stop();  // the wait answers `cancelled`: see below
}

// True when on_wait must not record the result yet (a pause waiting for its webhook).
bool Batch::Impl::hold_for_pause(std::size_t i, Result<RunResult>& r) {
  Slot& s = slots[i];
  const std::string id = s.kickoff_ids.empty() ? std::string() : s.kickoff_ids.back();
  // Every wait of a batch with webhooks starts in hook_wait (start_wait), which makes it.
  if (!s.pause) s.pause = std::make_unique<PauseState>();
  PauseState& ps = *s.pause;
  if (!r && r.error().code == ErrorCode::cancelled && ps.heard && !follow.stop_requested()) {
    RunResult p;
    p.kickoff_id = id;
    p.state = RunState::paused;
    p.raw_state = "PAUSED";
    p.message = "waiting for human input (reported by the human-input webhook)";
    r = std::move(p);
  }
  if (r && r->state == RunState::paused) {
    if (ps.heard) {
      apply(*ps.heard, *r);
    } else if (!ps.hold_done && !follow.stop_requested()) {
      ps.hold_done = true;
      ps.held = std::move(*r);
      ps.hold_until = clock->now() + kPauseDetailsGrace;
      holding.push_back(i);
      return true;
    }
  }
  opt.webhooks->unwatch(id);
  ps.wait_stop_link.reset();
  return false;
}

void Batch::Impl::release_holds(Steady::time_point now, Steady::time_point& wake) {
  for (std::size_t k = 0; k < holding.size();) {
    std::size_t i = holding[k];
    PauseState* p = slots[i].pause.get();
    if (!p || !p->held) {
      holding[k] = holding.back();
      holding.pop_back();
      continue;
    }
    if (now >= p->hold_until || follow.stop_requested()) {
      Result<RunResult> r = std::move(*p->held);
      p->held.reset();
      on_wait(i, std::move(r));
      continue;  // the slot is no longer held: dropped on the next pass of this index
    }
    wake = std::min(wake, p->hold_until);
    ++k;
  }
}

}  // namespace crewai

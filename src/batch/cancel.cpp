// Cancelling the runs in flight when a batch stops (BatchOptions::cancel_on_stop / cancel_on_force):
// POST /stop for each, recorded `cancelled` once the deployment took it. A forced stop waits at most
// cancel_grace for the answers, so an answer can come after run() returned: it goes through the
// shared Sink, which the batch empties when it goes.
#include "batch/scheduler.hpp"

namespace crewai {

Batch::Impl::~Impl() {
  std::lock_guard lock(sink->mu);
  sink->impl = nullptr;
}

void Batch::Impl::cancel_in_flight() {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].phase == Phase::running) cancel_run(i);
  }
}

void Batch::Impl::cancel_run(std::size_t i) {
  Slot& s = slots[i];
  if (s.cancel_sent || s.kickoff_ids.empty() || s.phase != Phase::running) return;
  s.cancel_sent = true;
  ++pending_cancels;
  client.cancel_async(s.kickoff_ids.back()).then([sink = sink, i](Result<CancelResult> r) {
    std::lock_guard lock(sink->mu);
    if (sink->impl == nullptr) return;
    sink->impl->post([impl = sink->impl, i, r = std::move(r)]() mutable {
      impl->on_cancel(i, std::move(r));
    });
  });
}

// A run that had already ended (stopped == false) is not marked: its wait, or a resume of the
// batch, records how it really ended.
void Batch::Impl::on_cancel(std::size_t i, Result<CancelResult> r) {
  if (pending_cancels > 0) --pending_cancels;
  if (r && r->stopped) slots[i].cancelled = true;
}

}  // namespace crewai

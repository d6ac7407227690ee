// Batch: items from a shared journal's claims (PostgreSQL: many workers on one batch).
//
// A worker claims a small group whenever its queue runs low, so that it holds few items no other
// worker can take. Each claimed item is what the journal knows of it, handled as a resume handles a
// reopened journal (restore_item): untouched items are queued, items with a kickoff id are followed,
// items with an intent and no id are ambiguous. The worker ends when nothing is left that is not
// finished or its own. Batch-wide stop rules and the batch's stop request come with every claim;
// a stop also refuses every later intent, so that it reaches a worker before its next claim.
#include <algorithm>

#include "batch/scheduler.hpp"

namespace crewai {
namespace {

constexpr std::size_t kMaxClaim = 64;
constexpr auto kIdleClaimInterval = std::chrono::milliseconds(500);  // others hold every item left

}  // namespace

bool Batch::Impl::all_done() const {
  if (!shared) return done >= items.size();
  return in_flight == 0 && queue.empty() && !claim_pending && (stopping || claims_exhausted);
}

void Batch::Impl::pump_claims(Steady::time_point now, Steady::time_point& wake) {
  if (stopping || claim_pending || claims_exhausted) return;
  const std::size_t group = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1, opt.max_concurrent)), 1, kMaxClaim);
  if (queue.size() >= group) return;
  if (now < next_claim) {
    wake = std::min(wake, next_claim);
    return;
  }
  claim_pending = true;
  journal->claim(group, [this](Result<batch::Claim> r) {
    post([this, r = std::move(r)]() mutable { on_claim(std::move(r)); });
  });
}

void Batch::Impl::on_claim(Result<batch::Claim> r) {
  claim_pending = false;
  const auto now = clock->now();
  if (!r) {
    // A lost connection never gets here (the claim waits for the reconnect): this is for good.
    journal_failed(r.error());
    stop_new_work("journal: " + r.error().message);
    return;
  }
  if (r->stop_reason) stop_new_work(batch_stopped(*r->stop_reason));
  batch_errors = r->batch_errors;
  batch_judged = r->batch_judged;
  own_errors_at_claim = own_errors();
  own_judged_at_claim = own_judged();
  check_stop_rules();
  if (opt.kickoffs_per_second > 0) {
    // --rate holds for the whole batch: each worker takes its share of it, keeping the tokens it
    // has (a fresh bucket per claim would grant a new burst with every claim).
    const double share = opt.kickoffs_per_second / static_cast<double>(r->workers);
    if (share != rate_share) kick_bucket.retune(share, std::max(1.0, share), now);
    rate_share = share;
  }
  if (no_earlier.size() != items.size()) no_earlier.assign(items.size(), nullptr);
  std::vector<std::size_t> unwanted;  // claimed while stopping: back to the others at once
  for (const auto& j : r->items) {
    if (j.index >= items.size()) continue;
    const std::size_t i = j.index;
    if (slots[i].phase == Phase::done) {
      // Invalid items are recorded by preflight in every worker; the claim makes it journalled once.
      if (records[i].outcome == Outcome::invalid) {
        journal->record_final(records[i]);
      } else if (stopping) {
        unwanted.push_back(i);  // skipped by the stop, and claimed again meanwhile
      }
      continue;
    }
    if (slots[i].phase != Phase::queued) continue;  // already this worker's (a lease renewed)
    if (stopping) {
      unwanted.push_back(i);
      continue;
    }
    restore_item(j, no_earlier, r->answered);  // an answered pause: its answer's run is followed
    if (slots[i].phase == Phase::queued) queue.push_back(i);
  }
  journal->release(unwanted);
  if (!r->items.empty()) {
    next_claim = now;
  } else if (r->open == 0) {
    claims_exhausted = true;
  } else {
    next_claim = now + kIdleClaimInterval;
  }
}

std::string Batch::Impl::batch_stopped(const std::string& why) {
  return "the batch was stopped for every worker (" + why + ")";
}

// The journal refused the item's intent because the batch was stopped (by another worker, or
// `crewctl journal stop`): nothing was written or sent, so the item is skipped like the queue.
void Batch::Impl::refused_by_stop(std::size_t i, const std::string& why) {
  Slot& s = slots[i];
  s.phase = Phase::queued;
  --s.attempts;
  s.request_id = s.attempts > 0 ? request_id(i, s.attempts) : "";
  --in_flight;
  queue.push_front(i);
  stop_new_work(batch_stopped(why));
}

// The item's lease went to another worker before its intent was written: it is that worker's now.
void Batch::Impl::hand_back(std::size_t i) {
  Slot& s = slots[i];
  s.phase = Phase::done;
  --s.attempts;
  --in_flight;
  handed_back.push_back(i);
}

std::vector<ItemRecord> Batch::Impl::own_records() {
  std::vector<bool> handed(items.size(), false);
  for (auto i : handed_back) handed[i] = true;
  std::vector<ItemRecord> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (slots[i].phase == Phase::done && !handed[i]) out.push_back(std::move(records[i]));
  }
  return out;
}

}  // namespace crewai

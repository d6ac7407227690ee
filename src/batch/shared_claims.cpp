// Batch: items from a shared journal's claims (PostgreSQL: many workers on one batch).
//
// A worker claims a small group whenever its queue runs low, so that it holds few items no other
// worker can take. Each claimed item is what the journal knows of it, handled as a resume handles a
// reopened journal (restore_item): untouched items are queued, items with a kickoff id are followed,
// items with an intent and no id are ambiguous. The worker ends when nothing is left that is not
// finished or its own. Batch-wide stop rules and the batch's stop request come with every claim.
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
  if (r->stop_reason) stop_new_work("the batch was stopped for every worker (" + *r->stop_reason + ")");
  if (!stopping && opt.max_errors && r->batch_errors >= *opt.max_errors) {
    std::string reason = "max errors reached across workers (" + std::to_string(r->batch_errors) + ")";
    journal->stop_batch(reason);
    stop_new_work(reason);
  } else if (!stopping && opt.max_error_rate && r->batch_judged >= opt.min_sample && r->batch_judged > 0 &&
             static_cast<double>(r->batch_errors) / static_cast<double>(r->batch_judged) > *opt.max_error_rate) {
    std::string reason = "error rate " + std::to_string(r->batch_errors) + "/" +
                         std::to_string(r->batch_judged) + " across workers over the maximum";
    journal->stop_batch(reason);
    stop_new_work(reason);
  }
  if (opt.kickoffs_per_second > 0) {
    // --rate holds for the whole batch: each worker takes its share of it.
    const double share = opt.kickoffs_per_second / static_cast<double>(r->workers);
    kick_bucket = policy::TokenBucket(share, std::max(1.0, share));
  }
  if (no_earlier.size() != items.size()) no_earlier.assign(items.size(), nullptr);
  for (const auto& j : r->items) {
    if (j.index >= items.size()) continue;
    const std::size_t i = j.index;
    if (slots[i].phase == Phase::done) {
      // Invalid items are recorded by preflight in every worker; the claim makes it journalled once.
      if (records[i].outcome == Outcome::invalid) journal->record_final(records[i]);
      continue;
    }
    if (slots[i].phase != Phase::queued) continue;  // already this worker's (a lease renewed)
    if (stopping) continue;  // released when the journal closes
    restore_item(j, no_earlier, r->answered);  // an answered pause: its answer's run is followed
    if (slots[i].phase == Phase::queued) queue.push_back(i);
  }
  if (!r->items.empty()) {
    next_claim = now;
  } else if (r->open == 0) {
    claims_exhausted = true;
  } else {
    next_claim = now + kIdleClaimInterval;
  }
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

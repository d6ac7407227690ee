// Batch: following pauses answered from the inbox (crewctl inbox answer) when a batch resumes.
// The answer's run (a new kickoff id on the live service, else the paused one) is followed like
// any run with a kickoff id; its end replaces the paused record.
#include <algorithm>

#include "batch/scheduler.hpp"

namespace crewai {

Result<std::vector<batch::InboxEntry>> Batch::Impl::answered_pauses() {
  auto entries = journal->inbox();
  if (!entries && entries.error().code == ErrorCode::unimplemented) {
    return std::vector<batch::InboxEntry>();  // a backend without an inbox: nothing answered
  }
  return entries;
}

bool Batch::Impl::follow_answered(std::size_t i, const batch::JournalItem& j,
                                  const std::vector<batch::InboxEntry>& answered) {
  if (!j.final_record || j.final_record->outcome != Outcome::paused) return false;
  auto it = std::find_if(answered.begin(), answered.end(), [&](const batch::InboxEntry& e) {
    return e.record.index == i && e.answer && e.answer->answered_at && !e.answer->kickoff_id.empty() &&
           e.answer->paused_kickoff_id == j.final_record->kickoff_id;
  });
  if (it == answered.end()) return false;
  Slot& s = slots[i];
  s.kickoff_ids = j.final_record->kickoff_ids;
  if (s.kickoff_ids.empty() || s.kickoff_ids.back() != it->answer->kickoff_id) {
    s.kickoff_ids.push_back(it->answer->kickoff_id);
  }
  s.started_at = j.final_record->started_at;
  s.phase = Phase::running;
  ++in_flight;
  start_wait(i, it->answer->kickoff_id, clock->now());
  return true;
}

}  // namespace crewai

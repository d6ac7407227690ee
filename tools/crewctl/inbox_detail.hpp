// crewctl/inbox_detail.hpp — what inbox list/show and inbox answer share.
#pragma once

#include <string>
#include <vector>

#include "batch/journal.hpp"

namespace crewctl {

// The paused items of the journal at `path` (read without its lock); errors name --journal.
crewai::Result<std::vector<crewai::batch::InboxEntry>> read_inbox(const std::string& path);
// "open", "sent, outcome unknown", "approved -> <kickoff id>".
std::string answer_state(const crewai::batch::InboxEntry& e);

}  // namespace crewctl

// crewctl/inbox_detail.hpp — what inbox list/show and inbox answer share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "batch/journal.hpp"

namespace crewctl {

struct InboxArgs;

// The journal --journal names: a SQLite file (`answer`: with its lock, one answerer at a time; else
// read beside a running batch) or a postgresql:// URI attached to the --batch (or only) batch.
// Errors name --journal; a URI's password is never shown (Journal::path() is the name to print).
crewai::Result<std::unique_ptr<crewai::batch::Journal>> open_inbox_journal(const InboxArgs& a, bool answer);
// "open", "sent, outcome unknown", "approved -> <kickoff id>".
std::string answer_state(const crewai::batch::InboxEntry& e);

}  // namespace crewctl

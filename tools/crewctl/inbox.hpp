// crewctl/inbox.hpp — `crewctl inbox list|show|answer`: the paused items of a batch journal.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"

namespace crewctl {

struct InboxArgs {
  std::string journal;   // a file (SQLite) or a postgresql:// URI (shared journal)
  std::string batch_id;  // shared journal holding several batches: which one
  std::vector<std::size_t> indexes;  // show: one; answer: these (or --all)
  bool all = false;
  std::string feedback, feedback_file;
  bool approve = false, reject = false;
  bool resend = false;  // answer again pauses whose earlier answer has an unknown outcome
};

int cmd_inbox_list(const GlobalFlags& g, const InboxArgs& a);
int cmd_inbox_show(const GlobalFlags& g, const InboxArgs& a);
int cmd_inbox_answer(const GlobalFlags& g, const InboxArgs& a);

}  // namespace crewctl

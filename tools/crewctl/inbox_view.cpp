// `crewctl inbox list` and `inbox show`: reading a journal's paused items, beside a batch that may
// be running on it (a reader needs no lock).
#include <filesystem>
#include <iostream>

#include "batch/journal.hpp"
#include "batch/unix_time.hpp"
#include "inbox.hpp"
#include "inbox_detail.hpp"
#include "output.hpp"
#include "shared_journal.hpp"

namespace crewctl {

using crewai::ErrorCode;
using crewai::Json;
using crewai::make_error;

crewai::Result<std::unique_ptr<crewai::batch::Journal>> open_inbox_journal(const InboxArgs& a, bool answer) {
  if (a.journal.empty()) return make_error(ErrorCode::invalid_argument, "--journal is required");
  if (is_shared_journal(a.journal)) {
    auto j = open_shared_batch(a.journal, a.batch_id);
    if (!j) return tl::unexpected(j.error());
    return std::unique_ptr<crewai::batch::Journal>(std::move(*j));
  }
  if (!a.batch_id.empty()) {
    return make_error(ErrorCode::invalid_argument, "--batch only applies to a shared journal (postgresql://...)");
  }
  if (!std::filesystem::exists(a.journal)) {
    return make_error(ErrorCode::invalid_argument, "--journal: there is no journal at " + a.journal);
  }
  crewai::batch::SqliteJournalOptions o;
  o.reader = !answer;
  return crewai::batch::open_sqlite_journal(a.journal, o);
}

namespace {

// The paused items and the journal's printable name.
crewai::Result<std::vector<crewai::batch::InboxEntry>> read_inbox(const InboxArgs& a, std::string& shown) {
  auto j = open_inbox_journal(a, false);
  if (!j) return tl::unexpected(j.error());
  shown = (*j)->path();
  return (*j)->inbox();
}

}  // namespace

std::string answer_state(const crewai::batch::InboxEntry& e) {
  if (!e.answer) return "open";
  if (!e.answer->answered_at) return "sent, outcome unknown";
  return std::string(e.answer->approve ? "approved" : "rejected") + " -> " + e.answer->kickoff_id;
}

Json entry_to_json(const crewai::batch::InboxEntry& e, bool whole_output) {
  const auto& r = e.record;
  std::string output = r.pause_task_output.value_or("");
  if (!whole_output && output.size() > 80) output = output.substr(0, 77) + "...";
  Json j = {{"index", r.index},
            {"id", r.id},
            {"kickoff_id", r.kickoff_id},
            {"task_id", r.pause_task_id ? Json(*r.pause_task_id) : Json()},
            {"callback_url", r.pause_callback_url ? Json(*r.pause_callback_url) : Json()},
            {whole_output ? "task_output" : "output_excerpt", output},
            {"paused_at", r.finished_at ? Json(*r.finished_at) : Json()},
            {"age_seconds", r.finished_at ? Json(crewai::batch::unix_now() - *r.finished_at) : Json()},
            {"answer", answer_state(e)}};
  if (e.answer && e.answer->answered_at) j["answered_kickoff_id"] = e.answer->kickoff_id;
  return j;
}

int cmd_inbox_list(const GlobalFlags& g, const InboxArgs& a) {
  std::string shown;
  auto entries = read_inbox(a, shown);
  if (!entries) return print_error(entries.error(), g.json), exit_code_for(entries.error());
  if (g.json) {
    Json list = Json::array();
    for (const auto& e : *entries) list.push_back(entry_to_json(e, false));
    print_json({{"inbox", list}});
    return kExitOk;
  }
  if (entries->empty()) {
    std::cout << "no paused items in " << shown << "\n";
    return kExitOk;
  }
  for (const auto& e : *entries) {
    Json j = entry_to_json(e, false);
    std::string excerpt = j["output_excerpt"].get<std::string>();
    for (char& c : excerpt) if (c == '\n') c = ' ';
    std::cout << "#" << e.record.index << (e.record.id.empty() ? "" : " (" + e.record.id + ")")
              << "  run " << e.record.kickoff_id << "  task " << e.record.pause_task_id.value_or("?")
              << "  " << (j["age_seconds"].is_number() ? format_seconds(j["age_seconds"].get<double>()) + " ago" : "")
              << "  [" << j["answer"].get<std::string>() << "]\n    " << excerpt << "\n";
  }
  std::cout << entries->size() << " paused; answer with: crewctl inbox answer --journal " << shown
            << " INDEX... --feedback TEXT --approve\n";
  return kExitOk;
}

int cmd_inbox_show(const GlobalFlags& g, const InboxArgs& a) {
  std::string shown;
  auto entries = read_inbox(a, shown);
  if (!entries) return print_error(entries.error(), g.json), exit_code_for(entries.error());
  for (const auto& e : *entries) {
    if (a.indexes.empty() || e.record.index != a.indexes.front()) continue;
    Json j = entry_to_json(e, true);
    if (g.json) {
      print_json(j);
      return kExitOk;
    }
    std::cout << "item:       #" << e.record.index << (e.record.id.empty() ? "" : " (" + e.record.id + ")") << "\n"
              << "run:        " << e.record.kickoff_id << "\n"
              << "task:       " << e.record.pause_task_id.value_or("?") << "\n";
    if (e.record.pause_callback_url) std::cout << "callback:   " << *e.record.pause_callback_url << "\n";
    std::cout << "answer:     " << j["answer"].get<std::string>() << "\n"
              << "output:\n" << e.record.pause_task_output.value_or("") << "\n";
    return kExitOk;
  }
  auto err = make_error(ErrorCode::invalid_argument,
                        "item " + (a.indexes.empty() ? std::string("?") : std::to_string(a.indexes.front())) +
                            " is not paused in " + shown + " (crewctl inbox list shows the paused ones)");
  print_error(err.value(), g.json);
  return kExitUsage;
}

}  // namespace crewctl

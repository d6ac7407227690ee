// `crewctl inbox answer`: answers paused items, each at most once.
//
// An answer's intent is made durable before it is sent and its outcome right after (journal.hpp),
// one item at a time, so that a process killed midway leaves at most the item in hand with an
// unknown outcome. A rerun skips answered items and asks GET /status about that one: a run no
// longer paused took the answer; one still paused did not and is answered now. Only a run the
// deployment hides (a live crew reads NOT FOUND while it waits, and after) stays unknown, and is
// sent again only with --resend.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "batch/journal.hpp"
#include "batch/unix_time.hpp"
#include "connection.hpp"
#include "inbox.hpp"
#include "inbox_detail.hpp"
#include "output.hpp"
#include "protocol/json_util.hpp"
#include "signals.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::Json;
using crewai::make_error;
using crewai::batch::InboxAnswer;
using crewai::batch::InboxEntry;

struct Feedback {
  std::string text;
  bool approve = true;
};

// --feedback-file: JSONL lines {"index": N | "id": "ID", "feedback": "...", "approve": true|false}.
crewai::Result<std::map<std::string, Feedback>> read_feedback_file(const std::string& path, bool approve) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::invalid_argument, "--feedback-file: cannot read " + path);
  std::map<std::string, Feedback> out;  // "#<index>" or the id
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (crewai::protocol::trim(line).empty()) continue;
    auto where = "--feedback-file " + path + " line " + std::to_string(n);
    auto j = crewai::protocol::parse_json(line);
    if (!j || !j->is_object()) return make_error(ErrorCode::invalid_argument, where + ": not a JSON object");
    auto text = crewai::protocol::get_string(*j, "feedback");
    if (!text) return make_error(ErrorCode::invalid_argument, where + ": needs a string \"feedback\"");
    Feedback f{*text, approve};
    if (auto a = j->find("approve"); a != j->end() && a->is_boolean()) f.approve = a->get<bool>();
    if (auto index = crewai::protocol::get_int(*j, "index"); index && *index >= 0) {
      out["#" + std::to_string(*index)] = f;
    } else if (auto id = crewai::protocol::get_string(*j, "id"); id && !id->empty()) {
      out[*id] = f;
    } else {
      return make_error(ErrorCode::invalid_argument, where + ": needs \"index\" or \"id\"");
    }
  }
  return out;
}

enum class Done { answered, already, unknown, failed };

class Answerer {
 public:
  Answerer(crewai::Client& client, crewai::batch::Journal& journal, bool resend, bool json)
      : client_(client), journal_(journal), resend_(resend), json_(json) {}

  Done answer(const InboxEntry& e, const Feedback& f) {
    InboxAnswer a;
    a.index = e.record.index;
    a.paused_kickoff_id = e.record.kickoff_id;
    a.paused_at = e.record.finished_at.value_or(0);
    a.feedback = f.text;
    a.approve = f.approve;
    if (e.answer && e.answer->answered_at) return report(e, Done::already, "already answered: " + answer_state(e));
    if (e.answer) {
      auto settled = settle(e, *e.answer);
      if (settled) return *settled;
    }
    a.sent_at = crewai::batch::unix_now();
    if (auto ok = journal_.record_answer_intent(a); !ok) {
      if (ok.error().code == ErrorCode::failed_precondition) return report(e, Done::already, ok.error().message);
      return report(e, Done::failed, ok.error().message);
    }
    auto r = send(e, a);
    if (!r) {
      if (r.error().code == ErrorCode::ambiguous) {
        return report(e, Done::unknown, r.error().message + " (its outcome is unknown: a rerun checks it)");
      }
      (void)journal_.forget_answer(a);  // refused or never sent: it may be answered again
      return report(e, Done::failed, r.error().to_string());
    }
    a.answered_at = crewai::batch::unix_now();
    a.kickoff_id = r->kickoff_id.empty() ? e.record.kickoff_id : r->kickoff_id;
    a.status = r->status.empty() ? "answered" : r->status;
    if (auto ok = journal_.record_answer(a); !ok) return report(e, Done::failed, ok.error().message);
    return report(e, Done::answered, (a.approve ? "approved; the run goes on as " : "rejected; the run goes on as ") + a.kickoff_id);
  }

  Json results() const { return results_; }

 private:
  crewai::Result<crewai::ResumeResponse> send(const InboxEntry& e, const InboxAnswer& a) {
    if (e.record.pause_callback_url) {
      crewai::FlowAnswer fa;
      fa.callback_url = *e.record.pause_callback_url;
      fa.feedback = a.feedback;
      return client_.answer_flow(fa);
    }
    if (!e.record.pause_task_id) {
      return make_error(ErrorCode::failed_precondition,
                        "its task id is unknown (the human-input webhook was not received: run the "
                        "batch with --listen)");
    }
    crewai::ResumeRequest req;
    req.execution_id = e.record.kickoff_id;
    req.task_id = *e.record.pause_task_id;
    req.human_feedback = a.feedback;
    req.is_approve = a.approve;
    return client_.resume(req);
  }

  // An earlier answer with an unknown outcome: GET /status decides when it can.
  std::optional<Done> settle(const InboxEntry& e, InboxAnswer earlier) {
    auto s = client_.status(e.record.kickoff_id);
    // Paused on the same task after an approval: the approval never took. After a rejection the
    // task runs again and pauses on the same task either way, so that stays unknown.
    bool same_pause = s && s->state == crewai::RunState::paused &&
                      (!s->pause_task_id || !e.record.pause_task_id || s->pause_task_id == e.record.pause_task_id);
    if (same_pause && earlier.approve) {
      if (auto ok = journal_.forget_answer(earlier); !ok) return report(e, Done::failed, ok.error().message);
      return std::nullopt;  // the answer never took: send it now
    }
    if (s && s->state != crewai::RunState::not_found && !same_pause) {
      earlier.answered_at = crewai::batch::unix_now();
      earlier.kickoff_id = e.record.kickoff_id;
      earlier.status = "answered (the run was " + std::string(crewai::to_string(s->state)) + ")";
      if (auto ok = journal_.record_answer(earlier); !ok) return report(e, Done::failed, ok.error().message);
      return report(e, Done::already, "the earlier answer took: the run is " + std::string(crewai::to_string(s->state)));
    }
    if (resend_) {
      if (auto ok = journal_.forget_answer(earlier); !ok) return report(e, Done::failed, ok.error().message);
      return std::nullopt;
    }
    return report(e, Done::unknown,
                  "an earlier answer was sent and its outcome is unknown (the deployment does not show "
                  "the run); not sent again. Check the run, then add --resend to send it anyway");
  }

  Done report(const InboxEntry& e, Done d, const std::string& message) {
    static const char* kNames[] = {"answered", "already_answered", "unknown", "failed"};
    results_.push_back({{"index", e.record.index}, {"id", e.record.id}, {"kickoff_id", e.record.kickoff_id},
                        {"result", kNames[static_cast<int>(d)]}, {"message", message}});
    if (!json_) std::cerr << "#" << e.record.index << ": " << message << "\n";
    return d;
  }

  crewai::Client& client_;
  crewai::batch::Journal& journal_;
  bool resend_, json_;
  Json results_ = Json::array();
};

crewai::Result<void> check_args(const InboxArgs& a) {
  if (a.all == !a.indexes.empty()) return make_error(ErrorCode::invalid_argument, "give INDEX... or --all (not both)");
  if (a.approve == a.reject) return make_error(ErrorCode::invalid_argument, "give exactly one of --approve and --reject");
  if (a.feedback.empty() && a.feedback_file.empty()) {
    return make_error(ErrorCode::invalid_argument, "give --feedback TEXT or --feedback-file FILE");
  }
  return {};
}

}  // namespace

int cmd_inbox_answer(const GlobalFlags& g, const InboxArgs& a) {
  auto fail = [&g](const crewai::Error& e) {
    print_error(e, g.json);
    return exit_code_for(e);
  };
  if (auto ok = check_args(a); !ok) return fail(ok.error());
  std::map<std::string, Feedback> per_item;
  if (!a.feedback_file.empty()) {
    auto f = read_feedback_file(a.feedback_file, a.approve);
    if (!f) return fail(f.error());
    per_item = std::move(*f);
  }
  auto journal = open_inbox_journal(a, true);
  if (!journal) return fail(journal.error());
  auto conn = connect(g);
  if (!conn) return fail(conn.error());
  auto id = (*journal)->identity();
  if (!id) return fail(id.error());
  std::string here = crewai::batch::journal_safe_url((*conn)->client->options().base_url);
  if (*id && (*id)->deployment_url != here) {
    return fail(make_error(ErrorCode::invalid_argument, "journal " + (*journal)->path() + " belongs to deployment " +
                                                            (*id)->deployment_url + ", not " + here).value());
  }
  auto entries = (*journal)->inbox();
  if (!entries) return fail(entries.error());
  std::map<std::size_t, const InboxEntry*> paused;
  for (const auto& e : *entries) paused[e.record.index] = &e;
  for (auto i : a.indexes) {
    if (!paused.count(i)) {
      return fail(make_error(ErrorCode::invalid_argument, "item " + std::to_string(i) + " is not paused in " +
                                                              (*journal)->path() + " (crewctl inbox list shows the paused ones)").value());
    }
  }
  InterruptWatcher watcher([](int) {});  // Ctrl-C: stop after the item in hand, never inside a POST
  Answerer answerer(*(*conn)->client, **journal, a.resend, g.json);
  std::size_t counts[4] = {};
  std::size_t skipped = 0;
  for (const auto& e : *entries) {
    if (watcher.count() > 0) break;
    if (!a.all && std::find(a.indexes.begin(), a.indexes.end(), e.record.index) == a.indexes.end()) continue;
    Feedback f{a.feedback, a.approve};
    if (auto it = per_item.find("#" + std::to_string(e.record.index)); it != per_item.end()) f = it->second;
    else if (auto by_id = per_item.find(e.record.id); !e.record.id.empty() && by_id != per_item.end()) f = by_id->second;
    else if (a.feedback.empty()) {
      ++skipped;  // not in --feedback-file and no --feedback for the rest
      continue;
    }
    ++counts[static_cast<int>(answerer.answer(e, f))];
  }
  bool interrupted = watcher.count() > 0;
  Json summary = {{"answered", counts[0]}, {"already_answered", counts[1]}, {"unknown", counts[2]},
                  {"failed", counts[3]}, {"skipped", skipped}, {"interrupted", interrupted}};
  if (g.json) {
    print_json({{"answers", answerer.results()}, {"summary", summary}});
  } else if (!g.quiet) {
    std::cerr << "inbox: " << counts[0] << " answered, " << counts[1] << " already answered, " << counts[2]
              << " unknown, " << counts[3] << " failed" << (skipped ? ", " + std::to_string(skipped) + " without feedback" : "")
              << ". Follow the answered runs: crewctl batch FILE --journal " << (*journal)->path() << " --resume\n";
  }
  if (interrupted) return kExitInterrupted;
  return counts[2] + counts[3] > 0 ? kExitCallError : kExitOk;
}

}  // namespace crewctl

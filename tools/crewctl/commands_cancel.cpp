// `crewctl cancel ID...`: POST /stop/{id} for each run (all at once), then optionally follow each
// stopped run until it reads REVOKED. A run that had already ended is a result, not an error.
#include <future>
#include <iostream>
#include <stop_token>

#include "commands.hpp"
#include "connection.hpp"
#include "output.hpp"
#include "signals.hpp"

namespace crewctl {
namespace {

using crewai::Json;

// The first of 130, 5, 4 wins (see the exit-code order in `crewctl --help`).
int worse(int a, int b) {
  for (int code : {int(kExitInterrupted), int(kExitCallError), int(kExitTimeout)}) {
    if (a == code || b == code) return code;
  }
  return a != kExitOk ? a : b;
}

Json cancel_to_json(const crewai::CancelResult& r) {
  return {{"kickoff_id", r.kickoff_id},
          {"stopped", r.stopped},
          {"state", r.state ? Json(std::string(crewai::to_string(*r.state))) : Json()},
          {"raw_state", r.raw_state},
          {"message", r.message}};
}

// Follows a stopped run to its end; returns the exit code for it and fills `out`.
int follow_stop(crewai::Client& client, const std::string& id, std::optional<crewai::Millis> deadline,
                std::stop_token stop, Json& out, bool json) {
  crewai::WaitOptions w;
  w.deadline = deadline;
  w.stop = std::move(stop);
  auto r = client.wait(id, std::move(w));
  if (!r) {
    out["error"] = error_to_json(r.error());
    if (!json) print_error(r.error(), false);
    return exit_code_for(r.error());
  }
  out["final_state"] = std::string(crewai::to_string(r->state));
  if (!json) std::cout << id << ": now " << crewai::to_string(r->state) << "\n";
  return kExitOk;
}

}  // namespace

int cmd_cancel(const GlobalFlags& g, const CancelArgs& a) {
  std::optional<crewai::Millis> deadline;
  if (!a.follow.deadline.empty()) {
    deadline = parse_duration(a.follow.deadline);
    if (!deadline) {
      print_error(crewai::make_error(crewai::ErrorCode::invalid_argument,
                                     "--deadline: expected a duration like 90, 90s, 5m or 2h, got \"" +
                                         a.follow.deadline + "\"")
                      .value(),
                  g.json);
      return kExitUsage;
    }
  }
  auto conn = connect(g);
  if (!conn) {
    print_error(conn.error(), g.json);
    return exit_code_for(conn.error());
  }
  crewai::Client& client = *(*conn)->client;
  std::vector<crewai::Pending<crewai::CancelResult>> pending;
  for (const auto& id : a.kickoff_ids) pending.push_back(client.cancel_async(id));
  std::stop_source stop;
  InterruptWatcher watcher([&stop](int) { stop.request_stop(); });
  int code = kExitOk;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const std::string& id = a.kickoff_ids[i];
    auto r = pending[i].get();
    Json line = {{"kickoff_id", id}};
    if (!r) {
      crewai::Error e = r.error();
      if (e.kickoff_id.empty()) e.kickoff_id = id;
      line["error"] = error_to_json(e);
      if (!g.json) print_error(e, false);
      code = worse(code, exit_code_for(e));
    } else {
      line = cancel_to_json(*r);
      if (!g.json) {
        std::cout << id << ": "
                  << (r->stopped ? std::string("stopped")
                                 : "had already ended: " + (r->raw_state.empty() ? r->message : r->raw_state))
                  << "\n";
      }
      if (r->stopped && a.wait) code = worse(code, follow_stop(client, id, deadline, stop.get_token(), line, g.json));
    }
    if (g.json) print_json(line);
  }
  return code;
}

}  // namespace crewctl

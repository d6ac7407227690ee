// --listen: the receiver's life in one command.
#include "listen.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "protocol/json_util.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;

constexpr std::chrono::seconds kPauseDetailsGrace{5};
constexpr std::chrono::seconds kEventsTailGrace{2};  // --events-out: the last events of ended runs

crewai::Result<std::string> flow_secret(const ListenArgs& a) {
  if (a.flow_secret_file.empty()) {
    const char* env = std::getenv("CREWAI_FLOW_SECRET");
    return std::string(env ? env : "");
  }
  std::ifstream in(a.flow_secret_file);
  if (!in) return make_error(ErrorCode::invalid_argument, "--flow-secret-file: cannot read " + a.flow_secret_file);
  std::string secret;
  std::getline(in, secret);
  secret = std::string(crewai::protocol::trim(secret));
  if (secret.empty()) return make_error(ErrorCode::invalid_argument, "--flow-secret-file " + a.flow_secret_file + " is empty");
  return secret;
}

}  // namespace

crewai::Result<void> check_listen_flags(const ListenArgs& a, const WebhookArgs* hooks,
                                        const RunHookArgs* run_hooks) {
  if (a.listen.empty()) {
    const char* orphan = !a.public_url.empty()         ? "--public-url"
                         : !a.flow_secret_file.empty() ? "--flow-secret-file"
                         : !a.events_out.empty()       ? "--events-out"
                                                       : nullptr;
    if (orphan) return make_error(ErrorCode::invalid_argument, std::string(orphan) + " needs --listen HOST:PORT");
    return {};
  }
  bool by_hand = (hooks && (!hooks->task_url.empty() || !hooks->crew_url.empty())) ||
                 (run_hooks && (!run_hooks->human_webhook.empty() || !run_hooks->events_webhook.empty()));
  if (by_hand) {
    return make_error(ErrorCode::invalid_argument,
                      "--listen sets the task, crew, human-input and events webhooks itself: drop "
                      "--task-webhook-url/--crew-webhook-url/--human-input-webhook/--events-webhook");
  }
  if (!a.public_url.empty() && a.public_url.rfind("http://", 0) != 0 && a.public_url.rfind("https://", 0) != 0) {
    return make_error(ErrorCode::invalid_argument, "--public-url must start with http:// or https://");
  }
  return {};
}

crewai::Result<std::unique_ptr<Receiver>> start_listening(const ListenArgs& a,
                                                          const std::vector<std::string>& events,
                                                          bool realtime, crewai::Client* client,
                                                          bool quiet) {
  if (a.listen.empty()) return std::unique_ptr<Receiver>();
  auto secret = flow_secret(a);
  if (!secret) return tl::unexpected(secret.error());
  ReceiverOptions o;
  o.listen = a.listen;
  o.public_url = a.public_url;
  o.flow_secret = std::move(*secret);
  o.stream_events = !events.empty() || !a.events_out.empty();
  for (const auto& e : events) {
    if (!e.empty() && e != "all") o.event_types.push_back(e);
  }
  o.events_realtime = realtime;
  o.quiet = quiet;
  auto rx = Receiver::start(std::move(o), client);
  if (!rx) return tl::unexpected(rx.error());
  if (!quiet) std::cerr << "crewctl: listening for webhooks on " << (*rx)->address() << "\n";
  return rx;
}

Followed follow_listening(crewai::Client& client, Receiver& rx, const std::string& id,
                          crewai::WaitOptions w) {
  // The caller's stop (Ctrl-C) and the webhook both end the wait; `heard` tells them apart.
  // Shared: the receiver may still be running the watch callback after unwatch().
  auto local = std::make_shared<std::stop_source>();
  std::stop_callback link(w.stop, [local] { local->request_stop(); });
  auto heard = std::make_shared<std::atomic<bool>>(false);
  rx.watch(id, [heard, local](crewai::PauseNotice) {
    *heard = true;
    local->request_stop();
  });
  w.stop = local->get_token();
  w.human_input_webhook = true;
  Followed f{client.wait(id, std::move(w)), {}};
  rx.unwatch(id);
  bool cancelled = !f.run && f.run.error().code == ErrorCode::cancelled;
  if (cancelled && *heard) {
    crewai::RunResult p;
    p.kickoff_id = id;
    p.state = crewai::RunState::paused;
    p.raw_state = "PAUSED";
    p.message = "waiting for human input (reported by the human-input webhook)";
    p.finished_at = std::chrono::system_clock::now();
    f.run = std::move(p);
  }
  if (f.run && f.run->is_paused()) {
    auto n = rx.desk().await_pause(id, std::chrono::steady_clock::now() + kPauseDetailsGrace);
    if (n) {
      if (!n->task_id.empty()) f.run->pause_task_id = n->task_id;
      if (!n->task_output.empty()) f.run->pause_task_output = n->task_output;
      f.callback_url = n->callback_url;
    }
  }
  return f;
}

void finish_listening(Receiver& rx, const ListenArgs& a,
                      const std::map<std::string, std::pair<std::size_t, std::string>>& items,
                      bool quiet) {
  quiet = quiet || rx.quiet();
  if (!a.events_out.empty()) {
    // Runs that ended but whose last events are still on their way get a short grace; a paused or
    // abandoned run streams no end and costs at most the grace.
    std::vector<std::string> runs;
    for (const auto& [run, item] : items) runs.push_back(run);
    rx.desk().await_run_ends(runs, std::chrono::steady_clock::now() + kEventsTailGrace);
    std::ofstream out(a.events_out, std::ios::trunc);
    std::size_t n = 0;
    for (const auto& [run, events] : rx.desk().events()) {
      auto item = items.find(run);
      for (const auto& e : events) {
        crewai::Json line = {{"index", item != items.end() ? crewai::Json(item->second.first) : crewai::Json()},
                             {"id", item != items.end() ? crewai::Json(item->second.second) : crewai::Json()},
                             {"execution_id", e.execution_id},
                             {"event", {{"id", e.id}, {"type", e.type}, {"timestamp", e.timestamp}, {"data", e.data}}}};
        out << crewai::protocol::dump_json(line) << "\n";
        ++n;
      }
    }
    if (!out) std::cerr << "crewctl: cannot write --events-out " << a.events_out << "\n";
    else if (!quiet) std::cerr << "crewctl: " << n << " events written to " << a.events_out << "\n";
  }
  if (quiet) return;
  crewai::Json c = rx.desk().counts();
  auto total = [](const crewai::Json& m) {
    std::uint64_t t = 0;
    std::string parts;
    for (const auto& [k, v] : m.items()) {
      t += v.get<std::uint64_t>();
      parts += (parts.empty() ? "" : ", ") + k + " " + std::to_string(v.get<std::uint64_t>());
    }
    return std::to_string(t) + (parts.empty() ? "" : " (" + parts + ")");
  };
  std::cerr << "crewctl: webhooks: " << total(c["accepted"]) << " accepted, " << total(c["rejected"])
            << " refused\n";
}

}  // namespace crewctl

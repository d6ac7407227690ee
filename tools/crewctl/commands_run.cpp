// Single-run commands: inputs, kickoff, status, wait, resume.
#include <fstream>
#include <iostream>
#include <sstream>
#include <stop_token>

#include "commands.hpp"
#include "connection.hpp"
#include "listen.hpp"
#include "output.hpp"
#include "protocol/json_util.hpp"
#include "signals.hpp"
#include "validate.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::Json;
using crewai::make_error;
using crewai::Result;

int fail(const crewai::Error& e, bool json) {
  print_error(e, json);
  return exit_code_for(e);
}

// Ctrl-C (or SIGTERM) for a single-run command: the call in flight is aborted at once (exit 130).
struct Interrupt {
  std::stop_source source;
  InterruptWatcher watcher{[this](int) { source.request_stop(); }};
  std::stop_token token() const { return source.get_token(); }
  bool happened() const { return source.stop_requested(); }
};

// A call that ended in error: when the user interrupted it, exit 130 and say what is known.
int fail_call(const crewai::Error& e, bool json, const Interrupt& in) {
  if (!in.happened()) return fail(e, json);
  if (e.code == ErrorCode::ambiguous) {
    std::cerr << "crewctl: interrupted while the request was out, so its outcome is unknown "
                 "(ambiguous): "
              << e.message
              << ". Check the deployment before sending it again; crewctl did not retry it.\n";
  } else {
    std::cerr << "crewctl: interrupted\n";
  }
  if (json) print_json({{"error", error_to_json(e)}, {"interrupted", true}});
  return kExitInterrupted;
}

Result<Json> parse_json_arg(const std::string& text, const char* flag) {
  std::string body = text;
  if (!text.empty() && text[0] == '@') {
    std::ifstream in(text.substr(1));
    if (!in) {
      return make_error(ErrorCode::invalid_argument,
                        std::string(flag) + ": cannot read " + text.substr(1));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  auto j = crewai::protocol::parse_json(body);
  if (!j) {
    return make_error(
        ErrorCode::invalid_argument,
        std::string(flag) + " must be a JSON object (not valid JSON: " + j.error() + ")");
  }
  if (!j->is_object()) {
    return make_error(ErrorCode::invalid_argument, std::string(flag) + " must be a JSON object");
  }
  return std::move(*j);
}

Result<crewai::KickoffRequest> build_kickoff(const KickoffArgs& a) {
  crewai::KickoffRequest req;
  if (!a.inputs.empty()) {
    auto j = parse_json_arg(a.inputs, "--inputs");
    if (!j) return tl::unexpected(j.error());
    req.inputs = std::move(*j);
  }
  for (const auto& pair : a.pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(ErrorCode::invalid_argument, "-i expects key=value, got \"" + pair + "\"");
    }
    req.inputs[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  if (!a.meta.empty()) {
    auto j = parse_json_arg(a.meta, "--meta");
    if (!j) return tl::unexpected(j.error());
    req.meta = std::move(*j);
  }
  req.task_webhook_url = a.hooks.task_url;
  req.step_webhook_url = a.hooks.step_url;
  req.crew_webhook_url = a.hooks.crew_url;
  if (auto ok = apply_run_hooks(a.run_hooks, req.human_input_webhook, req.webhooks); !ok)
    return tl::unexpected(ok.error());
  req.restore_from_state_id = a.restore_from_state_id;
  return req;
}

Result<std::optional<crewai::Millis>> deadline_of(const FollowArgs& a) {
  if (a.deadline.empty()) return std::optional<crewai::Millis>{};
  auto d = parse_deadline(a.deadline, "--deadline");
  if (!d) return tl::unexpected(d.error());
  return std::optional<crewai::Millis>(*d);
}

constexpr crewai::Millis kWaitNotFoundGrace{10'000};

// Follows a run to a stop; Ctrl-C ends the wait (the run itself goes on) with exit 130.
// `resume` (a crew's ResumeRequest) follows the run the resume carries on under, which on the live
// service has a new kickoff id.
int follow(Connection& c, const std::string& id, const FollowArgs& a, bool json,
           const Interrupt& in,
           std::optional<std::chrono::system_clock::time_point> kicked_off = {},
           bool human_input_webhook = false, const crewai::ResumeRequest* resume = nullptr,
           Receiver* rx = nullptr) {
  auto deadline = deadline_of(a);
  if (!deadline) return fail(deadline.error(), json);
  crewai::WaitOptions w;
  w.deadline = *deadline;
  w.stop = in.token();
  if (!kicked_off) {
    // The run was kicked off earlier (wait ID, resume --wait): a NOT FOUND is tolerated for
    // kWaitNotFoundGrace from now (a kickoff of a moment ago may not show yet), not the client's
    // full grace after a kickoff, so that a mistyped id fails in seconds (docs/cli.md).
    auto grace = c.client->options().poll.not_found_grace;
    w.kicked_off_at = std::chrono::steady_clock::now() - std::max(grace - kWaitNotFoundGrace,
                                                                  crewai::Millis(0));
  }
  w.human_input_webhook = human_input_webhook;
  std::string callback_url;
  Result<crewai::RunResult> r = crewai::RunResult{};
  if (rx) {
    auto f = follow_listening(*c.client, *rx, id, std::move(w));
    r = std::move(f.run);
    callback_url = std::move(f.callback_url);
    if (r && resume) r->resumed_from = resume->execution_id;
    finish_listening(*rx, a.listen, {{id, {0, ""}}}, false);
  } else {
    r = resume ? c.client->resume_and_wait(*resume, std::move(w)) : c.client->wait(id, std::move(w));
  }
  if (!r) {
    crewai::Error e = r.error();
    if (e.kickoff_id.empty()) e.kickoff_id = id;
    if (e.code == ErrorCode::cancelled) {
      std::cerr << "crewctl: interrupted; the run goes on. Follow it again with: crewctl wait " << id
                << "\n";
      if (json) print_json({{"error", error_to_json(e)}});
      return kExitInterrupted;
    }
    return fail(e, json);
  }
  if (kicked_off && !r->started_at && r->finished_at) {
    r->started_at = kicked_off;
    r->duration_seconds = std::chrono::duration<double>(*r->finished_at - *kicked_off).count();
  }
  print_run(*r, json, callback_url);
  return exit_code_for(*r);
}

}  // namespace

int cmd_inputs(const GlobalFlags& g) {
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto names = (*conn)->client->inputs(in.token());
  if (!names) return fail_call(names.error(), g.json, in);
  if (g.json) {
    print_json({{"inputs", *names}});
  } else {
    for (const auto& n : *names) std::cout << n << "\n";
  }
  return kExitOk;
}

int cmd_kickoff(const GlobalFlags& g, const KickoffArgs& a) {
  if (auto ok = check_listen_flags(a.follow.listen, &a.hooks, &a.run_hooks); !ok) return fail(ok.error(), g.json);
  if (!a.follow.listen.listen.empty() && !a.wait) {
    return fail(make_error(ErrorCode::invalid_argument, "--listen needs --wait (the receiver lives as long as the command)").value(), g.json);
  }
  RunHookArgs hooks = a.run_hooks;
  std::vector<std::string> events;
  bool realtime = hooks.events_realtime;
  if (!a.follow.listen.listen.empty()) {  // streamed to the receiver, not to --events-webhook
    std::swap(events, hooks.events);
    hooks.events_realtime = false;
  }
  KickoffArgs plain = a;
  plain.run_hooks = hooks;
  auto req = build_kickoff(plain);
  if (!req) return fail(req.error(), g.json);
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto rx = start_listening(a.follow.listen, events, realtime, (*conn)->client.get(), g.quiet);
  if (!rx) return fail(rx.error(), g.json);
  if (*rx) (*rx)->decorate(*req);
  auto kicked_off = std::chrono::system_clock::now();
  auto id = (*conn)->client->kickoff(*req, in.token());
  if (!id) return fail_call(id.error(), g.json, in);
  if (!a.wait) {
    if (g.json) print_json({{"kickoff_id", *id}});
    else std::cout << *id << "\n";
    return kExitOk;
  }
  if (!g.json && !g.quiet) std::cerr << "crewctl: kicked off " << *id << "; waiting for it\n";
  return follow(**conn, *id, a.follow, g.json, in, kicked_off, req->human_input_webhook.has_value(),
                nullptr, rx->get());
}

int cmd_status(const GlobalFlags& g, const std::string& kickoff_id) {
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto r = (*conn)->client->status(kickoff_id, in.token());
  if (!r) return fail_call(r.error(), g.json, in);
  print_run(*r, g.json);
  return r->state == crewai::RunState::not_found ? kExitCallError : kExitOk;
}

int cmd_wait(const GlobalFlags& g, const std::string& kickoff_id, const FollowArgs& a) {
  if (auto ok = check_listen_flags(a.listen, nullptr, nullptr); !ok) return fail(ok.error(), g.json);
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto rx = start_listening(a.listen, {}, false, (*conn)->client.get(), g.quiet);
  if (!rx) return fail(rx.error(), g.json);
  return follow(**conn, kickoff_id, a, g.json, in, {}, false, nullptr, rx->get());
}

namespace {

// `resume --callback-url`: POST {"feedback", "source"} to a paused flow's callback URL.
int answer_flow(const GlobalFlags& g, const ResumeArgs& a) {
  const auto& h = a.run_hooks;
  if (!a.task.empty() || a.approve || a.reject || !a.hooks.task_url.empty() ||
      !a.hooks.step_url.empty() || !a.hooks.crew_url.empty() || !h.human_webhook.empty() ||
      !h.events_webhook.empty()) {
    return fail(make_error(ErrorCode::invalid_argument,
                           "--callback-url answers a flow: --task, --approve/--reject and webhook "
                           "URLs are for crews (POST /resume)")
                    .value(),
                g.json);
  }
  if (a.callback_url.find(a.kickoff_id) == std::string::npos) {
    return fail(make_error(ErrorCode::invalid_argument,
                           "--callback-url does not name run " + a.kickoff_id +
                               ": it answers another flow. Use the callback URL of this run's "
                               "feedback request (its flow id is the kickoff id)")
                    .value(),
                g.json);
  }
  crewai::FlowAnswer answer;
  answer.callback_url = a.callback_url;
  answer.feedback = a.feedback;
  if (!a.source.empty()) answer.source = a.source;
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto r = (*conn)->client->answer_flow(answer, in.token());
  if (!r) return fail_call(r.error(), g.json, in);
  if (!a.wait) {
    if (g.json)
      print_json({{"kickoff_id", a.kickoff_id}, {"status", r->status}, {"message", r->message}});
    else
      std::cout << "resume: " << (r->status.empty() ? "answered" : r->status) << "\n";
    return kExitOk;
  }
  if (!g.json && !g.quiet) std::cerr << "crewctl: flow answered; waiting for the run\n";
  return follow(**conn, a.kickoff_id, a.follow, g.json, in);
}

}  // namespace

int cmd_resume(const GlobalFlags& g, const ResumeArgs& a) {
  if (!a.callback_url.empty()) return answer_flow(g, a);
  if (!a.source.empty()) {
    return fail(
        make_error(ErrorCode::invalid_argument, "--source needs --callback-url (flows)").value(),
        g.json);
  }
  if (a.task.empty()) {
    return fail(make_error(ErrorCode::invalid_argument,
                           "--task is required to resume a crew (a flow takes --callback-url)")
                    .value(),
                g.json);
  }
  if (a.approve == a.reject) {
    return fail(make_error(ErrorCode::invalid_argument, "give exactly one of --approve and --reject")
                    .value(),
                g.json);
  }
  if (auto ok = check_listen_flags(a.follow.listen, &a.hooks, &a.run_hooks); !ok) return fail(ok.error(), g.json);
  if (!a.follow.listen.listen.empty() && !a.wait) {
    return fail(make_error(ErrorCode::invalid_argument, "--listen needs --wait (the receiver lives as long as the command)").value(), g.json);
  }
  RunHookArgs run_hooks = a.run_hooks;
  std::vector<std::string> events;
  bool realtime = run_hooks.events_realtime;
  if (!a.follow.listen.listen.empty()) {
    std::swap(events, run_hooks.events);
    run_hooks.events_realtime = false;
  }
  crewai::ResumeRequest req;
  req.execution_id = a.kickoff_id;
  req.task_id = a.task;
  req.human_feedback = a.feedback;
  req.is_approve = a.approve;
  req.task_webhook_url = a.hooks.task_url;
  req.step_webhook_url = a.hooks.step_url;
  req.crew_webhook_url = a.hooks.crew_url;
  if (auto ok = apply_run_hooks(run_hooks, req.human_input_webhook, req.webhooks); !ok)
    return fail(ok.error(), g.json);
  Interrupt in;
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto rx = start_listening(a.follow.listen, events, realtime, (*conn)->client.get(), g.quiet);
  if (!rx) return fail(rx.error(), g.json);
  if (*rx) {
    // The resumed run gets the receiver's URLs again (nothing carries over) and is followed under
    // the id the resume answers.
    (*rx)->decorate(req);
    auto r = (*conn)->client->resume(req, in.token());
    if (!r) return fail_call(r.error(), g.json, in);
    const std::string now = r->kickoff_id.empty() ? a.kickoff_id : r->kickoff_id;
    if (!g.json && !g.quiet) std::cerr << "crewctl: resumed " << a.kickoff_id << "; following " << now << "\n";
    return follow(**conn, now, a.follow, g.json, in, std::chrono::system_clock::now(), true, &req,
                  rx->get());
  }
  if (a.wait) {
    if (!g.json && !g.quiet) std::cerr << "crewctl: resuming " << a.kickoff_id << "; waiting for the run\n";
    return follow(**conn, a.kickoff_id, a.follow, g.json, in, {}, req.human_input_webhook.has_value(),
                  &req);
  }
  auto r = (*conn)->client->resume(req, in.token());
  if (!r) return fail_call(r.error(), g.json, in);
  const std::string& now = r->kickoff_id.empty() ? a.kickoff_id : r->kickoff_id;
  if (g.json) {
    print_json({{"kickoff_id", now}, {"resumed_from", a.kickoff_id}, {"status", r->status},
                {"message", r->message}});
  } else {
    std::cout << "resume: " << (r->status.empty() ? "accepted" : r->status)
              << (r->message.empty() ? "" : ": " + r->message) << "\n";
    if (now != a.kickoff_id) {
      std::cout << "the run goes on as " << now << " (follow it: crewctl wait " << now << ")\n";
    }
  }
  return kExitOk;
}

}  // namespace crewctl

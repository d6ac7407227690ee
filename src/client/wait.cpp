// wait() and run(): the poll loop of one run, on the engine thread.
//
// A poll that fails is retried as a poll (its own retries first, then on the normal schedule, up
// to PollPolicy::max_failed_polls in a row); nothing here ever kicks a run off again. 404 / NOT
// FOUND is tolerated for the grace period after the kickoff; PAUSED ends the wait with a result.
#include <algorithm>
#include <chrono>
#include <stop_token>
#include <utility>

#include "client/impl.hpp"
#include "protocol/requests.hpp"
#include "protocol/status.hpp"

namespace crewai {
// One wait(): owned by the callbacks that refer to it (a timer or a transfer) and by its Op.
struct Waiter : std::enable_shared_from_this<Waiter> {
  Client::Impl* impl = nullptr;
  std::shared_ptr<Op> op;
  std::string id;
  Json inputs;
  WaitOptions opts;
  SteadyTime start{};
  SteadyTime kicked_off_at;
  std::optional<SteadyTime> deadline;
  int polls = 0;
  int failed_in_a_row = 0;
  int server_errors_in_a_row = 0;
  bool polling = false;  // a status request is out
  bool woken = false;    // a webhook came while it was out: poll again at once
  std::optional<Error> last_failure;
  std::optional<RunState> last_state;
  bool seen_alive = false;  // read PENDING, STARTED or RUNNING at least once
  std::function<void(Result<RunResult>)> cb;
  std::unique_ptr<std::stop_callback<std::function<void()>>> on_stop_cb;

  const PollPolicy& policy() const { return impl->options.poll; }
  Millis next_interval() { return policy().interval(polls, impl->random.uniform01()); }

  void finish(Result<RunResult> r) {
    if (op->done) return;
    impl->end_op(*op);
    forget();
    if (op->request) impl->engine.cancel(op->request);
    if (r) {
      if (r->inputs.empty() && !inputs.is_null()) r->inputs = inputs;
      r->finished_at = std::chrono::system_clock::now();
    } else {
      r.error().kickoff_id = id;
    }
    auto done = std::move(cb);
    done(std::move(r));
  }

  void fail(ErrorCode code, std::string message, bool retry_safe) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    e.retry_safe = retry_safe;
    finish(tl::unexpected(std::move(e)));
  }

  // The next poll after `delay`, or the end of the wait when the deadline has passed.
  void schedule(Millis delay) {
    auto now = impl->engine.clock().now();
    if (deadline && now >= *deadline) {
      std::string msg = "deadline passed after " + std::to_string(polls) + " polls";
      if (last_state) msg += "; last state " + std::string(to_string(*last_state));
      if (last_failure) msg += "; last error: " + last_failure->message;
      return fail(ErrorCode::deadline_exceeded, std::move(msg), true);
    }
    auto due = policy().poll_time(now, now + delay);
    if (deadline && due > *deadline) due = *deadline;
    impl->at(op, due, [self = shared_from_this()] { self->poll(); });
  }

  void failed_poll(Error e) {
    ++failed_in_a_row;
    if (failed_in_a_row >= policy().max_failed_polls || !e.retry_safe) {
      return finish(tl::unexpected(std::move(e)));
    }
    last_failure = std::move(e);
    schedule(next_interval());
  }

  // Drops this wait from the webhook registry.
  void forget() {
    auto [b, e] = impl->waiters.equal_range(id);
    for (auto it = b; it != e;) {
      auto w = it->second.lock();
      it = (!w || w.get() == this) ? impl->waiters.erase(it) : std::next(it);
    }
  }

  // A webhook named this run: poll now rather than at the next interval (at most one request out).
  void wake() {
    if (op->done) return;
    if (polling) {
      woken = true;
      return;
    }
    if (op->timer != 0) {
      impl->engine.cancel_timer(op->timer);
      op->timer = 0;
    }
    poll();
  }

  // A run seen alive that the deployment no longer shows: on the live service, a crew waiting for
  // human input (its status reads NOT FOUND, never PAUSED).
  void out_of_sight(const std::string& how) {
    if (opts.human_input_webhook) {
      RunResult r;
      r.kickoff_id = id;
      r.state = RunState::paused;
      r.raw_state = "NOT FOUND";
      r.message = "waiting for human input: run " + id + " was running and now " + how +
                  ", as a live crew does while it waits; the task id arrives on the "
                  "human-input webhook";
      return finish(std::move(r));
    }
    fail(ErrorCode::vanished,
         "run " + id + " was running and now " + how +
             ": the run stopped being visible — possibly waiting for human input (kick off with a "
             "human-input webhook to receive its task id)",
         false);
  }

  void poll() {
    polling = true;
    impl->get_status(op, id, [self = shared_from_this()](Exchange ex, Answer a) {
      self->on_answer(ex, a);
    });
  }

  // The caller's stop token ends the wait (on the engine thread, whichever thread requests it).
  void watch_stop() {
    if (!opts.stop.stop_possible()) return;
    std::weak_ptr<Waiter> weak = shared_from_this();
    std::function<void()> on_stop = [engine = &impl->engine, weak] {
      engine->post([weak] {
        if (auto self = weak.lock()) self->finish(tl::unexpected(cancelled_error()));
      });
    };
    on_stop_cb = std::make_unique<std::stop_callback<std::function<void()>>>(opts.stop,
                                                                             std::move(on_stop));
  }

  // One poll's answer, in named steps: an error answer, a body that cannot be read, or a state.
  void on_answer(const Exchange& ex, const Answer& a) {
    ++polls;
    polling = false;
    const bool wake_now = std::exchange(woken, false);
    const auto& r = a.response;
    if (r.failure != transport::Failure::none || r.status != 200) return on_error_answer(ex, a);
    // A run still going needs its state only: no DOM for most polls (read_poll).
    auto res = protocol::read_poll(
        r.body, id, opts.keep_raw ? protocol::RawBody::keep : protocol::RawBody::drop);
    if (!res) {
      Error e = res.error();
      e.retry_safe = true;  // a garbled body: read the status again
      return failed_poll(std::move(e));
    }
    on_state(std::move(*res), wake_now);
  }

  bool in_grace() const {
    return impl->engine.clock().now() - kicked_off_at < policy().not_found_grace;
  }

  // Anything but a 200: a 404 (out of sight, in grace, or unknown), too many 5xx in a row, or a
  // failed poll that the one classification says is worth another.
  void on_error_answer(const Exchange& ex, const Answer& a) {
    const auto& r = a.response;
    const bool answered = r.failure == transport::Failure::none;
    if (answered && r.status == 404) {
      if (seen_alive) return out_of_sight("answers HTTP 404");
      if (in_grace()) return schedule(next_interval());
    }
    Error e = transport_error(ex, a);
    if (answered && r.status == 404) e.message = unknown_run_message();
    if (answered && r.status >= 500 &&
        ++server_errors_in_a_row >= std::max(1, policy().max_server_errors)) {
      return finish(tl::unexpected(server_errors_in_a_row_error(std::move(e), r.status)));
    }
    // Poll again only where the one classification would retry the request (not on 501/505,
    // nor on an answer over the size cap, which would come back the same).
    e.retry_safe = protocol::classify(ex.call, outcome_of(r)).retry;
    failed_poll(std::move(e));
  }

  std::string unknown_run_message() const {
    // The grace actually given, which a caller's kicked_off_at may have shortened.
    auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(impl->engine.clock().now() - start);
    return "run " + id + " is unknown to the deployment (HTTP 404 for " +
           std::to_string(waited.count()) + " s, past the not-found grace): it was lost " +
           "or never existed";
  }

  Error server_errors_in_a_row_error(Error e, long status) const {
    e.code = ErrorCode::unavailable;
    e.retry_safe = true;
    e.message = "GET /status answered HTTP " + std::to_string(status) + " on " +
                std::to_string(server_errors_in_a_row) +
                " polls in a row: the run may have died on the deployment; stopped following "
                "it (follow it again later with its kickoff id). Last answer: " + e.message;
    return e;
  }

  // A readable state: NOT FOUND (out of sight, in grace, or unknown), an end or a pause, or a run
  // still going (the next poll).
  void on_state(RunResult res, bool wake_now) {
    failed_in_a_row = 0;
    server_errors_in_a_row = 0;
    last_state = res.state;
    if (res.state == RunState::not_found) {
      if (seen_alive) return out_of_sight("reads NOT FOUND");
      if (in_grace()) return schedule(next_interval());
      return fail(ErrorCode::not_found, not_found_message(), false);
    }
    if (stops_polling(res.state)) return finish(std::move(res));
    seen_alive = true;
    schedule(wake_now ? Millis{0} : next_interval());
  }

  std::string not_found_message() const {
    return "run " + id + " is NOT FOUND on the deployment after the grace period" +
           (opts.human_input_webhook
                ? std::string(" (a live crew that paused for human input before its first poll "
                              "reads so too: its task id then arrives on the human-input webhook)")
                : std::string());
  }
};

void Client::Impl::do_wait(std::string id, WaitOptions opts, Json inputs,
                           std::function<void(Result<RunResult>)> cb) {
  auto w = std::make_shared<Waiter>();
  w->impl = this;
  w->start = engine.clock().now();
  w->id = std::move(id);
  w->inputs = std::move(inputs);
  w->opts = std::move(opts);
  w->kicked_off_at = w->opts.kicked_off_at.value_or(w->start);
  Millis limit = w->opts.deadline.value_or(options.poll.deadline);
  if (limit.count() > 0) w->deadline = w->start + limit;
  w->cb = std::move(cb);
  w->op = start_op([w](Error e) {
    e.kickoff_id = w->id;
    auto done = std::move(w->cb);
    if (done) done(tl::unexpected(std::move(e)));
  });
  if (w->opts.stop.stop_requested()) return w->finish(tl::unexpected(cancelled_error(w->id)));
  w->watch_stop();
  waiters.emplace(w->id, w);
  // Right after a kickoff (the caller gave kicked_off_at: run(), a resume, a batch) the first poll
  // comes PollPolicy::initial after it, as documented: a run just accepted is almost never over,
  // and polling it at once cost a request per run. wait(id) on a run started elsewhere polls now,
  // and so does a run with a human-input webhook: a live crew that pauses reads NOT FOUND, and only
  // a run seen alive first is taken for paused (out_of_sight), so the early look is kept there.
  if (w->opts.kicked_off_at && !w->opts.human_input_webhook) {
    const auto first = *w->opts.kicked_off_at + w->next_interval() - engine.clock().now();
    if (first > first.zero()) return w->schedule(std::chrono::ceil<Millis>(first));
  }
  w->poll();
}

void Client::Impl::wake(const std::string& kickoff_id) {
  std::vector<std::shared_ptr<Waiter>> woken;
  auto [b, e] = waiters.equal_range(kickoff_id);
  for (auto it = b; it != e;) {
    if (auto w = it->second.lock()) {
      woken.push_back(std::move(w));
      ++it;
    } else {
      it = waiters.erase(it);
    }
  }
  for (auto& w : woken) w->wake();  // may finish (and so erase) a wait: iterate a copy
}

namespace {

std::string unknown_input_warning(const std::string& name) {
  return "input \"" + name +
         "\" is not a field of the flow's state (GET /inputs): it was sent, and the flow may "
         "ignore it";
}

Error missing_inputs_error(std::vector<std::string> missing) {
  Error e;
  e.code = ErrorCode::invalid_input;
  e.message = "missing inputs:";
  for (const auto& m : missing) e.message += " " + m;
  e.message += " (nothing was kicked off)";
  e.missing_inputs = std::move(missing);
  return e;
}

}  // namespace

void Client::Impl::do_run(KickoffRequest req, WaitOptions opts,
                          std::function<void(Result<RunResult>)> cb) {
  auto shared_req = std::make_shared<KickoffRequest>(std::move(req));
  auto kick = [this, shared_req, opts, cb](std::vector<std::string> unknown) mutable {
    auto stop = opts.stop;
    do_kickoff(*shared_req, [this, shared_req, opts, cb, unknown](Result<std::string> id) mutable {
      if (!id) return cb(tl::unexpected(id.error()));
      auto started = std::chrono::system_clock::now();
      if (!opts.kicked_off_at) opts.kicked_off_at = engine.clock().now();
      if (shared_req->human_input_webhook) opts.human_input_webhook = true;
      do_wait(*id, opts, shared_req->inputs, [cb, started, unknown](Result<RunResult> r) {
        if (r) {
          for (const auto& name : unknown) r->warnings.push_back(unknown_input_warning(name));
          r->started_at = started;
          r->duration_seconds =
              std::chrono::duration<double>(*r->finished_at - started).count();
        }
        cb(std::move(r));
      });
    }, stop);
  };
  const bool flow = options.kind == DeploymentKind::flow;
  do_inputs([shared_req, kick, cb, flow](Result<std::vector<std::string>> names) mutable {
    if (!names) return cb(tl::unexpected(names.error()));
    if (flow) return kick(protocol::unknown_inputs(*names, shared_req->inputs));
    auto missing = protocol::missing_inputs(*names, shared_req->inputs);
    if (!missing.empty()) return cb(tl::unexpected(missing_inputs_error(std::move(missing))));
    kick({});
  }, opts.stop);
}

void Client::Impl::do_resume_and_wait(ResumeRequest req, WaitOptions opts,
                                      std::function<void(Result<RunResult>)> cb) {
  if (req.human_input_webhook) opts.human_input_webhook = true;
  std::string from = req.execution_id;
  do_resume(std::move(req), [this, from, opts, cb](Result<ResumeResponse> r) mutable {
    if (!r) return cb(tl::unexpected(r.error()));
    std::string follow = r->kickoff_id.empty() ? from : r->kickoff_id;
    if (!opts.kicked_off_at) opts.kicked_off_at = engine.clock().now();
    auto started = std::chrono::system_clock::now();
    do_wait(follow, opts, Json(), [from, started, cb](Result<RunResult> run) {
      if (run) {
        run->resumed_from = from;
        run->started_at = started;
        run->duration_seconds = std::chrono::duration<double>(*run->finished_at - started).count();
      }
      cb(std::move(run));
    });
  });
}

}  // namespace crewai

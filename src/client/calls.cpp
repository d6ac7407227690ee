// The request loop (retries per the table in ARCHITECTURE.md) and the single calls.
#include <algorithm>
#include <chrono>
#include <future>
#include <random>
#include <string>

#include "client/impl.hpp"
#include "client/internal.hpp"
#include "protocol/json_util.hpp"
#include "protocol/requests.hpp"
#include "protocol/status.hpp"
#include "transport/url.hpp"

namespace crewai {
namespace {

using transport::Failure;

std::uint64_t seed_of(const ClientOptions& o) {
  if (o.random_seed) return *o.random_seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

transport::EngineOptions engine_options(const ClientOptions& o) {
  transport::EngineOptions e;
  e.max_host_connections = o.max_host_connections;
  e.user_agent = o.user_agent;
  e.ca_bundle = o.ca_bundle;
  e.clock = o.clock;
  return e;
}

// GETs and POST /stop: repeating them cannot start a run.
bool is_get(const Exchange& ex) { return !protocol::is_post(ex.call); }

std::string failure_text(const transport::Response& r) {
  switch (r.failure) {
    case Failure::connect: return "could not connect: " + r.error;
    case Failure::timeout: return "timed out: " + r.error;
    case Failure::send: return "connection failed while sending: " + r.error;
    case Failure::receive: return "connection failed while reading the answer: " + r.error;
    case Failure::too_large: return "answer too large: " + r.error;
    case Failure::cancelled: return "cancelled";
    default: return r.error.empty() ? "transport failure" : r.error;
  }
}

}  // namespace

protocol::Outcome outcome_of(const transport::Response& r) {
  protocol::Outcome o;
  switch (r.failure) {
    case Failure::none: o.delivery = protocol::Delivery::answered; break;
    case Failure::connect: o.delivery = protocol::Delivery::not_sent; break;
    case Failure::too_large: o.delivery = protocol::Delivery::too_large; break;
    case Failure::cancelled: o.delivery = protocol::Delivery::cancelled; break;
    default: o.delivery = protocol::Delivery::maybe_sent; break;
  }
  o.status = static_cast<int>(r.status);
  o.has_retry_after = r.retry_after.has_value();
  o.retry_after = r.retry_after_wait;
  return o;
}

Error cancelled_error(const std::string& kickoff_id) {
  Error e;
  e.code = ErrorCode::cancelled;
  e.message = "cancelled";
  e.kickoff_id = kickoff_id;
  e.retry_safe = true;
  return e;
}

// The error for an exchange that ended without a usable HTTP answer, or with an error status.
Error transport_error(const Exchange& ex, const Answer& a) {
  const auto& r = a.response;
  if (r.failure == Failure::cancelled) return cancelled_error(ex.kickoff_id);
  std::string attempts = a.attempts > 1 ? " (after " + std::to_string(a.attempts) + " attempts)" : "";
  Error e;
  e.kickoff_id = ex.kickoff_id;
  if (r.failure == Failure::none) {
    e = protocol::error_from_http(ex.call, static_cast<int>(r.status), r.body, ex.kickoff_id,
                                  r.retry_after.has_value());
    if (e.code == ErrorCode::ambiguous) {
      e.message = ex.method + " " + ex.path + " answered HTTP " + std::to_string(r.status) +
                  ": the request may have started a run" +
                  (e.message.empty() ? "" : " (" + e.message + ")");
    }
    if (!attempts.empty()) e.message += attempts;
    return e;
  }
  const protocol::Verdict v = protocol::classify(ex.call, outcome_of(r));
  e.code = v.code;
  e.retry_safe = v.retry_safe;
  e.message = ex.method + " " + ex.path + ": " + failure_text(r) + attempts;
  if (e.code == ErrorCode::ambiguous) e.message += "; the request may have started a run";
  return e;
}

Client::Impl::Impl(ClientOptions o)
    : options(std::move(o)), engine(engine_options(options)), random(seed_of(options)) {
  set_rate(options.max_requests_per_second);
  std::promise<std::thread::id> id;
  engine.post([&id] { id.set_value(std::this_thread::get_id()); });
  engine_thread = id.get_future().get();
}

Client::Impl::~Impl() { shutdown(); }

void Client::Impl::shutdown() {
  if (closing.exchange(true)) return;
  if (!engine.on_engine_thread()) {
    std::promise<void> drained;
    engine.post([this, &drained] {
      auto all = std::move(ops);
      ops.clear();
      for (auto& [id, op] : all) {
        if (op->done) continue;
        op->done = true;
        if (op->timer) engine.cancel_timer(op->timer);
        if (op->request) engine.cancel(op->request);
        auto fail = std::move(op->fail);
        op->fail = nullptr;
        if (fail) fail(cancelled_error());
      }
      drained.set_value();
    });
    drained.get_future().wait();
  }
  engine.shutdown();
}

void Client::Impl::dispatch(std::function<void()> fn, std::function<void()> on_closed) {
  if (closing.load()) {
    on_closed();
    return;
  }
  engine.post([this, fn = std::move(fn), on_closed = std::move(on_closed)] {
    if (closing.load() && ops.empty()) {
      on_closed();
      return;
    }
    fn();
  });
}

std::shared_ptr<Op> Client::Impl::start_op(std::function<void(Error)> fail) {
  auto op = std::make_shared<Op>();
  op->id = next_op++;
  op->fail = std::move(fail);
  ops.emplace(op->id, op);
  return op;
}

void Client::Impl::end_op(Op& op) {
  op.done = true;
  op.fail = nullptr;
  if (op.timer) engine.cancel_timer(op.timer);
  op.timer = 0;
  op.on_stop.reset();
  ops.erase(op.id);
}

void Client::Impl::watch_stop(const std::shared_ptr<Op>& op, std::stop_token stop) {
  if (!stop.stop_possible()) return;
  std::weak_ptr<Op> weak = op;
  // Runs on the thread that requests the stop (a signal watcher): only posts to the engine.
  std::function<void()> on_stop = [this, weak] {
    engine.post([this, weak] {
      if (auto alive = weak.lock()) abort_op(*alive);
    });
  };
  op->on_stop = std::make_shared<std::stop_callback<std::function<void()>>>(std::move(stop),
                                                                           std::move(on_stop));
}

void Client::Impl::abort_op(Op& op) {
  if (op.done) return;
  Error e = cancelled_error();
  if (op.request && op.post_out) {
    // The request may have reached the app: the caller must not take this as "nothing happened".
    e.code = ErrorCode::ambiguous;
    e.retry_safe = false;
    e.message = "interrupted while the request was being sent or answered; the request may have "
                "started a run";
  }
  auto request = op.request;
  auto fail = std::move(op.fail);
  end_op(op);
  if (request) engine.cancel(request);
  if (fail) fail(std::move(e));
}

std::string Client::Impl::status_path(const std::string& id) const {
  return status_path_for(id, status_route.load() == 2);
}

std::string Client::Impl::status_path_for(const std::string& id, bool alternate) const {
  std::string p = options.status_path;
  if (alternate) p = p == "/{id}/status" ? "/status/{id}" : "/{id}/status";
  return p.replace(p.find("{id}"), 4, transport::escape_segment(id));
}

void Client::Impl::after(std::shared_ptr<Op> op, Millis delay, std::function<void()> fn) {
  at(op, engine.clock().now() + delay, std::move(fn));
}

void Client::Impl::at(std::shared_ptr<Op> op, SteadyTime when, std::function<void()> fn) {
  op->timer = engine.add_timer(when, [op, fn = std::move(fn)] {
    op->timer = 0;
    if (!op->done) fn();
  });
}

struct SendLoop {
  Exchange ex;
  std::function<void(Answer)> done;
  int attempt = 1;
  SteadyTime first{};
};

void Client::Impl::send(std::shared_ptr<Op> op, Exchange ex, std::function<void(Answer)> done) {
  attempt(std::move(op),
          std::make_shared<SendLoop>(SendLoop{std::move(ex), std::move(done), 1, engine.clock().now()}));
}

void Client::Impl::set_rate(double per_second) {
  if (per_second > 0) {
    request_bucket.emplace(per_second, std::max(1.0, per_second));
  } else {
    request_bucket.reset();
  }
}

// Every attempt (first try or retry) takes a token when a request rate is set.
void Client::Impl::attempt(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop) {
  if (request_bucket) {
    auto wait = request_bucket->reserve(engine.clock().now());
    if (wait.count() > 0) {
      return after(op, std::chrono::ceil<Millis>(wait), [this, op, loop] { transmit(op, loop); });
    }
  }
  transmit(std::move(op), std::move(loop));
}

void Client::Impl::transmit(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop) {
  transport::Request req;
  req.method = loop->ex.method;
  req.url = loop->ex.url.empty() ? options.base_url + loop->ex.path : loop->ex.url;
  req.headers = {"Authorization: Bearer " + options.token, "Accept: application/json"};
  if (req.method == "POST") {
    req.headers.emplace_back("Content-Type: application/json");
    req.headers.emplace_back("Expect:");
    req.body = loop->ex.body;
    // Kickoffs, resumes and flow answers ride pooled connections but are never re-sent by curl
    // on its own; POST /stop may be (repeating it cannot start a run).
    req.refuse_resend = !is_get(loop->ex);
  }
  req.connect_timeout = options.connect_timeout;
  req.timeout = warmed.load() ? options.request_timeout : options.first_call_timeout;
  ++n_requests;
  op->post_out = req.method == "POST";
  op->request = engine.submit(std::move(req), [this, op, loop](transport::Response r) {
    op->request = 0;
    op->post_out = false;
    on_answer(op, loop, std::move(r));
  });
}

void Client::Impl::on_answer(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop,
                             transport::Response r) {
  if (r.failure == Failure::none) warmed = true;
  if (r.failure != Failure::none && r.failure != Failure::cancelled) ++n_transport;
  if (r.status == 429) ++n_429;
  if (r.status >= 500) ++n_5xx;
  std::optional<Millis> wait;
  const protocol::Verdict v = protocol::classify(loop->ex.call, outcome_of(r));
  if (!op->done && v.retry) {
    auto elapsed =
        std::chrono::duration_cast<Millis>(engine.clock().now() - loop->first);
    wait = options.retry.next_delay(loop->attempt, elapsed, v.delay, random.uniform01());
  }
  if (options.trace) {
    RequestEvent ev{.method = loop->ex.method,
                    .path = loop->ex.path,
                    .http_status = static_cast<int>(r.status),
                    .transport_error = r.failure == Failure::none ? "" : failure_text(r),
                    .attempt = loop->attempt,
                    .seconds = r.seconds,
                    .retry_in = wait};
    options.trace(ev);
  }
  if (op->done) return;
  if (wait) {
    ++n_retries;
    ++loop->attempt;
    after(op, *wait, [this, op, loop] { attempt(op, loop); });
    return;
  }
  loop->done(Answer{std::move(r), loop->attempt});
}

// One request (with its retries) whose 2xx answer `parse` turns into the result; any other
// answer becomes the error transport_error() describes.
template <class T, class Parse>
void one_call(Client::Impl& impl, Exchange ex, Parse parse, std::function<void(Result<T>)> cb,
              std::stop_token stop) {
  if (stop.stop_requested()) return cb(tl::unexpected(cancelled_error(ex.kickoff_id)));
  // The errors name the call, never its body: only the send loop keeps the body (one copy per
  // request in flight, which for a batch's kickoff burst is one per item).
  const Exchange named{.call = ex.call, .method = ex.method, .path = ex.path,
                       .kickoff_id = ex.kickoff_id, .url = ex.url};
  auto op = impl.start_op([cb, ex = named](Error e) {
    if (e.kickoff_id.empty()) e.kickoff_id = ex.kickoff_id;
    if (e.code == ErrorCode::ambiguous) e.message = ex.method + " " + ex.path + ": " + e.message;
    cb(tl::unexpected(std::move(e)));
  });
  impl.watch_stop(op, std::move(stop));
  impl.send(op, std::move(ex), [&impl, op, ex = named, parse = std::move(parse), cb](Answer a) {
    impl.end_op(*op);
    const auto& r = a.response;
    if (r.failure != transport::Failure::none || r.status < 200 || r.status >= 300) {
      return cb(tl::unexpected(transport_error(ex, a)));
    }
    Result<T> res = parse(r);
    if (!res && res.error().kickoff_id.empty()) res.error().kickoff_id = ex.kickoff_id;
    cb(std::move(res));
  });
}

void Client::Impl::do_inputs(std::function<void(Result<std::vector<std::string>>)> cb,
                             std::stop_token stop) {
  one_call<std::vector<std::string>>(
      *this, Exchange{.call = protocol::CallKind::inputs, .method = "GET", .path = "/inputs"},
      [](const transport::Response& r) { return protocol::parse_inputs_response(r.body); },
      std::move(cb), std::move(stop));
}

namespace {

// A request body as text. nlohmann refuses to serialise a string that is not UTF-8 (bytes a caller
// put into inputs); that is the caller's mistake, reported before anything is sent.
[[nodiscard]] Result<std::string> body_text(const Json& body, const char* call) {
  auto text = protocol::dump_json_checked(body);
  if (!text) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(call) + " body contains a string that is not valid UTF-8 (" +
                          text.error() + ")");
  }
  return std::move(*text);
}

}  // namespace

void Client::Impl::do_kickoff(KickoffRequest req, std::function<void(Result<std::string>)> cb,
                              std::stop_token stop) {
  const bool flow = options.kind == DeploymentKind::flow;
  if (flow) {
    if (auto problem = protocol::flow_inputs_problem(req.inputs); !problem.empty())
      return cb(make_error(ErrorCode::invalid_argument, std::move(problem)));
  }
  auto body = body_text(protocol::kickoff_body(req, flow), "kickoff");
  if (!body) return cb(tl::unexpected(std::move(body.error())));
  auto parse = [](const transport::Response& r) -> Result<std::string> {
    auto id = protocol::parse_kickoff_response(r.body);
    if (id) return id;
    // The app answered 2xx, so a run was most likely started, but we cannot tell its id.
    Error e = id.error();
    e.code = ErrorCode::ambiguous;
    e.message = "kickoff answered HTTP " + std::to_string(r.status) +
                " without a readable kickoff_id (" + e.message + ")";
    return tl::unexpected(std::move(e));
  };
  one_call<std::string>(*this,
                        Exchange{.call = protocol::CallKind::kickoff,
                                 .method = "POST",
                                 .path = "/kickoff",
                                 .body = std::move(*body)},
                        parse, std::move(cb), std::move(stop));
}

void Client::Impl::do_status(std::string id, std::function<void(Result<RunResult>)> cb,
                             std::stop_token stop) {
  if (stop.stop_requested()) return cb(tl::unexpected(cancelled_error(id)));
  auto op = start_op([cb](Error e) { cb(tl::unexpected(std::move(e))); });
  watch_stop(op, std::move(stop));
  get_status(op, id, [this, op, id, cb](Exchange ex, Answer a) {
    end_op(*op);
    const auto& r = a.response;
    if (r.failure != transport::Failure::none || r.status < 200 || r.status >= 300) {
      return cb(tl::unexpected(transport_error(ex, a)));
    }
    cb(protocol::parse_status(r.body, id));
  });
}

void Client::Impl::get_status(std::shared_ptr<Op> op, const std::string& id,
                              std::function<void(Exchange, Answer)> done) {
  Exchange ex{.call = protocol::CallKind::status, .method = "GET", .path = status_path(id),
              .kickoff_id = id};
  send(op, ex, [this, op, id, ex, done = std::move(done)](Answer a) {
    const auto& r = a.response;
    bool answered = r.failure == transport::Failure::none;
    if (answered && r.status == 200 && status_route.load() == 0) status_route = 1;
    if (!answered || !protocol::is_missing_route(static_cast<int>(r.status), r.body) ||
        status_route.load() != 0) {
      return done(ex, std::move(a));
    }
    Exchange other{.call = protocol::CallKind::status, .method = "GET",
                   .path = status_path_for(id, true), .kickoff_id = id};
    send(op, other, [this, ex, other, first = std::move(a), done](Answer b) mutable {
      const auto& rb = b.response;
      bool missing = rb.failure == transport::Failure::none &&
                     protocol::is_missing_route(static_cast<int>(rb.status), rb.body);
      if (rb.failure == transport::Failure::none && !missing) {
        int expected = 0;
        status_route.compare_exchange_strong(expected, 2);
        return done(other, std::move(b));
      }
      if (missing) {
        int expected = 0;
        status_route.compare_exchange_strong(expected, 3);
      }
      done(ex, std::move(first));
    });
  });
}

void Client::Impl::do_resume(ResumeRequest req, std::function<void(Result<ResumeResponse>)> cb,
                             std::stop_token stop) {
  auto body = body_text(protocol::resume_body(req), "resume");
  if (!body) return cb(tl::unexpected(std::move(body.error())));
  one_call<ResumeResponse>(
      *this,
      Exchange{.call = protocol::CallKind::resume,
               .method = "POST",
               .path = "/resume",
               .body = std::move(*body),
               .kickoff_id = req.execution_id},
      [](const transport::Response& r) { return protocol::parse_resume_response(r.body); },
      std::move(cb), std::move(stop));
}

void Client::Impl::do_answer_flow(FlowAnswer answer,
                                  std::function<void(Result<ResumeResponse>)> cb,
                                  std::stop_token stop) {
  auto body = body_text(protocol::flow_answer_body(answer), "flow answer");
  if (!body) return cb(tl::unexpected(std::move(body.error())));
  auto ex = client::flow_callback_exchange(options.base_url, answer.callback_url, std::move(*body));
  if (!ex) return cb(tl::unexpected(std::move(ex.error())));
  // A 2xx means the feedback was taken, whatever the body says: never report it as a failure.
  auto parse = [](const transport::Response& r) -> Result<ResumeResponse> {
    auto ok = protocol::parse_resume_response(r.body);
    return ok ? ok : ResumeResponse{.status = "", .message = ok.error().message, .kickoff_id = ""};
  };
  one_call<ResumeResponse>(*this, std::move(*ex), parse, std::move(cb), std::move(stop));
}

}  // namespace crewai

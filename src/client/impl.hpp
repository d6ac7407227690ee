// client/impl.hpp — Client::Impl: the engine, the options, and the operations in flight.
//
// Every operation lives on the engine thread: it is created by a posted task, advanced by transfer
// completions and timers, and completed exactly once (result, error, or `cancelled` when the
// client is destroyed or the caller's stop_token fires). Nothing here sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>

#include "crewai/client.hpp"
#include "policy/random.hpp"
#include "policy/token_bucket.hpp"
#include "protocol/errors.hpp"
#include "transport/engine.hpp"

namespace crewai {

using SteadyTime = std::chrono::steady_clock::time_point;

// One operation in flight. `finish` completes it with an error (cancellation); `done` guards
// against completing twice.
struct Op {
  std::uint64_t id = 0;
  bool done = false;
  transport::RequestId request = 0;
  transport::TimerId timer = 0;
  bool post_out = false;  // a POST is on the wire: aborting it leaves its outcome unknown
  std::function<void(Error)> fail;
  std::shared_ptr<void> on_stop;  // the caller's stop_callback, dropped when the op ends
};

// A request as the retry loop sees it.
struct Exchange {
  protocol::CallKind call = protocol::CallKind::status;
  std::string method = "GET";
  // Below the base URL, e.g. "/status/abc"; the URL's path when `url` is set.
  std::string path = {};
  std::string body = {};
  std::string kickoff_id = {};  // for errors
  std::string url = {};         // absolute, on the base URL's origin; empty: base_url + path
};

// The final answer of an exchange after its retries: either an HTTP answer or a transport failure.
struct Answer {
  transport::Response response;
  int attempts = 1;
};

struct SendLoop;
struct Waiter;

struct Client::Impl {
  explicit Impl(ClientOptions o);
  ~Impl();

  // Engine-thread only ------------------------------------------------------------------
  std::shared_ptr<Op> start_op(std::function<void(Error)> fail);
  void end_op(Op& op);
  // The caller's stop_token aborts `op` (see abort_op); nothing when the token cannot stop.
  void watch_stop(const std::shared_ptr<Op>& op, std::stop_token stop);
  // Completes `op` now with `cancelled`, or `ambiguous` when a POST of it is on the wire.
  void abort_op(Op& op);
  // Sends `ex`, retrying per the retry table; `done` gets the final answer unless `op` ended first.
  void send(std::shared_ptr<Op> op, Exchange ex, std::function<void(Answer)> done);
  void attempt(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop);
  void transmit(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop);
  void set_rate(double per_second);
  void on_answer(std::shared_ptr<Op> op, std::shared_ptr<SendLoop> loop, transport::Response r);
  void after(std::shared_ptr<Op> op, Millis delay, std::function<void()> fn);
  void at(std::shared_ptr<Op> op, SteadyTime when, std::function<void()> fn);

  void do_inputs(std::function<void(Result<std::vector<std::string>>)> cb,
                 std::stop_token stop = {});
  void do_kickoff(KickoffRequest req, std::function<void(Result<std::string>)> cb,
                  std::stop_token stop = {});
  void do_status(std::string id, std::function<void(Result<RunResult>)> cb,
                 std::stop_token stop = {});
  // GET the status of `id` (with retries). When the status route itself is missing (FastAPI's 404
  // {"detail": "Not Found"}), tries the other form (/status/{id} <-> /{id}/status) once per client
  // and remembers which one answers. `done` gets the exchange that produced the answer.
  void get_status(std::shared_ptr<Op> op, const std::string& id,
                  std::function<void(Exchange, Answer)> done);
  void do_resume(ResumeRequest req, std::function<void(Result<ResumeResponse>)> cb,
                 std::stop_token stop = {});
  void do_answer_flow(FlowAnswer answer, std::function<void(Result<ResumeResponse>)> cb,
                      std::stop_token stop = {});
  void do_cancel(std::string id, std::function<void(Result<CancelResult>)> cb);
  void do_wait(std::string id, WaitOptions opts, Json inputs,
               std::function<void(Result<RunResult>)> cb);
  void do_run(KickoffRequest req, WaitOptions opts, std::function<void(Result<RunResult>)> cb);
  void do_resume_and_wait(ResumeRequest req, WaitOptions opts,
                          std::function<void(Result<RunResult>)> cb);
  // A webhook named `kickoff_id`: its waits poll now (see Client::on_webhook).
  void wake(const std::string& kickoff_id);

  // Any thread ----------------------------------------------------------------------------
  // Runs `fn` on the engine thread, or fails `cb`-style via `on_closed` when the client is closing.
  void dispatch(std::function<void()> fn, std::function<void()> on_closed);
  void shutdown();
  std::string status_path(const std::string& id) const;
  std::string status_path_for(const std::string& id, bool alternate) const;

  // Which status route answers: 0 not known yet, 1 the configured one, 2 the other form,
  // 3 the other form was tried and is missing too (keep the configured one, try no more).
  std::atomic<int> status_route{0};

  ClientOptions options;
  transport::Engine engine;
  std::thread::id engine_thread;  // where a Pending's get() would wait for itself
  policy::Random random;  // engine thread only
  std::optional<policy::TokenBucket> request_bucket;  // engine thread only
  std::unordered_map<std::uint64_t, std::shared_ptr<Op>> ops;  // engine thread only
  std::uint64_t next_op = 1;                                   // engine thread only
  // The waits in progress by kickoff id, for webhook wake-ups. Engine thread only.
  std::unordered_multimap<std::string, std::weak_ptr<Waiter>> waiters;
  std::atomic<bool> closing{false};
  std::atomic<bool> warmed{false};  // a first answer came back: use the normal timeout
  std::atomic<std::uint64_t> n_requests{0}, n_retries{0}, n_transport{0}, n_429{0}, n_5xx{0};
};

// Errors the client makes itself (not from an HTTP answer).
Error transport_error(const Exchange& ex, const Answer& a);
// One attempt's outcome as protocol::classify() reads it.
protocol::Outcome outcome_of(const transport::Response& r);
Error cancelled_error(const std::string& kickoff_id = {});

}  // namespace crewai

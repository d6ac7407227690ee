// crewai/client.hpp — one deployed crew or flow, called from C++.
//
// Threading: a Client owns one engine thread running one libcurl multi handle and a timer heap.
// Every call is one function, `kickoff_async(req)`, that starts it and returns a Pending result
// (<crewai/pending.hpp>): `.get()` waits, `.then(cb)` runs `cb` on the engine thread (it must not
// block), `.future()` is a std::future. The sync form `kickoff(req)` is `kickoff_async(req).get()`:
// safe from any thread except the engine's (never call a sync method from inside a callback).
// Destroying a Client cancels outstanding work: every pending result completes with
// ErrorCode::cancelled before the destructor returns. A Client is movable, not copyable.
// Cancelling one call: the single calls take a std::stop_token (wait and run take it in
// WaitOptions). request_stop() ends the call at once, aborting its request: it completes with
// `cancelled`, or with `ambiguous` when it is a POST that was already on the wire (kickoff, resume,
// answer_flow: the app may have acted on it). The client stays usable.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "crewai/clock.hpp"
#include "crewai/error.hpp"
#include "crewai/pending.hpp"
#include "crewai/policy.hpp"
#include "crewai/types.hpp"

namespace crewai {

namespace client {
struct EngineAccess;  // internal (src/client/internal.hpp)
}  // namespace client

// One HTTP exchange, reported to ClientOptions::trace (verbose mode, batch accounting).
// Never contains the token or any header value.
struct RequestEvent {
  std::string method;           // "GET", "POST"
  std::string path;             // "/status/<id>" (no host, no query secrets)
  int http_status = 0;          // 0 on a transport failure
  std::string transport_error;  // curl's message, empty on success
  int attempt = 1;              // 1 = first try
  double seconds = 0;           // wall time of this attempt, in seconds
  std::optional<Millis> retry_in;  // set when this attempt will be retried after that wait
};

/// Where the deployment is, its token, and the timeouts and policies of every call.
struct ClientOptions {
  // The deployment's URL, such as https://my-crew.crewai.com. A trailing '/' is trimmed and a path
  // prefix is kept: requests go to base_url + "/kickoff", base_url + "/status/<id>", ...
  std::string base_url;
  std::string token;     // bearer token; never logged
  /// Time allowed to open a connection.
  Millis connect_timeout{10'000};
  /// Time allowed for one request (every request but the first).
  Millis request_timeout{30'000};
  // The first request's timeout, for a cold start; later requests use request_timeout. To bound
  // every request by one timeout, set both (crewctl --timeout and CREWAI_TIMEOUT do).
  Millis first_call_timeout{120'000};
  /// When failed requests are retried.
  RetryPolicy retry{};
  /// How wait() polls.
  PollPolicy poll{};
  std::string status_path = "/status/{id}";  // "/{id}/status" for old deployments
  DeploymentKind kind = DeploymentKind::crew;  // flows: typed inputs, /inputs not enforced
  std::string user_agent;                    // default "crewai-cpp/<version>"
  std::string ca_bundle;                     // PEM file; empty = system default. TLS is always verified
  long max_host_connections = 64;            // pooled connections per host
  double max_requests_per_second = 0;        // token bucket on every request; 0 = unlimited
  std::optional<std::uint64_t> random_seed;  // jitter source; fixed for reproducible tests
  std::function<void(const RequestEvent&)> trace;  // runs on the engine thread; must not block
  // The time of every timer, backoff, deadline and rate limit (a Batch on this client uses it
  // too); null: the steady clock. Tests hand in a ManualClock to run in virtual time.
  std::shared_ptr<Clock> clock;

  // CREWAI_BASE_URL / CREWAI_DEPLOYMENT_URL, CREWAI_TOKEN / CREWAI_DEPLOYMENT_TOKEN, CREWAI_TIMEOUT
  // (seconds), CREWAI_POLL_INTERVAL (seconds), CREWAI_MAX_RETRIES, CREWAI_KIND (crew | flow). A
  // missing URL or token, or an unreadable value, is an invalid_argument error naming the variable.
  [[nodiscard]] static Result<ClientOptions> from_env();
};

/// Options of one wait() or run().
struct WaitOptions {
  std::optional<Millis> deadline;  // overrides PollPolicy::deadline for this wait
  std::stop_token stop;            // request_stop() ends the wait with `cancelled`
  // Time the kickoff was accepted: the 404 grace counts from it, and the first poll comes
  // PollPolicy::initial after it (unless human_input_webhook). Unset: the grace counts from the
  // start of the wait, whose first poll goes out at once.
  std::optional<std::chrono::steady_clock::time_point> kicked_off_at;
  // The kickoff carried a human-input webhook (run() sets it). A live crew waiting for a human
  // reads NOT FOUND, never PAUSED: a run seen alive that then reads NOT FOUND (or 404) ends the
  // wait as paused when this is set (its task id arrives on that webhook), else with
  // ErrorCode::vanished. A run never seen alive keeps the not-found grace.
  bool human_input_webhook = false;
  // Keep the final status body in RunResult::raw. False leaves raw null and parses only the
  // members the other fields come from, not the whole body (its events make most of a live one):
  // for a caller that keeps no body, such as a batch, it saves most of a parse per run.
  bool keep_raw = true;
};

// Counters since the client was made (all requests, every attempt).
struct ClientStats {
  ///@{
  /// Requests sent, retries among them, and those that got no HTTP answer.
  std::uint64_t requests = 0, retries = 0, transport_failures = 0;
  ///@}
  ///@{
  /// Answers 429 and 5xx.
  std::uint64_t http_429 = 0, http_5xx = 0;
  std::uint64_t connections = 0;  // new connections opened (reused ones are not counted)
};

/// One deployed crew or flow. Each call is one function, `x_async(args)`, that starts the call and
/// returns its Pending result (<crewai/pending.hpp>: get(), then(callback), future()); the blocking
/// `x(args)` is `x_async(args).get()`. All are thread-safe.
class Client {
 public:
  // Validates the options (URL, token) and starts the engine thread.
  [[nodiscard]] static Result<Client> create(ClientOptions options);

  ///@{
  /// Movable, not copyable.
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ///@}
  ~Client();

  ///@{
  // GET /inputs: the names the crew requires.
  Pending<std::vector<std::string>> inputs_async(std::stop_token stop = {});
  [[nodiscard]] Result<std::vector<std::string>> inputs(std::stop_token stop = {}) {
    return inputs_async(std::move(stop)).get();
  }

  ///@}
  ///@{
  // POST /kickoff: the kickoff id. Retried only while the request provably did not reach the
  // app; otherwise an `ambiguous` error (a paid run may exist).
  Pending<std::string> kickoff_async(KickoffRequest req, std::stop_token stop = {});
  [[nodiscard]] Result<std::string> kickoff(const KickoffRequest& req, std::stop_token stop = {}) {
    return kickoff_async(req, std::move(stop)).get();
  }

  ///@}
  ///@{
  // GET /status/{id}: one read of the state.
  Pending<RunResult> status_async(std::string kickoff_id, std::stop_token stop = {});
  [[nodiscard]] Result<RunResult> status(const std::string& kickoff_id, std::stop_token stop = {}) {
    return status_async(kickoff_id, std::move(stop)).get();
  }

  ///@}
  ///@{
  // Polls until a terminal state or a pause (a result), or the deadline (deadline_exceeded).
  // A failed poll is retried as a poll; it never causes a new kickoff.
  Pending<RunResult> wait_async(std::string kickoff_id, WaitOptions opts = {});
  [[nodiscard]] Result<RunResult> wait(const std::string& kickoff_id, WaitOptions opts = {}) {
    return wait_async(kickoff_id, std::move(opts)).get();
  }

  ///@}
  ///@{
  // Crews: checks the inputs against /inputs (missing names: invalid_input before anything is
  // spent). Flows: /inputs lists optional state fields, so nothing is required; a name it lacks is
  // sent anyway and named in RunResult::warnings. Then kickoff + wait. For flows (ClientOptions::kind)
  // kickoff() sends values with their JSON types and refuses an `id` input (invalid_argument:
  // restore_from_state_id starts from a saved state; `id` merges executions).
  Pending<RunResult> run_async(KickoffRequest req, WaitOptions opts = {});
  [[nodiscard]] Result<RunResult> run(const KickoffRequest& req, WaitOptions opts = {}) {
    return run_async(req, std::move(opts)).get();
  }

  ///@}
  ///@{
  // POST /resume: answers a paused crew task.
  Pending<ResumeResponse> resume_async(ResumeRequest req, std::stop_token stop = {});
  [[nodiscard]] Result<ResumeResponse> resume(const ResumeRequest& req, std::stop_token stop = {}) {
    return resume_async(req, std::move(stop)).get();
  }

  // resume(), then wait() on the run that carries on: the new kickoff id the live service answers
  // ({"kickoff_id"}), else the same id. The result's kickoff_id is the run followed and
  // resumed_from the paused one. Errors of the wait carry the id being followed.
  Pending<RunResult> resume_and_wait_async(ResumeRequest req, WaitOptions opts = {});
  [[nodiscard]] Result<RunResult> resume_and_wait(const ResumeRequest& req, WaitOptions opts = {}) {
    return resume_and_wait_async(req, std::move(opts)).get();
  }

  ///@}
  ///@{
  // POST <callback_url> {"feedback", "source"}: answers a paused flow (FlowRequest from
  // read_flow_request, <crewai/webhooks.hpp>); then wait() again. The callback URL must have the
  // scheme, host and port of options().base_url, because the bearer token goes with it: any other
  // URL is an invalid_argument error and nothing is sent (a forged webhook cannot collect the
  // token). Retried like resume: only while the request provably did not reach the app, else
  // `ambiguous`. A flow that is not waiting for feedback (400) is failed_precondition.
  Pending<ResumeResponse> answer_flow_async(FlowAnswer answer, std::stop_token stop = {});
  [[nodiscard]] Result<ResumeResponse> answer_flow(const FlowAnswer& answer,
                                                   std::stop_token stop = {}) {
    return answer_flow_async(answer, std::move(stop)).get();
  }

  ///@}
  ///@{
  // POST /stop/{id}: cancels a run; it then reads REVOKED (wait() returns it as such). Retried
  // like a GET: stopping twice is harmless. A run that had already ended is not an error: the
  // result says `stopped == false` and the state it ended in. A deployment without the route
  // (FastAPI's 404 {"detail": "Not Found"}, or 405) is ErrorCode::unimplemented ("this deployment
  // cannot cancel runs"); any other 404 is asked about with GET /status: a run the deployment
  // knows means the route is missing (unimplemented), an unknown one is ErrorCode::not_found.
  Pending<CancelResult> cancel_async(std::string kickoff_id);
  [[nodiscard]] Result<CancelResult> cancel(const std::string& kickoff_id) {
    return cancel_async(kickoff_id).get();
  }

  ///@}
  // Webhooks as a wake-up call. Hand the body of any webhook the deployment POSTs to you (crew,
  // task, step, human-input, or streaming events) to on_webhook(): every wait()/run() following a
  // kickoff id the body names polls now instead of at its next interval, so a run's end is seen as
  // soon as the webhook arrives. It is only a hint: the result still comes from GET /status
  // (webhooks are unsigned and may arrive late, twice or forged), so a bogus webhook costs one
  // extra poll, never a wrong result. Returns the kickoff ids the body names (empty when none; no
  // wait need be running). Thread-safe and non-blocking: call it from your HTTP handler.
  std::vector<std::string> on_webhook(std::string_view body);
  // The same wake-up for one kickoff id learned another way.
  void notify(const std::string& kickoff_id);

  // Changes the request rate limit (0 = unlimited) for requests sent from now on. Thread-safe.
  void set_request_rate(double per_second);

  /// Counters of every request since the client was made.
  ClientStats stats() const;
  /// The options the client was made with.
  const ClientOptions& options() const;

  struct Impl;  // implementation detail (opaque to users)

 private:
  // The batch library's one way in (src/client/internal.hpp, client::EngineAccess): it runs a
  // batch's scheduler turns on this client's engine thread. Not an API: no public member.
  friend struct client::EngineAccess;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai

// transport/engine.hpp — one libcurl multi handle on one thread, with a timer heap.
//
// Knows HTTP, not AMP. Every method is thread-safe; callbacks (request completions, timers, posted
// tasks) run on the engine thread, one at a time, and must not block. The loop waits in
// curl_multi_poll and is woken with curl_multi_wakeup when another thread submits work.
// Destruction (or shutdown()) completes every pending request with Failure::cancelled and drops
// pending timers without running them. Callbacks must not throw (an escaping exception ends the
// process). Redirects are not followed (a 3xx is returned as the answer); TLS is always verified.
//
// After shutdown has finished, submit() runs `done` (Failure::cancelled) and post() runs `fn` at
// once on the calling thread; add_timer() returns an id that never fires. shutdown() called from
// the engine thread only requests the stop: the loop ends after the current callback returns and
// a later shutdown()/destructor on another thread joins. Destroying the Engine from one of its own
// callbacks detaches the thread, which frees its state once it has cancelled everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crewai/clock.hpp"

namespace crewai::transport {

struct EngineOptions {
  long max_host_connections = 64;   // CURLMOPT_MAX_HOST_CONNECTIONS
  long max_total_connections = 0;   // CURLMOPT_MAX_TOTAL_CONNECTIONS (0 = unlimited)
  std::string user_agent;
  std::string ca_bundle;            // CURLOPT_CAINFO when non-empty; verification is always on
  std::size_t max_response_bytes = 64u << 20;  // larger bodies fail with error "response too large"
  // The timers' time (null: the steady clock). The loop registers a watch on it: it goes idle
  // only with no transfer running, so virtual time never jumps over I/O on the wire.
  std::shared_ptr<Clock> clock;
};

struct Request {
  std::string method = "GET";       // GET or POST
  std::string url;                  // absolute
  std::vector<std::string> headers; // "Name: value" (the Authorization header goes here)
  std::string body;                 // POST body
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // whole transfer
  // Use a new connection, never one from the pool (it joins the pool afterwards). Not needed for
  // non-idempotent POSTs any more: refuse_resend makes a reused connection safe for them.
  bool fresh_connection = false;
  // Send the body through a read callback that cannot rewind, so that libcurl never re-sends the
  // request on its own: when a reused connection dies before any answer byte, the transfer fails
  // with Failure::send (may have reached the app) instead of going out a second time on a new
  // connection. This lets non-idempotent POSTs ride pooled connections safely.
  bool refuse_resend = false;
};

enum class Failure {
  none,           // an HTTP answer was read (any status)
  connect,        // DNS, connect refused/unreachable, TLS handshake: the request never reached the app
  timeout,        // transfer timeout (the request may have reached the app); a timeout before
                  // anything was sent (no pretransfer, no request bytes) is reported as `connect`
  send,           // failed while sending / reset after connecting (may have reached the app)
  receive,        // reset or garbage while reading the answer (reached the app)
  too_large,      // body over max_response_bytes
  cancelled,      // engine shut down or request cancelled
  other,
};

// Check `failure` first: on a failure `status` is whatever status line curl had read (often 0),
// kept for diagnostics only, and `body` is empty.
struct Response {
  long status = 0;                  // 0 when no answer
  Failure failure = Failure::none;
  std::string error;                // curl's message when failure != none
  std::string body;
  std::optional<std::string> retry_after;  // the Retry-After header, verbatim
  std::optional<std::chrono::milliseconds> retry_after_wait;  // what it asks, as libcurl reads it
  std::string content_type;
  double seconds = 0;               // total time of the transfer
  bool connection_reused = false;   // diagnostics
};

using RequestId = std::uint64_t;
using TimerId = std::uint64_t;

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();  // = shutdown()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a transfer; `done` runs once on the engine thread (with Failure::cancelled on shutdown).
  RequestId submit(Request req, std::function<void(Response)> done);
  // Cancels a queued or running transfer; its callback runs with Failure::cancelled.
  void cancel(RequestId id);

  // Runs `fn` on the engine thread at `when` (on the options' clock). Not run if cancelled or on
  // shutdown.
  TimerId add_timer(Clock::time_point when, std::function<void()> fn);
  TimerId add_timer(std::chrono::milliseconds after, std::function<void()> fn);
  void cancel_timer(TimerId id);

  // Runs `fn` on the engine thread as soon as possible.
  void post(std::function<void()> fn);

  bool on_engine_thread() const noexcept;
  const Clock& clock() const noexcept;

  // Stops the loop: pending transfers complete with Failure::cancelled, timers are dropped, and
  // posted tasks still run so they can observe the shutdown. Idempotent; joins the thread.
  void shutdown();

  // active = submitted - completed (queued in the inbox, queued inside curl, or transferring).
  // connections_opened: new connections curl made (CURLINFO_NUM_CONNECTS summed over finished
  // transfers); with a warm pool it stays near the connection cap, not the request count.
  // wakeups: curl_multi_wakeup calls for work handed over by other threads; the engine thread's
  // own submits, posts and cancels never wake it (the loop takes them before it waits).
  struct Stats {
    std::uint64_t submitted = 0, completed = 0, active = 0, queued_timers = 0;
    std::uint64_t connections_opened = 0;
    std::uint64_t wakeups = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai::transport

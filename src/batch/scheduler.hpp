// batch/scheduler.hpp — Batch::Impl: the loop that runs a batch, as turns on the client's engine
// thread (turns.cpp), or over a shared journal on the thread that called run() (run_loop.cpp).
//
// Client completions (engine thread) and journal commits (writer thread) never touch the
// scheduler's state (a durable intent's kickoff may leave from the writer thread, with a request
// made on the loop beforehand: launch.cpp): they post events to the loop, which handles them one at
// a time with no lock held. The loop waits on a condition variable until the next event or the
// next due time (a rate wait, a requeue, a snapshot, the drain deadline) on the client's clock: no
// sleeping, no polling of its own, and in virtual time (a ManualClock) no real waiting either.
// "Loop thread" below means whichever thread runs the turns: the engine's, or the caller's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "batch/journal.hpp"
#include "batch/observer_thread.hpp"
#include "crewai/batch.hpp"
#include "policy/adaptive.hpp"
#include "policy/circuit_breaker.hpp"
#include "policy/token_bucket.hpp"
#include "transport/engine.hpp"

namespace crewai {

using Steady = std::chrono::steady_clock;
inline constexpr std::chrono::milliseconds kForcedKickoffGrace{500};

struct Batch::Impl {
  enum class Phase { queued, starting, running, done };
  // With BatchOptions::webhooks (webhook_pauses.cpp): the wait of the run followed ends when its
  // human-input webhook is heard; a pause seen on /status first waits briefly for its details.
  struct PauseState {
    std::shared_ptr<std::stop_source> wait_stop;
    // follow -> wait_stop
    std::shared_ptr<std::stop_callback<std::function<void()>>> wait_stop_link;
    std::optional<PauseNotice> heard;
    std::optional<RunResult> held;  // paused per /status, waiting for its webhook until hold_until
    Steady::time_point hold_until{};
    bool hold_done = false;  // held once already for this run
  };
  struct Slot {
    Phase phase = Phase::queued;
    int attempts = 0;  // intents recorded (kickoffs tried)
    int requeues = 0;  // kickoffs that provably did not reach the app, tried again
    std::vector<std::string> kickoff_ids;
    std::string request_id;
    Steady::time_point not_before{};
    std::optional<double> started_at;
    bool cancel_sent = false;  // POST /stop sent for the current run
    bool cancelled = false;    // ...and the deployment took it (or the run had already ended)
    // Only with BatchOptions::webhooks, made by hook_wait: out of line, because a batch holds a
    // Slot per item from the start and these ~0.9 KiB would otherwise cost every item of every
    // batch (9 MiB at 10,000 items) for a feature most batches do not use.
    std::unique_ptr<PauseState> pause;
  };
  // A batch makes every item's Slot up front: nothing as big as a run's result belongs in it.
  static_assert(sizeof(Slot) < sizeof(RunResult) / 4, "per-item state out of line (PauseState)");

  Impl(Client& c, std::vector<BatchItem> it, BatchOptions o, BatchObserver* obs);
  ~Impl();

  [[nodiscard]] Result<BatchReport> run();
  void request_stop(bool force);

  // The steps of run(), loop thread only.
  Result<void> prepare();
  void run_events();
  void handle_stop(Steady::time_point now, int requests);
  Steady::time_point next_wake(Steady::time_point now);
  // One pass of the scheduler, the same in both loops: the events in, the stop, the adaptive
  // limit, the launches, a snapshot when due. `wake`: the next time something is due;
  // `stop_requests`: the count it handled (a wait ends when it changes).
  struct Pass {
    Steady::time_point now, wake;
    int stop_requests = 0;
  };
  Pass pass();
  void wait_for_work(Steady::time_point wake, int requests);
  void watch_clock(bool on);
  BatchReport report();
  // The same steps as turns on the client's engine thread (turns.cpp), when the batch's calls
  // never block (not a shared journal): a completion then leads to the next kickoff on the
  // thread it arrived on, with no handoff to the caller's thread and back.
  void run_turns();
  void turn();
  void end_turns();
  void arm_wake(Steady::time_point wake);
  void wake_turns();  // any thread: a turn soon (stop request, observer's refusal)
  bool queue_turn_locked();  // mu held; true: the caller must engine->post(turn)

  // Loop thread only.
  [[nodiscard]] Result<void> preflight();
  Result<void> restore();
  // `answered`: the inbox's answered pauses (a claim's answered list for claimed paused items).
  void restore_item(const batch::JournalItem& j, const std::vector<const ItemRecord*>& earlier,
                    const std::vector<batch::InboxEntry>& answered = {});
  bool restore_earlier(const batch::JournalItem& j, const std::vector<const ItemRecord*>& earlier);
  // Shared journal (shared_claims.cpp): items arrive in claims, other workers finish the rest.
  bool all_done() const;
  void pump_claims(Steady::time_point now, Steady::time_point& wake);
  void on_claim(Result<batch::Claim> r);
  void hand_back(std::size_t i);
  void refused_by_stop(std::size_t i, const std::string& why);
  static std::string batch_stopped(const std::string& why);  // the stop reason a worker reports
  std::vector<ItemRecord> own_records();  // the records of the items this worker finished
  void journal_failed(const Error& e);
  void launch_ready(Steady::time_point now, Steady::time_point& wake);
  void launch(std::size_t i);
  KickoffRequest kickoff_request(std::size_t i) const;
  void send_kickoff(std::size_t i, KickoffRequest req);  // any thread
  void on_intent_failed(std::size_t i, const Error& e);
  // `waiting`: the run's wait was already started with the answer (launch.cpp).
  void on_kickoff(std::size_t i, Result<std::string> r, Steady::time_point sent, bool waiting);
  WaitOptions wait_options(Steady::time_point kicked_off_at) const;
  void start_wait(std::size_t i, const std::string& id, Steady::time_point kicked_off_at);
  void follow_run(std::size_t i, const std::string& id, WaitOptions w);
  void on_wait(std::size_t i, Result<RunResult> r);
  // webhook_pauses.cpp (BatchOptions::webhooks).
  void hook_wait(std::size_t i, const std::string& id, WaitOptions& w);
  void on_pause_heard(std::size_t i, const std::string& id, PauseNotice n);
  bool hold_for_pause(std::size_t i, Result<RunResult>& r);
  void release_holds(Steady::time_point now, Steady::time_point& wake);
  // answered.cpp: a paused item answered from the inbox is followed under the answer's run.
  Result<std::vector<batch::InboxEntry>> answered_pauses();
  bool follow_answered(std::size_t i, const batch::JournalItem& j,
                       const std::vector<batch::InboxEntry>& answered);
  // POST /stop for every run in flight with a kickoff id (once per run); answers come back as
  // events through `sink`, which outlives the batch.
  void cancel_in_flight();
  void cancel_run(std::size_t i);
  void on_cancel(std::size_t i, Result<CancelResult> r);
  void requeue(std::size_t i, Steady::time_point not_before);
  void finish(std::size_t i, ItemRecord rec, bool final_in_journal = true);
  ItemRecord base_record(std::size_t i) const;
  void stop_new_work(const std::string& reason);
  void check_stop_rules();
  std::size_t own_errors() const;
  std::size_t own_judged() const;
  void feed_adaptive(Steady::time_point now);
  BatchSnapshot snapshot(Steady::time_point now) const;
  void post(std::function<void()> fn);
  std::string request_id(std::size_t i, int attempt) const;

  Client& client;
  std::shared_ptr<Clock> clock;  // the client's (ClientOptions::clock)
  std::vector<BatchItem> items;
  BatchOptions opt;
  batch::ObserverThread observer;
  std::unique_ptr<batch::Journal> journal;
  std::string batch_id;

  std::vector<Slot> slots;
  std::vector<ItemRecord> records;
  std::deque<std::size_t> queue;  // ready to kick off, input order
  std::size_t done = 0, in_flight = 0, restored = 0;
  std::size_t counts[kOutcomeCount] = {};  // by Outcome
  std::deque<Steady::time_point> recent_finishes;  // for the rate
  Steady::time_point started = clock->now();
  ClientStats baseline{};
  std::uint64_t seen_overloads = 0, seen_requests = 0;  // client counters at window_start
  Steady::time_point window_start{};

  policy::TokenBucket kick_bucket;
  policy::AdaptiveConcurrency adaptive;
  policy::CircuitBreaker breaker;

  std::optional<Error> journal_error;  // the first journal write that failed
  std::vector<std::string> warnings;  // for BatchReport::warnings
  std::vector<std::size_t> holding;   // slots with a held pause (webhook_pauses.cpp)
  // Posts a completion to the loop while the batch lives; a late answer (after run() returned)
  // finds `impl` null and is dropped.
  struct Sink {
    std::mutex mu;
    Impl* impl = nullptr;
  };
  std::shared_ptr<Sink> sink = std::make_shared<Sink>();
  std::size_t pending_cancels = 0;
  bool cancelling = false;  // a forced stop is cancelling the runs in flight
  Steady::time_point cancel_until{};
  bool stopping = false;
  bool forced = false;
  std::string stop_reason;
  std::optional<Steady::time_point> drain_until;
  std::stop_source follow;  // request_stop() on it ends every wait (force)
  std::stop_source any_stop;  // any request_stop(): ends the preflight's GET /inputs at once
  // A forced stop aborts kickoffs still unanswered after kForcedKickoffGrace: most answers come
  // within it (their ids are kept, the runs resumable); the rest end ambiguous, so that a forced
  // stop leaves within a second whatever the deployment does.
  std::stop_source kick_stop;
  std::optional<Steady::time_point> forced_at;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> events;  // guarded by mu
  std::unique_ptr<Clock::Watch> watch;        // guarded by mu; set while run() loops
  bool clock_moved = false;                   // guarded by mu
  std::atomic<int> stop_requests{0};
  std::atomic<bool> force_requested{false};
  std::atomic<bool> observer_refused{false};  // on_record returned false: a graceful stop
  int handled_stop_requests = 0;

  // Turns on the engine (turns.cpp). `engine` is set while they run.
  transport::Engine* engine = nullptr;  // guarded by mu
  bool turn_queued = false;   // guarded by mu: a turn is posted to the engine and has not begun
  bool turns_over = false;    // guarded by mu: the batch is done, no turn is queued again
  bool caller_free = false;   // guarded by mu: run() may return (nothing touches *this after)
  transport::TimerId wake_timer = 0;  // engine thread only: the one timer armed for next wake
  Steady::time_point wake_at{};       // engine thread only: when it fires
  Steady::time_point next_snapshot{};  // loop/turns only

  // Shared journal: claims (loop thread only).
  bool shared = false;
  bool claim_pending = false;
  bool claims_exhausted = false;  // every item left is finished or this worker's
  Steady::time_point next_claim{};
  std::vector<std::size_t> handed_back;  // items whose lease went to another worker before their kickoff
  std::vector<const ItemRecord*> no_earlier;  // restore_item's `earlier` for claimed items
  double rate_share = 0;  // this worker's share of --rate (its kick_bucket's rate)
  // The stop rules' counts across workers: the batch's at the last claim, and this worker's own
  // at that moment (its records since then are added to the batch's).
  std::size_t batch_errors = 0, batch_judged = 0, own_errors_at_claim = 0, own_judged_at_claim = 0;
};

}  // namespace crewai

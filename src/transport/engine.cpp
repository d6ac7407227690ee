// The engine loop follows curl's docs/examples/multi-poll.c: perform, drain CURLMSG_DONE, poll.
// Everything curl-related lives on the engine thread; other threads only touch the inbox (under
// mutex_) and call curl_multi_wakeup, which is the one multi function that is thread-safe.
#include "transport/engine.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "transport/timer_heap.hpp"
#include "transport/thread_name.hpp"
#include "transport/transfer.hpp"

namespace crewai::transport {

namespace {

constexpr std::size_t kMaxFreeHandles = 1024;
constexpr int kIdlePollMs = 60'000;

struct PendingSubmit {
  RequestId id;
  Request request;
  std::function<void(Response)> done;
};

struct PendingTimer {
  TimerId id;
  Clock::time_point when;
  std::function<void()> fn;
};

// Work handed to the engine thread by any thread, swapped out by the loop in one go.
struct Inbox {
  std::vector<PendingSubmit> submits;
  std::vector<RequestId> cancels;
  std::vector<std::function<void()>> posts;
  std::vector<PendingTimer> timers;
  std::vector<TimerId> timer_cancels;

  void clear() {
    submits.clear();
    cancels.clear();
    posts.clear();
    timers.clear();
    timer_cancels.clear();
  }
  bool empty() const noexcept {
    return submits.empty() && cancels.empty() && posts.empty() && timers.empty() &&
           timer_cancels.empty();
  }
};

}  // namespace

struct Engine::Impl {
  explicit Impl(EngineOptions opts);
  ~Impl();

  void run();
  void request_stop();
  void join();

  // Any thread. Returns false once the loop has exited (the caller handles the item itself).
  template <typename Fn>
  bool enqueue(Fn&& add_to_inbox);

  // Engine thread.
  bool apply(Inbox& batch);
  void admit(PendingSubmit& s);
  void pump();
  void start(PendingSubmit& s);
  void cancel_running(RequestId id);
  void run_due_timers();
  void drain_done();
  void complete(std::unique_ptr<Transfer> t);
  void recycle(Handle handle, bool counts_connections);
  void cancel_everything();
  int poll_timeout_ms();
  bool take_inbox(Inbox& batch, bool stopping);

  const EngineOptions options_;
  const std::shared_ptr<Clock> clock_;
  CURLM* multi_ = nullptr;
  // Registered with clock_ while the loop runs; idle/busy under mutex_ (so an enqueue never
  // races an idle), reset by the loop once stopped_ is set.
  std::unique_ptr<Clock::Watch> watch_;
  std::thread thread_;
  std::atomic<std::thread::id> engine_id_{};
  std::mutex join_mutex_;
  bool delete_self_on_exit_ = false;  // engine thread only

  mutable std::mutex mutex_;
  Inbox inbox_;                // guarded by mutex_
  bool stop_requested_ = false;  // guarded by mutex_
  std::atomic<bool> stopping_{false};  // mirrors stop_requested_ for lock-free checks in the loop
  bool stopped_ = false;       // guarded by mutex_: the loop has exited, multi_ is gone
  bool wake_pending_ = false;  // guarded by mutex_

  std::atomic<RequestId> next_request_id_{1};
  std::atomic<TimerId> next_timer_id_{1};
  std::atomic<std::uint64_t> submitted_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> queued_timers_{0};
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> wakeups_{0};

  // Engine thread only.
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> running_;
  // Requests beyond the connection cap wait here, not inside curl: curl's timeouts run from the
  // moment a handle is added, so a request queued in curl behind thousands of others would time
  // out without ever being sent, and a timed-out POST looks as if it may have reached the app.
  std::deque<PendingSubmit> waiting_;
  std::size_t max_active_ = 0;
  std::vector<Handle> free_handles_;
  std::uint64_t performs_ = 0;  // curl_multi_perform calls so far
  TimerHeap timers_;
};

Engine::Impl::Impl(EngineOptions opts)
    : options_(std::move(opts)), clock_(clock_or_steady(options_.clock)) {
  max_active_ = static_cast<std::size_t>(std::max<long>(
      1, options_.max_total_connections > 0 ? options_.max_total_connections
                                            : options_.max_host_connections));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
  if (options_.max_total_connections > 0) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_total_connections);
  }
  // Without this libcurl keeps only 4 idle connections per transfer in the multi, so a lull closes
  // the pool that the next burst must open again (engine_reuse_test: ...ThroughALull).
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(max_active_));
  watch_ = clock_->watch([this] { curl_multi_wakeup(multi_); });
  thread_ = std::thread([this] {
    name_this_thread("crewai-engine");
    run();
  });
}

Engine::Impl::~Impl() { curl_global_cleanup(); }

template <typename Fn>
bool Engine::Impl::enqueue(Fn&& add_to_inbox) {
  std::lock_guard lock(mutex_);
  if (stopped_) return false;
  add_to_inbox(inbox_);
  watch_->busy();
  // The engine thread's own work (a poll submitted from its timer, a call started from a
  // callback) is taken by the loop before it waits again (poll_timeout_ms): no self-wakeup.
  if (engine_id_.load(std::memory_order_relaxed) == std::this_thread::get_id()) return true;
  // Woken under the lock: the loop sets stopped_ under the same lock before it frees multi_.
  if (!wake_pending_) {
    wake_pending_ = true;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    curl_multi_wakeup(multi_);
  }
  return true;
}

void Engine::Impl::request_stop() {
  std::lock_guard lock(mutex_);
  if (stopped_ || stop_requested_) return;
  stop_requested_ = true;
  stopping_.store(true);
  curl_multi_wakeup(multi_);
}

void Engine::Impl::join() {
  std::lock_guard lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

void Engine::Impl::run() {
  engine_id_.store(std::this_thread::get_id());
  Inbox batch;
  for (;;) {
    if (!take_inbox(batch, false)) break;
    if (apply(batch)) {
      cancel_everything();
      while (take_inbox(batch, true)) apply(batch);
      break;
    }
    run_due_timers();
    int still_running = 0;
    ++performs_;
    curl_multi_perform(multi_, &still_running);
    drain_done();
    if (!waiting_.empty() && running_.size() < max_active_) {
      pump();
      continue;  // hand the new transfers to curl before waiting
    }
    const int timeout = poll_timeout_ms();
    if (timeout < 0) continue;  // work in the inbox: take it before waiting
    curl_multi_poll(multi_, nullptr, 0, timeout, nullptr);
  }
  queued_timers_.fetch_sub(timers_.clear());  // any added by posts run while stopping
  watch_.reset();  // before multi_ goes: its wake uses it
  free_handles_.clear();  // curl_easy_cleanup, before the multi goes
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
  if (delete_self_on_exit_) delete this;
}

// Swaps the inbox out. While stopping, an empty inbox ends the loop: stopped_ is set under the
// same lock, so later submits/posts are handled by their callers instead.
bool Engine::Impl::take_inbox(Inbox& batch, bool stopping) {
  std::lock_guard lock(mutex_);
  if (stopping && inbox_.empty()) {
    stopped_ = true;
    return false;
  }
  std::swap(batch, inbox_);
  wake_pending_ = false;
  return true;
}

// Applies one swapped-out batch; returns true when a stop has been requested (possibly by one of
// the posted tasks). New timers go in before timer cancels and submits before request cancels,
// so a cancel never misses its target.
bool Engine::Impl::apply(Inbox& batch) {
  for (auto& t : batch.timers) timers_.add(t.id, t.when, std::move(t.fn));
  for (TimerId id : batch.timer_cancels) {
    if (timers_.cancel(id)) queued_timers_.fetch_sub(1);
  }
  if (stopping_.load()) {
    queued_timers_.fetch_sub(timers_.clear());
    for (auto& s : batch.submits) {
      completed_.fetch_add(1);
      s.done(cancelled_response());
    }
  } else {
    for (auto& s : batch.submits) admit(s);
  }
  for (RequestId id : batch.cancels) cancel_running(id);
  for (auto& fn : batch.posts) fn();
  batch.clear();
  return stopping_.load();
}

void Engine::Impl::admit(PendingSubmit& s) {
  if (running_.size() < max_active_ && waiting_.empty()) return start(s);
  waiting_.push_back(std::move(s));
}

void Engine::Impl::pump() {
  while (!waiting_.empty() && running_.size() < max_active_ && !stopping_.load()) {
    PendingSubmit s = std::move(waiting_.front());
    waiting_.pop_front();
    start(s);
  }
}

void Engine::Impl::start(PendingSubmit& s) {
  auto t = std::make_unique<Transfer>();
  t->id = s.id;
  t->request = std::move(s.request);
  t->done = std::move(s.done);
  t->max_response_bytes = options_.max_response_bytes;
  if (free_handles_.empty()) {
    if (!init_handle(t->handle, options_)) {
      t->response.failure = Failure::other;
      t->response.error = "curl_easy_init failed";
      complete(std::move(t));
      return;
    }
  } else {
    t->handle = std::move(free_handles_.back());
    free_handles_.pop_back();
  }
  if (!setup_transfer(*t) || curl_multi_add_handle(multi_, t->handle.easy) != CURLM_OK) {
    if (t->response.failure == Failure::none) {
      t->response.failure = Failure::other;
      t->response.error = "curl_multi_add_handle failed";
    }
    complete(std::move(t));
    return;
  }
  t->added_at_perform = performs_;
  running_.emplace(t->id, std::move(t));
}

void Engine::Impl::cancel_running(RequestId id) {
  auto it = running_.find(id);
  if (it == running_.end()) {
    auto w = std::find_if(waiting_.begin(), waiting_.end(),
                          [id](const PendingSubmit& p) { return p.id == id; });
    if (w == waiting_.end()) return;  // already completed (or never existed)
    auto done = std::move(w->done);
    waiting_.erase(w);
    completed_.fetch_add(1);
    done(cancelled_response());
    return;
  }
  auto t = std::move(it->second);
  running_.erase(it);
  curl_multi_remove_handle(multi_, t->handle.easy);
  t->response = cancelled_response();
  complete(std::move(t));
}

void Engine::Impl::cancel_everything() {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& p : waiting) {
    completed_.fetch_add(1);
    p.done(cancelled_response());
  }
  std::vector<RequestId> ids;
  ids.reserve(running_.size());
  for (const auto& entry : running_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  for (RequestId id : ids) cancel_running(id);
}

void Engine::Impl::run_due_timers() {
  const auto now = clock_->now();
  while (!stopping_.load()) {
    auto fn = timers_.pop_due(now);
    if (!fn) break;
    queued_timers_.fetch_sub(1);
    (*fn)();
  }
}

// Collect every finished transfer first, then remove and complete them: removing handles inside
// the curl_multi_info_read loop measured ~35% slower at high concurrency.
void Engine::Impl::drain_done() {
  std::vector<std::pair<CURL*, CURLcode>> finished;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg == CURLMSG_DONE) finished.emplace_back(msg->easy_handle, msg->data.result);
  }
  for (auto [easy, result] : finished) {
    char* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    auto it = running_.find(static_cast<Transfer*>(static_cast<void*>(raw))->id);
    auto t = std::move(it->second);
    running_.erase(it);
    finish_transfer(*t, result);
    curl_multi_remove_handle(multi_, easy);
    complete(std::move(t));
  }
}

void Engine::Impl::complete(std::unique_ptr<Transfer> t) {
  auto done = std::move(t->done);
  Response response = std::move(t->response);
  // Curl reset the handle's CURLINFO values when the transfer started, in the first perform
  // after it was added; before that they are still the previous transfer's.
  const bool ran = t->added_at_perform != Transfer::kNotAdded && performs_ > t->added_at_perform;
  if (t->handle.easy != nullptr) recycle(std::move(t->handle), ran);
  t.reset();
  completed_.fetch_add(1);
  done(std::move(response));
}

// The handle is kept as it is, options and header list included (see setup_transfer for why no
// curl_easy_reset is needed); a handle beyond the cap is freed by Handle's destructor.
void Engine::Impl::recycle(Handle handle, bool counts_connections) {
  long connects = 0;  // the connections this transfer opened (CURLINFO is per transfer)
  if (counts_connections &&
      curl_easy_getinfo(handle.easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK &&
      connects > 0) {
    connections_opened_.fetch_add(static_cast<std::uint64_t>(connects));
  }
  if (free_handles_.size() < kMaxFreeHandles) free_handles_.push_back(std::move(handle));
}

// curl_multi_poll already shortens the wait to curl's own timeout; the cap is the next timer.
// With no transfer running the loop tells the clock it is idle until then, under the inbox lock so
// that a submit from another thread (which marks it busy) cannot be overtaken by a stale "idle".
// -1: do not wait, the inbox holds work (the engine thread's own enqueues do not wake it).
int Engine::Impl::poll_timeout_ms() {
  const auto next = timers_.next_deadline();
  {
    std::lock_guard lock(mutex_);
    if (!inbox_.empty()) return -1;
    if (stop_requested_) return 0;
    if (running_.empty() && waiting_.empty()) watch_->idle(next);
  }
  if (!next) return kIdlePollMs;
  const auto wait = clock_->real_wait(*next);
  if (!wait) return kIdlePollMs;  // a clock that moves when told wakes the loop when it does
  if (*wait <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, kIdlePollMs));
}

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

// Destroyed from one of its own callbacks, the engine cannot join itself: the thread is detached
// and frees the Impl when its loop has finished cancelling.
Engine::~Engine() {
  if (!impl_) return;
  if (on_engine_thread()) {
    impl_->request_stop();
    impl_->delete_self_on_exit_ = true;
    impl_->thread_.detach();
    impl_.release();  // NOLINT(bugprone-unused-return-value): freed by the engine thread
    return;
  }
  shutdown();
}

RequestId Engine::submit(Request req, std::function<void(Response)> done) {
  const RequestId id = impl_->next_request_id_.fetch_add(1);
  impl_->submitted_.fetch_add(1);
  PendingSubmit s{id, std::move(req), std::move(done)};
  if (!impl_->enqueue([&](Inbox& inbox) { inbox.submits.push_back(std::move(s)); })) {
    impl_->completed_.fetch_add(1);
    s.done(cancelled_response());
  }
  return id;
}

void Engine::cancel(RequestId id) {
  impl_->enqueue([id](Inbox& inbox) { inbox.cancels.push_back(id); });
}

TimerId Engine::add_timer(Clock::time_point when, std::function<void()> fn) {
  const TimerId id = impl_->next_timer_id_.fetch_add(1);
  if (on_engine_thread()) {
    impl_->queued_timers_.fetch_add(1);
    impl_->timers_.add(id, when, std::move(fn));
    return id;
  }
  impl_->enqueue([&](Inbox& inbox) {
    impl_->queued_timers_.fetch_add(1);
    inbox.timers.push_back(PendingTimer{id, when, std::move(fn)});
  });
  return id;
}

TimerId Engine::add_timer(std::chrono::milliseconds after, std::function<void()> fn) {
  return add_timer(impl_->clock_->now() + after, std::move(fn));
}

// On the engine thread a timer is either in the heap or still in the inbox (added by another
// thread and not yet swapped out), so a miss in the heap goes through the inbox.
void Engine::cancel_timer(TimerId id) {
  if (on_engine_thread() && impl_->timers_.cancel(id)) {
    impl_->queued_timers_.fetch_sub(1);
    return;
  }
  impl_->enqueue([id](Inbox& inbox) { inbox.timer_cancels.push_back(id); });
}

void Engine::post(std::function<void()> fn) {
  if (!impl_->enqueue([&](Inbox& inbox) { inbox.posts.push_back(std::move(fn)); })) fn();
}

const Clock& Engine::clock() const noexcept { return *impl_->clock_; }

bool Engine::on_engine_thread() const noexcept {
  return impl_->engine_id_.load() == std::this_thread::get_id();
}

void Engine::shutdown() {
  impl_->request_stop();
  if (!on_engine_thread()) impl_->join();
}

Engine::Stats Engine::stats() const {
  Stats s;
  s.submitted = impl_->submitted_.load();
  s.completed = impl_->completed_.load();
  s.active = s.submitted - std::min(s.submitted, s.completed);
  s.queued_timers = impl_->queued_timers_.load();
  s.connections_opened = impl_->connections_opened_.load();
  s.wakeups = impl_->wakeups_.load();
  return s;
}

}  // namespace crewai::transport

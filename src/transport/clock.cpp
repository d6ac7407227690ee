// The steady clock and ManualClock (virtual time for tests). See crewai/clock.hpp.
#include "crewai/clock.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace crewai {
namespace {

class NoWatch final : public Clock::Watch {
 public:
  void idle(std::optional<Clock::time_point>) override {}
  void busy() override {}
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::optional<duration> real_wait(time_point when) const override {
    return std::max(duration::zero(), when - now());
  }
  std::unique_ptr<Watch> watch(std::function<void()>) override { return std::make_unique<NoWatch>(); }
};

// One watcher. `mu` serialises its wake with its unregistering, so that a wake never runs after
// the Watch is gone (the owner frees what the wake touches right after).
struct Watcher {
  std::mutex mu;
  std::function<void()> wake;  // guarded by mu; empty once unregistered
  bool idle = false;           // guarded by the clock's lock
  std::optional<Clock::time_point> until;  // guarded by the clock's lock

  void signal() {
    std::lock_guard lock(mu);
    if (wake) wake();
  }
};

}  // namespace

std::shared_ptr<Clock> steady_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SteadyClock>();
  return clock;
}

std::shared_ptr<Clock> clock_or_steady(std::shared_ptr<Clock> clock) {
  return clock ? std::move(clock) : steady_clock();
}

// Lock order: a watcher's own lock (engine inbox, batch events) -> `mu` for idle/busy; wakes run
// with `mu` released, taking only Watcher::mu and then the watcher's own lock.
struct ManualClock::State {
  State(bool a, duration s) : auto_advance(a), slack(s) {}

  const bool auto_advance;
  const duration slack;
  const time_point start = time_point{} + std::chrono::hours(24);  // `now - d` never underflows
  mutable std::mutex mu;
  std::condition_variable cv;  // the jumper waits on it
  time_point now = start;
  std::uint64_t jumps = 0;
  bool quit = false;
  std::vector<std::shared_ptr<Watcher>> watchers;
  std::thread jumper;

  // Under `mu`: sets the time and marks everyone busy; returns whom to wake (outside `mu`).
  std::vector<std::shared_ptr<Watcher>> move_locked(time_point t) {
    now = t;
    for (auto& w : watchers) {
      w->idle = false;
      w->until.reset();
    }
    return watchers;
  }

  static void wake_all(const std::vector<std::shared_ptr<Watcher>>& ws) {
    for (const auto& w : ws) w->signal();
  }

  // Every watcher idle means nothing can happen before the earliest time one of them waits for:
  // jumping there is what real time would do, minus the waiting. A busy watcher (work to do, or
  // I/O on the wire) holds the clock still.
  std::optional<time_point> due_jump_locked() const {
    if (watchers.empty()) return std::nullopt;
    std::optional<time_point> next;
    for (const auto& w : watchers) {
      if (!w->idle) return std::nullopt;
      if (w->until && (!next || *w->until < *next)) next = w->until;
    }
    return next;
  }

  void jump_loop() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [this] { return quit || due_jump_locked(); });
      if (quit) return;
      ++jumps;
      auto ws = move_locked(std::max(*due_jump_locked() + slack, now));
      lock.unlock();
      wake_all(ws);
      lock.lock();
    }
  }
};

class ManualWatch final : public Clock::Watch {
 public:
  ManualWatch(std::shared_ptr<ManualClock::State> s, std::shared_ptr<Watcher> w)
      : state_(std::move(s)), watcher_(std::move(w)) {}
  ~ManualWatch() override;
  void idle(std::optional<Clock::time_point> until) override { set(true, until); }
  void busy() override { set(false, std::nullopt); }

 private:
  void set(bool idle, std::optional<Clock::time_point> until);
  std::shared_ptr<ManualClock::State> state_;
  std::shared_ptr<Watcher> watcher_;
};

ManualClock::ManualClock(bool auto_advance, duration slack)
    : state_(std::make_shared<State>(auto_advance, std::max(slack, duration::zero()))) {
  if (auto_advance) state_->jumper = std::thread([s = state_.get()] { s->jump_loop(); });
}

ManualClock::~ManualClock() {
  {
    std::lock_guard lock(state_->mu);
    state_->quit = true;
  }
  state_->cv.notify_all();
  if (state_->jumper.joinable()) state_->jumper.join();
}

Clock::time_point ManualClock::now() const {
  std::lock_guard lock(state_->mu);
  return state_->now;
}

std::optional<Clock::duration> ManualClock::real_wait(time_point) const { return std::nullopt; }

std::unique_ptr<Clock::Watch> ManualClock::watch(std::function<void()> wake) {
  auto w = std::make_shared<Watcher>();
  w->wake = std::move(wake);
  std::lock_guard lock(state_->mu);
  state_->watchers.push_back(w);
  return std::make_unique<ManualWatch>(state_, std::move(w));
}

void ManualClock::advance(duration d) {
  if (d > duration::zero()) advance_to(now() + d);
}

void ManualClock::advance_to(time_point t) {
  std::vector<std::shared_ptr<Watcher>> ws;
  {
    std::lock_guard lock(state_->mu);
    if (t <= state_->now) return;
    ws = state_->move_locked(t);
  }
  State::wake_all(ws);
}

Clock::duration ManualClock::elapsed() const {
  std::lock_guard lock(state_->mu);
  return state_->now - state_->start;
}

std::uint64_t ManualClock::jumps() const {
  std::lock_guard lock(state_->mu);
  return state_->jumps;
}

void ManualWatch::set(bool idle, std::optional<Clock::time_point> until) {
  std::lock_guard lock(state_->mu);
  watcher_->idle = idle;
  watcher_->until = until;
  if (idle && state_->auto_advance) state_->cv.notify_all();
}

ManualWatch::~ManualWatch() {
  {
    std::lock_guard lock(state_->mu);
    std::erase(state_->watchers, watcher_);
    if (state_->auto_advance) state_->cv.notify_all();
  }
  std::lock_guard lock(watcher_->mu);  // waits for a wake in progress
  watcher_->wake = nullptr;
}

}  // namespace crewai

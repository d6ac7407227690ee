// crewai/clock.hpp — the time the engine, the client and the batch read and wait on.
//
// Every timer, backoff, deadline, rate window and breaker cooldown reads now() from a Clock handed
// in through ClientOptions::clock (the batch uses its client's), as google-cloud-cpp injects its
// sleeper. The default is the steady clock. ManualClock is virtual time for tests: it moves only
// when advanced, so a test of a 30 s deadline or a 1 s Retry-After takes no real seconds. Real I/O
// still takes real time (curl's own connect/transfer timeouts stay real).
//
// The threads that wait on a clock (the engine loop, a batch loop) register a Watch: they say when
// they go idle (and until when) and the clock wakes them when it moves. A ManualClock in auto mode
// jumps to the earliest time they wait for once every watcher is idle, so a whole batch runs in
// virtual time with nobody turning the hands. All methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace crewai {

class ManualWatch;

// The source of "now" and of waiting for a time, shared by a Client's engine and its Batches
// (ClientOptions::clock). Implement it only to drive time yourself: steady_clock() is real time,
// ManualClock is virtual time for tests.
class Clock {
 public:
  // The steady clock's types, so durations mix freely with std::chrono; a ManualClock's time
  // points are its own, though: compare them only with that clock's now(), never with
  // std::chrono::steady_clock::now().
  using time_point = std::chrono::steady_clock::time_point;
  // Nanoseconds on Linux (the steady clock's tick).
  using duration = std::chrono::steady_clock::duration;

  // A thread that blocks until a time comes or it is woken. Destroying it unregisters it.
  class Watch {
   public:
    virtual ~Watch() = default;
    // About to block: nothing to do before `until` (none: nothing due) unless woken.
    virtual void idle(std::optional<time_point> until) = 0;
    // Has work again (handed to it by another thread, or woken).
    virtual void busy() = 0;
  };

  virtual ~Clock() = default;
  // The current time on this clock; it never goes back. Called from the engine thread, batch
  // threads and yours at once, so it must be thread-safe and cheap (it is read for every timer).
  virtual time_point now() const = 0;
  // How long a thread may block in real time waiting for `when`: none means "until woken" (a
  // clock that moves only when told wakes its watchers when it does).
  virtual std::optional<duration> real_wait(time_point when) const = 0;
  // `wake` runs on the thread that moves the clock (never inside the watcher's own idle/busy
  // calls) and must only signal: notify a condition variable, curl_multi_wakeup. It does not run
  // once the Watch is destroyed.
  virtual std::unique_ptr<Watch> watch(std::function<void()> wake) = 0;
};

// The steady clock; its watches do nothing (time moves by itself).
std::shared_ptr<Clock> steady_clock();
// `clock` when set, else steady_clock().
std::shared_ptr<Clock> clock_or_steady(std::shared_ptr<Clock> clock);

// Virtual time: starts at a fixed point and moves only by advance()/advance_to(), or, in auto
// mode, to the earliest time its watchers wait for (plus `slack`) once all of them are idle (a
// thread of its own does the jumping, so that no watcher is woken from inside another's call).
// Slack lets timers due close together fire in one jump, as on a loaded machine: each jump costs
// the real round trips of whatever it starts. It must outlive its
// watches (the engine and the batch keep the shared_ptr they were given).
class ManualClock final : public Clock {
 public:
  // `auto_advance` false: time moves only when the test calls advance() or advance_to(). True: a
  // thread of the clock's own jumps to the earliest wake-up time as soon as every watcher is idle
  // (a whole batch runs in virtual time). `slack` (auto mode; a negative one counts as zero) is
  // added to each jump. The time starts at a fixed point, where elapsed() reads zero.
  explicit ManualClock(bool auto_advance = false, duration slack = duration::zero());
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  // The virtual time: the start point plus every advance and jump so far.
  time_point now() const override;
  std::optional<duration> real_wait(time_point when) const override;
  std::unique_ptr<Watch> watch(std::function<void()> wake) override;

  // Moves the time forward by `d` (nothing when `d` is not positive) and wakes every watcher,
  // which then fires what has come due: the test's way to let a backoff or a deadline pass.
  void advance(duration d);
  void advance_to(time_point t);  // no-op when `t` is not later than now()
  // Virtual time passed since construction.
  duration elapsed() const;
  // How many times auto mode jumped (diagnostics for tests).
  std::uint64_t jumps() const;

 private:
  friend class ManualWatch;
  struct State;
  std::shared_ptr<State> state_;
};
}  // namespace crewai

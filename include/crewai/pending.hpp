// crewai/pending.hpp — the one asynchronous form of every Client call.
//
// `client.x_async(args)` starts the call at once and returns a Pending<T>: the result to come.
// Observe it exactly once, in one of three ways:
//   - get():      blocks until the result is in (the sync `client.x(args)` is `x_async(args).get()`);
//   - then(cb):   `cb` runs on the client's engine thread when the result arrives (or at once, on
//                 the calling thread, when it is already in); it must not block and must not throw;
//   - future():   a std::future of the result, for code that already waits on futures.
// ready() tells, without blocking, whether the result is in. A Pending that is dropped unobserved
// does not stop its call: the call goes on and its result is discarded.
//
// get() on the client's own engine thread (from inside a callback) would wait for itself: it
// returns ErrorCode::internal instead, and a call that has not been sent yet is then not sent.
#pragma once

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "crewai/error.hpp"

namespace crewai {

namespace detail {

// Shared by the Pending (the caller's side) and the client's completion (the engine's side).
template <class T>
struct PendingState {
  std::mutex mu;                        // guards every member below
  std::condition_variable cv;           // signalled when `value` arrives
  // The result, until it is observed; made only when no continuation takes it. Not held inline:
  // a state lives as long as its call (a whole run for a wait) and a Result<RunResult> is ~0.7 KiB
  // that the then() path (every batch item in flight) never uses.
  std::unique_ptr<Result<T>> value;
  std::function<void(Result<T>)> then;  // the continuation, when one was given first
  std::thread::id engine;  // the thread that completes it: get() there cannot wait
  bool started = false;    // the call was handed to the engine
  bool abandoned = false;  // get() refused before it started: do not start it

  // The engine side, once: hands the result to then() or keeps it for get().
  void complete(Result<T> r) {
    std::unique_lock lock(mu);
    if (then) {
      auto cb = std::move(then);
      then = nullptr;
      lock.unlock();
      try {
        cb(std::move(r));
      } catch (...) {
        // A callback's exception must not take the engine thread down.
      }
      return;
    }
    value = std::make_unique<Result<T>>(std::move(r));
    lock.unlock();
    cv.notify_all();
  }

  // The engine side, before starting the call: false when the caller gave up on it (see get()).
  bool start() {
    std::lock_guard lock(mu);
    if (abandoned) return false;
    started = true;
    return true;
  }
};

// The error of a get() that would wait on the thread that must complete it.
inline Error blocking_on_engine_thread() {
  Error e;
  e.code = ErrorCode::internal;
  e.message =
      "a synchronous Client call was made on the client's engine thread (from a callback); "
      "use the async form there";
  return e;
}

}  // namespace detail

/// The result of a Client call still in progress. Move-only; observe it once (get, then or future).
template <class T>
class Pending {
 public:
  // Made by the Client; users receive it from an x_async call.
  explicit Pending(std::shared_ptr<detail::PendingState<T>> state) : state_(std::move(state)) {}
  ///@{
  /// Movable, not copyable.
  Pending(Pending&&) noexcept = default;
  Pending& operator=(Pending&&) noexcept = default;
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;
  ///@}

  /// Waits for the result. On the client's engine thread: an `internal` error instead of a deadlock.
  [[nodiscard]] Result<T> get() {
    std::unique_lock lock(state_->mu);
    if (!state_->value && std::this_thread::get_id() == state_->engine) {
      if (!state_->started) state_->abandoned = true;
      return tl::unexpected(detail::blocking_on_engine_thread());
    }
    state_->cv.wait(lock, [&] { return state_->value != nullptr; });
    return std::move(*state_->value);
  }

  /// `cb` gets the result on the engine thread, or now on this thread when it is already in.
  void then(std::function<void(Result<T>)> cb) {
    std::unique_lock lock(state_->mu);
    if (!state_->value) {
      state_->then = std::move(cb);
      return;
    }
    Result<T> r = std::move(*state_->value);
    lock.unlock();
    cb(std::move(r));
  }

  /// The result as a std::future (never wait on it on the engine thread).
  [[nodiscard]] std::future<Result<T>> future() {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto f = promise->get_future();
    then([promise](Result<T> r) { promise->set_value(std::move(r)); });
    return f;
  }

  /// Whether the result is in (get() would not block).
  [[nodiscard]] bool ready() const {
    std::lock_guard lock(state_->mu);
    return state_->value != nullptr;
  }

 private:
  std::shared_ptr<detail::PendingState<T>> state_;
};

}  // namespace crewai

// policy/circuit_breaker.hpp — stops new work after consecutive transport failures, then probes.
//
// closed: everything is allowed; `threshold` consecutive transport failures open it.
// open: nothing is allowed until `cooldown` has passed; then the next allow() moves to half_open
// and returns true once (the probe).
// half_open: nothing more is allowed while the probe is out; its success closes the breaker, its
// transport failure opens it again for another cooldown. The caller must report the probe's outcome.
// A threshold below 1 disables the breaker. Not thread-safe: the owner serialises calls.
#pragma once

#include <chrono>

#include "crewai/policy.hpp"

namespace crewai::policy {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, open, half_open };

  CircuitBreaker(int threshold, Millis cooldown);

  bool allow(Clock::time_point now);
  void on_success();
  void on_transport_failure(Clock::time_point now);
  State state() const noexcept { return state_; }

 private:
  int threshold_;
  Millis cooldown_;
  State state_ = State::closed;
  int failures_ = 0;
  Clock::time_point opened_at_{};
};

}  // namespace crewai::policy

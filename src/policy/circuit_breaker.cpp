#include "policy/circuit_breaker.hpp"

namespace crewai::policy {

CircuitBreaker::CircuitBreaker(int threshold, Millis cooldown) : threshold_(threshold), cooldown_(cooldown) {}

bool CircuitBreaker::allow(Clock::time_point now) {
  switch (state_) {
    case State::closed: return true;
    case State::half_open: return false;
    case State::open:
      if (now - opened_at_ < cooldown_) return false;
      state_ = State::half_open;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = State::closed;
  failures_ = 0;
}

void CircuitBreaker::on_transport_failure(Clock::time_point now) {
  if (threshold_ < 1) return;
  if (state_ == State::half_open) {
    state_ = State::open;
    opened_at_ = now;
    return;
  }
  if (state_ == State::open) return;
  if (++failures_ >= threshold_) {
    state_ = State::open;
    opened_at_ = now;
  }
}

}  // namespace crewai::policy

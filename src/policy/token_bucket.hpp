// policy/token_bucket.hpp — a rate limit as a token bucket, driven by the times the caller gives.
//
// `rate_per_second` tokens accrue up to `burst`. reserve() always takes a token, letting the count go
// negative (a queue), and says how long the caller must wait before using it; try_take() takes one
// only when one is available now. A rate of 0 (or less) means unlimited. Not thread-safe: the
// owner serialises calls (the engine thread does). Times earlier than the last one seen add nothing.
#pragma once

#include <chrono>
#include <optional>

namespace crewai::policy {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_second, double burst);

  std::chrono::nanoseconds reserve(Clock::time_point now);
  bool try_take(Clock::time_point now);
  // A new rate and burst from `now` on (a shared batch's share of its rate changed): the tokens
  // accrued so far are kept, capped at the new burst, so that retuning never grants a fresh burst.
  void retune(double rate_per_second, double burst, Clock::time_point now);

  bool unlimited() const noexcept { return rate_ <= 0.0; }
  double tokens(Clock::time_point now);  // for observation and tests

 private:
  void refill(Clock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  std::optional<Clock::time_point> last_;
};

}  // namespace crewai::policy

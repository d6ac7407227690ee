// policy/adaptive.hpp — a concurrency limit that halves on clusters of overload answers (429/503)
// and grows back slowly once they stop (AIMD).
//
// Starts at `max`. When `cluster` overload answers land within `window`, the limit halves (not
// below `floor`), at most once per window. After a whole window with no overload answer, each
// on_ok() may add max(1, limit/10), at most once per window, up to `max`. Purely a function of
// the calls and the times given. Not thread-safe: the owner serialises calls.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "crewai/policy.hpp"

namespace crewai::policy {

class AdaptiveConcurrency {
 public:
  using Clock = std::chrono::steady_clock;

  AdaptiveConcurrency(int max, int floor, Millis window = Millis(5'000), int cluster = 3);

  void on_overload(Clock::time_point now);
  void on_ok(Clock::time_point now);
  int limit() const noexcept { return limit_; }

 private:
  int max_;
  int floor_;
  Millis window_;
  int cluster_;
  int limit_;
  std::deque<Clock::time_point> recent_;  // overload answers within the last window
  std::optional<Clock::time_point> last_overload_;
  std::optional<Clock::time_point> last_halving_;
  std::optional<Clock::time_point> last_change_;  // halving or growth
};

}  // namespace crewai::policy

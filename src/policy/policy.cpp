#include "crewai/policy.hpp"

#include <algorithm>
#include <cmath>

namespace crewai {
namespace {

double clamp01(double u) {
  if (!(u >= 0.0)) return 0.0;  // also NaN
  return std::min(u, std::nextafter(1.0, 0.0));
}

// base * growth^steps, capped, computed without overflowing.
double capped_growth(double base_ms, double growth, int steps, double cap_ms) {
  const double hi = std::max(cap_ms, 0.0);
  const double v = base_ms * std::pow(growth, steps);
  if (std::isnan(v)) return hi;
  return std::clamp(v, 0.0, hi);
}

Millis to_millis(double ms) {
  if (!(ms > 0.0)) return Millis(0);
  return Millis(static_cast<Millis::rep>(std::llround(ms)));
}

}  // namespace

Millis BackoffPolicy::delay(int retry, double uniform01) const {
  const int n = std::max(retry, 1);
  const double capped = capped_growth(static_cast<double>(initial.count()), multiplier, n - 1,
                                      static_cast<double>(max.count()));
  const double u = clamp01(uniform01);
  switch (jitter) {
    case Jitter::none: return to_millis(capped);
    case Jitter::full: return to_millis(capped * u);
    case Jitter::proportional: return to_millis(capped * (1.0 + spread * (2.0 * u - 1.0)));
  }
  return to_millis(capped);
}

std::optional<Millis> RetryPolicy::next_delay(int retry, Millis elapsed, std::optional<Millis> retry_after,
                                              double uniform01) const {
  const int n = std::max(retry, 1);
  if (n >= max_attempts) return std::nullopt;
  Millis wait = retry_after ? std::clamp(*retry_after, Millis(0), std::max(max_retry_after, Millis(0)))
                            : backoff.delay(n, uniform01);
  if (elapsed + wait > max_elapsed) return std::nullopt;
  return wait;
}

Millis PollPolicy::interval(int n, double uniform01) const {
  const double base = capped_growth(static_cast<double>(initial.count()), growth, std::max(n, 0),
                                    static_cast<double>(cap.count()));
  return to_millis(base * (1.0 + jitter * (2.0 * clamp01(uniform01) - 1.0)));
}

std::chrono::steady_clock::time_point PollPolicy::poll_time(std::chrono::steady_clock::time_point now,
                                                            std::chrono::steady_clock::time_point due) const {
  using D = std::chrono::steady_clock::duration;
  if (align <= Millis(0) || due - now < align * 4) return due;
  const D step = align;
  // The nearest multiple of `step` (ties go later). It is at most step / 2 < (due - now) / 8
  // before `due`, so never before `now`.
  const D since = due.time_since_epoch();
  D past = since % step;
  if (past < D::zero()) past += step;  // a clock whose epoch lies ahead: floor, not truncation
  const D down = since - past;
  return std::chrono::steady_clock::time_point(past * 2 >= step ? down + step : down);
}

}  // namespace crewai

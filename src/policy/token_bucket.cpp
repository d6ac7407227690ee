#include "policy/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace crewai::policy {

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : rate_(std::isfinite(rate_per_second) ? rate_per_second : 0.0),
      burst_(std::isfinite(burst) ? std::max(burst, 1.0) : 1.0),
      tokens_(burst_) {}

void TokenBucket::refill(Clock::time_point now) {
  if (!last_) {
    last_ = now;
    return;
  }
  if (now <= *last_) return;
  const double elapsed = std::chrono::duration<double>(now - *last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

std::chrono::nanoseconds TokenBucket::reserve(Clock::time_point now) {
  if (unlimited()) return std::chrono::nanoseconds(0);
  refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= 0.0) return std::chrono::nanoseconds(0);
  const double wait_ns = std::ceil(-tokens_ / rate_ * 1e9);
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(wait_ns));
}

bool TokenBucket::try_take(Clock::time_point now) {
  if (unlimited()) return true;
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void TokenBucket::retune(double rate_per_second, double burst, Clock::time_point now) {
  refill(now);
  rate_ = std::isfinite(rate_per_second) ? rate_per_second : 0.0;
  burst_ = std::isfinite(burst) ? std::max(burst, 1.0) : 1.0;
  tokens_ = std::min(tokens_, burst_);
}

double TokenBucket::tokens(Clock::time_point now) {
  refill(now);
  return tokens_;
}

}  // namespace crewai::policy

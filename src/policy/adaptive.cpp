#include "policy/adaptive.hpp"

#include <algorithm>

namespace crewai::policy {

AdaptiveConcurrency::AdaptiveConcurrency(int max, int floor, Millis window, int cluster)
    : max_(std::max(max, 1)),
      floor_(std::clamp(floor, 1, max_)),
      window_(std::max(window, Millis(0))),
      cluster_(std::max(cluster, 1)),
      limit_(max_) {}

void AdaptiveConcurrency::on_overload(Clock::time_point now) {
  last_overload_ = last_overload_ ? std::max(*last_overload_, now) : now;
  recent_.push_back(now);
  while (!recent_.empty() && recent_.front() + window_ < now) recent_.pop_front();
  if (static_cast<int>(recent_.size()) < cluster_) return;
  if (last_halving_ && *last_halving_ + window_ > now) return;
  limit_ = std::max(floor_, limit_ / 2);
  last_halving_ = now;
  last_change_ = now;
  recent_.clear();
}

void AdaptiveConcurrency::on_ok(Clock::time_point now) {
  if (limit_ >= max_) return;
  if (last_overload_ && *last_overload_ + window_ > now) return;
  if (last_change_ && *last_change_ + window_ > now) return;
  // Slow recovery: one step per quiet window, a tenth of the limit when that is more than one, so
  // that a limit of thousands does not take hours to come back.
  limit_ = std::min(max_, limit_ + std::max(1, limit_ / 10));
  last_change_ = now;
}

}  // namespace crewai::policy

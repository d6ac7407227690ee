#include "transport/timer_heap.hpp"

#include <algorithm>

namespace crewai::transport {

namespace {
constexpr std::size_t kCompactMinSize = 64;
}  // namespace

void TimerHeap::add(std::uint64_t id, Clock::time_point when, std::function<void()> fn) {
  heap_.push_back(Entry{when, id, std::move(fn)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  live_.insert(id);
}

bool TimerHeap::cancel(std::uint64_t id) {
  if (live_.erase(id) == 0) return false;
  compact_if_sparse();
  return true;
}

std::optional<std::function<void()>> TimerHeap::pop_due(Clock::time_point now) {
  drop_dead_top();
  if (heap_.empty() || heap_.front().when > now) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Entry entry = std::move(heap_.back());
  heap_.pop_back();
  live_.erase(entry.id);
  return std::move(entry.fn);
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() {
  drop_dead_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

std::size_t TimerHeap::clear() {
  const std::size_t dropped = live_.size();
  heap_.clear();
  live_.clear();
  return dropped;
}

void TimerHeap::drop_dead_top() {
  while (!heap_.empty() && !live_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

// Lazy deletion keeps cancel O(1), but a cancelled far-future timer would otherwise hold its
// callback until its time comes; rebuilding once half the heap is dead keeps that bounded.
void TimerHeap::compact_if_sparse() {
  if (heap_.size() < kCompactMinSize || live_.size() * 2 > heap_.size()) return;
  std::erase_if(heap_, [this](const Entry& e) { return !live_.contains(e.id); });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

}  // namespace crewai::transport

// transport/timer_heap.hpp — the engine's timers: a min-heap keyed by (time, id) with lazy cancel.
//
// Engine-thread only (no locking). Cancelling marks the id dead in O(1); dead entries are skipped
// when they reach the top, and the heap is compacted when more than half of it is dead, so
// cancelled callbacks (and what they capture) do not linger for long.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_set>
#include <vector>

namespace crewai::transport {

class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;

  void add(std::uint64_t id, Clock::time_point when, std::function<void()> fn);
  // True when `id` was pending (and is now cancelled); false when unknown, fired or cancelled.
  bool cancel(std::uint64_t id);
  // Removes and returns the earliest live timer due at or before `now`.
  std::optional<std::function<void()>> pop_due(Clock::time_point now);
  // Earliest live deadline, if any.
  std::optional<Clock::time_point> next_deadline();
  // Drops every timer without running it; returns how many live timers were dropped.
  std::size_t clear();
  std::size_t size() const noexcept { return live_.size(); }

 private:
  struct Entry {
    Clock::time_point when;
    std::uint64_t id;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      return a.when != b.when ? a.when > b.when : a.id > b.id;
    }
  };
  void drop_dead_top();
  void compact_if_sparse();

  std::vector<Entry> heap_;
  std::unordered_set<std::uint64_t> live_;
};

}  // namespace crewai::transport

// The engine's timer heap on its own: order, ties, lazy cancel, compaction, clear.
#include "transport/timer_heap.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace crewai::transport {
namespace {

using namespace std::chrono_literals;
using Clock = TimerHeap::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1h;

// Pops every timer due at `now`, running each; returns how many ran.
int run_due(TimerHeap& heap, Clock::time_point now) {
  int n = 0;
  while (auto fn = heap.pop_due(now)) {
    (*fn)();
    ++n;
  }
  return n;
}

TEST(TimerHeap, PopsInTimeOrderAndTiesInIdOrder) {
  TimerHeap heap;
  std::vector<int> order;
  const int offsets[] = {30, 10, 20, 0, 20, 5};
  for (int i = 0; i < 6; ++i) {
    heap.add(static_cast<std::uint64_t>(i + 1), t0 + std::chrono::milliseconds(offsets[i]),
             [&order, i] { order.push_back(i); });
  }
  EXPECT_EQ(heap.size(), 6u);
  EXPECT_EQ(run_due(heap, t0 + 30ms), 6);
  EXPECT_EQ(order, (std::vector<int>{3, 5, 1, 2, 4, 0}));
  EXPECT_EQ(heap.size(), 0u);
}

TEST(TimerHeap, NothingIsDueBeforeItsTime) {
  TimerHeap heap;
  int ran = 0;
  heap.add(1, t0 + 10ms, [&] { ++ran; });
  EXPECT_FALSE(heap.pop_due(t0).has_value());
  EXPECT_FALSE(heap.pop_due(t0 + 9ms).has_value());
  EXPECT_EQ(heap.next_deadline(), t0 + 10ms);
  EXPECT_EQ(run_due(heap, t0 + 10ms), 1);  // due at exactly its time
  EXPECT_FALSE(heap.next_deadline().has_value());
  EXPECT_EQ(ran, 1);
}

TEST(TimerHeap, CancelSaysWhetherTheTimerWasPending) {
  TimerHeap heap;
  int ran = 0;
  heap.add(1, t0, [&] { ++ran; });
  heap.add(2, t0 + 1ms, [&] { ++ran; });
  EXPECT_TRUE(heap.cancel(1));
  EXPECT_FALSE(heap.cancel(1));   // twice
  EXPECT_FALSE(heap.cancel(99));  // unknown
  EXPECT_EQ(heap.size(), 1u);
  EXPECT_EQ(heap.next_deadline(), t0 + 1ms);  // the dead top is skipped
  EXPECT_EQ(run_due(heap, t0 + 1h), 1);
  EXPECT_FALSE(heap.cancel(2));  // already fired
  EXPECT_EQ(ran, 1);
}

TEST(TimerHeap, CancelledCallbacksAreReleasedOnceHalfTheHeapIsDead) {
  TimerHeap heap;
  auto token = std::make_shared<int>(0);
  constexpr std::uint64_t kCount = 200;
  for (std::uint64_t id = 1; id <= kCount; ++id) heap.add(id, t0 + 1h + std::chrono::seconds(id), [token] {});
  EXPECT_EQ(token.use_count(), static_cast<long>(kCount) + 1);
  for (std::uint64_t id = 2; id <= kCount; id += 2) heap.cancel(id);
  // Exactly half dead: compacted, so the far-future cancelled callbacks no longer hold `token`.
  EXPECT_EQ(token.use_count(), static_cast<long>(kCount / 2) + 1);
  EXPECT_EQ(heap.size(), kCount / 2);
  std::vector<Clock::time_point> seen;
  while (auto when = heap.next_deadline()) {
    seen.push_back(*when);
    ASSERT_TRUE(heap.pop_due(*when).has_value());
  }
  ASSERT_EQ(seen.size(), kCount / 2);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);  // still a heap
}

TEST(TimerHeap, SmallHeapsKeepDeadEntriesUntilTheyReachTheTop) {
  TimerHeap heap;
  auto token = std::make_shared<int>(0);
  heap.add(1, t0 + 1h, [token] {});
  heap.add(2, t0, [] {});
  heap.cancel(1);
  EXPECT_EQ(token.use_count(), 2);  // below the compaction size: lazy
  EXPECT_EQ(run_due(heap, t0 + 2h), 1);
  EXPECT_EQ(token.use_count(), 1);  // dropped on its way to the top
}

TEST(TimerHeap, ClearDropsEverythingAndCountsTheLiveOnes) {
  TimerHeap heap;
  int ran = 0;
  for (std::uint64_t id = 1; id <= 5; ++id) heap.add(id, t0, [&] { ++ran; });
  heap.cancel(3);
  EXPECT_EQ(heap.clear(), 4u);
  EXPECT_EQ(heap.size(), 0u);
  EXPECT_FALSE(heap.next_deadline().has_value());
  EXPECT_EQ(run_due(heap, t0 + 1h), 0);
  EXPECT_EQ(ran, 0);
  heap.add(6, t0, [&] { ++ran; });  // usable afterwards
  EXPECT_EQ(run_due(heap, t0), 1);
}

}  // namespace
}  // namespace crewai::transport

// The engine on a ManualClock: timers fire when virtual time reaches them, not before, and no
// real time passes for them; auto mode jumps only when nothing is on the wire.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "support/latch.hpp"
#include "support/raw_http_server.hpp"
#include "transport/engine.hpp"

namespace crewai::transport {
namespace {

using crewai::test::Latch;
using crewai::test::RawHttpServer;
using crewai::test::RawRequest;
using crewai::test::RawResponse;
using namespace std::chrono_literals;

EngineOptions on(std::shared_ptr<Clock> clock) {
  EngineOptions o;
  o.clock = std::move(clock);
  return o;
}

// Waits until the engine has run every timer due now: a timer at now() runs after them (it is
// the latest, and ties go in insertion order).
void settle(Engine& engine, const Clock& clock) {
  Latch ran(1);
  engine.add_timer(clock.now(), [&] { ran.count_down(); });
  ASSERT_TRUE(ran.wait());
}

TEST(EngineClock, TimersFireWhenVirtualTimeReachesThemInOrder) {
  auto clock = std::make_shared<ManualClock>();
  Engine engine(on(clock));
  std::vector<int> order;  // engine thread only until `done`
  Latch done(1);
  const auto base = clock->now();
  const int offsets[] = {3600, 10, 7200, 0, 10};
  for (int i = 0; i < 5; ++i) {
    engine.add_timer(base + std::chrono::seconds(offsets[i]), [&order, i] { order.push_back(i); });
  }
  engine.add_timer(base + 2h, [&] { done.count_down(); });
  settle(engine, *clock);
  EXPECT_EQ(engine.stats().queued_timers, 5u);  // the one at `base` fired; nothing later did
  clock->advance(1h);
  settle(engine, *clock);
  EXPECT_EQ(engine.stats().queued_timers, 2u);
  EXPECT_FALSE(done.done());
  clock->advance(1h);
  ASSERT_TRUE(done.wait());  // two virtual hours, no real ones
  engine.shutdown();
  EXPECT_EQ(order, (std::vector<int>{3, 1, 4, 0, 2}));
}

TEST(EngineClock, RelativeTimersAreMeasuredOnTheEnginesClock) {
  auto clock = std::make_shared<ManualClock>();
  Engine engine(on(clock));
  std::atomic<bool> fired{false};
  engine.add_timer(30s, [&] { fired = true; });
  settle(engine, *clock);
  clock->advance(29s);
  settle(engine, *clock);
  EXPECT_FALSE(fired.load());
  clock->advance(1s);
  settle(engine, *clock);
  EXPECT_TRUE(fired.load());
}

TEST(EngineClock, AutoModeJumpsToTheNextTimerWhenTheEngineIsIdle) {
  auto clock = std::make_shared<ManualClock>(true);
  Engine engine(on(clock));
  Latch done(1);
  engine.add_timer(1h, [&] {
    engine.add_timer(30min, [&] { done.count_down(); });
  });
  ASSERT_TRUE(done.wait());
  EXPECT_EQ(clock->elapsed(), 90min);
  EXPECT_GE(clock->jumps(), 2u);
}

// A request on the wire holds virtual time still: a timer an hour away cannot fire before the
// held answer arrives, however long the answer takes in real time.
TEST(EngineClock, AutoModeNeverJumpsOverARequestOnTheWire) {
  auto clock = std::make_shared<ManualClock>(true);
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.hold = true;
    return r;
  });
  Engine engine(on(clock));
  std::atomic<bool> answered{false};
  std::atomic<bool> timer_saw_answer{false};
  Latch timer_fired(1);
  Request req;
  req.url = server.url("/slow");
  auto promise = std::make_shared<std::promise<void>>();
  engine.submit(req, [&, promise](Response r) {
    EXPECT_EQ(r.status, 200);
    answered = true;
    promise->set_value();
  });
  engine.add_timer(1h, [&] {
    timer_saw_answer = answered.load();
    timer_fired.count_down();
  });
  ASSERT_TRUE(server.wait_for_requests(1, Latch::kDeadline));
  settle(engine, *clock);
  EXPECT_EQ(clock->elapsed(), 0s);
  EXPECT_FALSE(timer_fired.done());
  server.release();
  ASSERT_TRUE(timer_fired.wait());
  EXPECT_TRUE(timer_saw_answer.load());
  EXPECT_EQ(clock->elapsed(), 1h);
}

TEST(ManualClockTest, AdvanceWakesWatchersUntilTheirWatchIsGone) {
  ManualClock clock;
  std::atomic<int> woken{0};
  auto watch = clock.watch([&] { woken.fetch_add(1); });
  const auto t0 = clock.now();
  clock.advance(5s);
  EXPECT_EQ(clock.now(), t0 + 5s);
  EXPECT_EQ(woken.load(), 1);
  clock.advance_to(t0 + 1s);  // the past: nothing moves, nobody is woken
  EXPECT_EQ(clock.now(), t0 + 5s);
  EXPECT_EQ(woken.load(), 1);
  watch.reset();
  clock.advance(1s);
  EXPECT_EQ(woken.load(), 1);
  EXPECT_EQ(clock.elapsed(), 6s);
}

// Auto mode moves only when every watcher is idle, to the earliest time one waits for plus the
// slack; a busy watcher, or idle ones with nothing due, hold it still.
TEST(ManualClockTest, AutoModeJumpsOnlyWhenEveryWatcherIsIdle) {
  ManualClock clock(true, 2ms);
  Latch woken_a(1);
  Latch woken_b(1);
  auto a = clock.watch([&] { woken_a.count_down(); });
  auto b = clock.watch([&] { woken_b.count_down(); });
  const auto t0 = clock.now();
  a->idle(t0 + 10s);  // b is busy (a new watch is): the clock holds still
  EXPECT_EQ(clock.jumps(), 0u);
  b->idle(t0 + 3s);
  ASSERT_TRUE(woken_a.wait());
  ASSERT_TRUE(woken_b.wait());
  EXPECT_EQ(clock.now(), t0 + 3s + 2ms);
  EXPECT_EQ(clock.jumps(), 1u);
  a->idle(std::nullopt);
  b->idle(std::nullopt);  // nothing due: no jump
  EXPECT_EQ(clock.jumps(), 1u);
  EXPECT_EQ(clock.now(), t0 + 3s + 2ms);
}

// Issue 13, point 5: work the engine thread hands itself (a poll submitted from its timer, a post
// or a cancel from a callback) is taken before the loop waits again, without a self-wakeup; work
// from another thread still wakes it.
TEST(EngineWakeups, TheEngineThreadsOwnWorkNeverWakesIt) {
  Engine engine;
  Latch chain_done(1);
  engine.post([&] {
    const auto at_start = engine.stats().wakeups;
    engine.cancel(987654);  // no such request: still an enqueue
    engine.post([&, at_start] {
      engine.add_timer(0ms, [&, at_start] {
        Request bad;
        bad.url = "http://[::1";  // refused by curl at once
        engine.submit(std::move(bad), [&, at_start](Response) {
          engine.post([&, at_start] {
            EXPECT_EQ(engine.stats().wakeups, at_start);
            chain_done.count_down();
          });
        });
      });
    });
  });
  ASSERT_TRUE(chain_done.wait());
  const auto before = engine.stats().wakeups;
  Latch woken(1);
  engine.post([&] { woken.count_down(); });  // from this thread: a wakeup
  ASSERT_TRUE(woken.wait());
  EXPECT_EQ(engine.stats().wakeups, before + 1);
}

}  // namespace
}  // namespace crewai::transport

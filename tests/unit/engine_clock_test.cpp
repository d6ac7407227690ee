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

}  // namespace
}  // namespace crewai::transport

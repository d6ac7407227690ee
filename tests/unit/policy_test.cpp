// Policies as pure functions of (attempt, random number, time): no clock, no sleeping.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "crewai/policy.hpp"
#include "policy/adaptive.hpp"
#include "policy/circuit_breaker.hpp"
#include "policy/random.hpp"
#include "policy/token_bucket.hpp"

namespace crewai {
namespace {

using namespace std::chrono_literals;
using policy::AdaptiveConcurrency;
using policy::CircuitBreaker;
using policy::TokenBucket;
using Steady = std::chrono::steady_clock;

const Steady::time_point kT0 = Steady::time_point(std::chrono::hours(1000));

BackoffPolicy backoff(BackoffPolicy::Jitter j) {
  BackoffPolicy b;
  b.initial = 100ms;
  b.multiplier = 2.0;
  b.max = 1000ms;
  b.jitter = j;
  b.spread = 0.2;
  return b;
}

TEST(Backoff, NoJitterGrowsAndCaps) {
  auto b = backoff(BackoffPolicy::Jitter::none);
  EXPECT_EQ(b.delay(1, 0.7), 100ms);
  EXPECT_EQ(b.delay(2, 0.7), 200ms);
  EXPECT_EQ(b.delay(3, 0.7), 400ms);
  EXPECT_EQ(b.delay(4, 0.7), 800ms);
  EXPECT_EQ(b.delay(5, 0.7), 1000ms);
  EXPECT_EQ(b.delay(1'000'000, 0.7), 1000ms);
  EXPECT_EQ(b.delay(0, 0.7), 100ms);
  EXPECT_EQ(b.delay(-3, 0.7), 100ms);
}

TEST(Backoff, FullJitterScalesTheCappedValue) {
  auto b = backoff(BackoffPolicy::Jitter::full);
  EXPECT_EQ(b.delay(1, 0.0), 0ms);
  EXPECT_EQ(b.delay(1, 0.5), 50ms);
  EXPECT_EQ(b.delay(3, 0.25), 100ms);
  EXPECT_EQ(b.delay(10, 0.5), 500ms);
  EXPECT_LT(b.delay(10, 0.999999), 1001ms);
  EXPECT_EQ(b.delay(2, 7.0), b.delay(2, 0.99999999999));  // out-of-range randoms are clamped
  EXPECT_EQ(b.delay(2, -1.0), 0ms);
}

TEST(Backoff, ProportionalJitterIsPlusMinusSpread) {
  auto b = backoff(BackoffPolicy::Jitter::proportional);
  EXPECT_EQ(b.delay(2, 0.0), 160ms);
  EXPECT_EQ(b.delay(2, 0.5), 200ms);
  EXPECT_EQ(b.delay(2, 0.75), 220ms);
  EXPECT_EQ(b.delay(20, 0.0), 800ms);
  EXPECT_EQ(b.delay(20, 0.5), 1000ms);
}

TEST(Backoff, HugeMultiplierDoesNotOverflow) {
  auto b = backoff(BackoffPolicy::Jitter::none);
  b.multiplier = 1e300;
  EXPECT_EQ(b.delay(50, 0.5), 1000ms);
}

TEST(Retry, AttemptsAreExhausted) {
  RetryPolicy p;
  p.max_attempts = 3;
  p.backoff = backoff(BackoffPolicy::Jitter::none);
  EXPECT_EQ(p.next_delay(1, 0ms, std::nullopt, 0.5), 100ms);
  EXPECT_EQ(p.next_delay(2, 0ms, std::nullopt, 0.5), 200ms);
  EXPECT_EQ(p.next_delay(3, 0ms, std::nullopt, 0.5), std::nullopt);
  EXPECT_EQ(RetryPolicy::none().next_delay(1, 0ms, std::nullopt, 0.5), std::nullopt);
}

TEST(Retry, TimeBudgetIsExhausted) {
  RetryPolicy p;
  p.max_elapsed = 1000ms;
  p.backoff = backoff(BackoffPolicy::Jitter::none);
  EXPECT_EQ(p.next_delay(1, 900ms, std::nullopt, 0.5), 100ms);
  EXPECT_EQ(p.next_delay(2, 900ms, std::nullopt, 0.5), std::nullopt);
  EXPECT_EQ(p.next_delay(1, 901ms, std::nullopt, 0.5), std::nullopt);
}

TEST(Retry, RetryAfterOverridesBackoffAndIsClamped) {
  RetryPolicy p;
  p.backoff = backoff(BackoffPolicy::Jitter::none);
  p.max_retry_after = 30'000ms;
  p.max_elapsed = 60'000ms;
  EXPECT_EQ(p.next_delay(1, 0ms, 5000ms, 0.5), 5000ms);
  EXPECT_EQ(p.next_delay(1, 0ms, 0ms, 0.5), 0ms);
  EXPECT_EQ(p.next_delay(1, 0ms, 600'000ms, 0.5), 30'000ms);
  EXPECT_EQ(p.next_delay(1, 40'000ms, 30'000ms, 0.5), std::nullopt);  // beyond the budget
}

TEST(Poll, GrowsToTheCapWithJitter) {
  PollPolicy p;
  p.initial = 1000ms;
  p.growth = 1.5;
  p.cap = 3000ms;
  p.jitter = 0.2;
  EXPECT_EQ(p.interval(0, 0.5), 1000ms);
  EXPECT_EQ(p.interval(1, 0.5), 1500ms);
  EXPECT_EQ(p.interval(2, 0.5), 2250ms);
  EXPECT_EQ(p.interval(3, 0.5), 3000ms);
  EXPECT_EQ(p.interval(100, 0.5), 3000ms);
  EXPECT_EQ(p.interval(0, 0.0), 800ms);
  EXPECT_EQ(p.interval(0, 0.75), 1100ms);
  EXPECT_EQ(p.interval(100, 0.0), 2400ms);
  EXPECT_EQ(p.interval(-1, 0.5), 1000ms);
  p.jitter = 0;
  EXPECT_EQ(p.interval(1, 0.9), 1500ms);
}

// Polls due at nearby times leave at one grid point: the nearest multiple of `align` (10 ms by
// default); never before now, never more than half a step away; a wait under 4 steps as it is.
TEST(Poll, DueTimesAreRoundedToTheSharedGrid) {
  const auto t = [](std::chrono::microseconds since_epoch) { return Steady::time_point(since_epoch); };
  struct Case {
    std::chrono::microseconds now, due, expected;
    Millis align;
  };
  const Case cases[] = {
      {1'000'000us, 1'050'000us, 1'050'000us, 10ms},  // on the grid: unchanged
      {1'000'000us, 1'054'999us, 1'050'000us, 10ms},  // nearest below
      {1'000'000us, 1'055'000us, 1'060'000us, 10ms},  // a tie goes later
      {1'000'300us, 1'047'700us, 1'050'000us, 10ms},  // nearest above
      {1'000'000us, 2'003'000us, 2'000'000us, 10ms},  // a 1 s wait: the same 10 ms grid
      {1'000'000us, 1'040'000us, 1'040'000us, 10ms},  // 4 steps: on the grid
      {1'000'000us, 1'041'000us, 1'040'000us, 10ms},
      {1'000'000us, 1'039'999us, 1'039'999us, 10ms},  // under 4 steps: left as it is
      {1'000'000us, 1'000'000us, 1'000'000us, 10ms},  // due now: at once
      {1'000'000us, 1'054'999us, 1'054'999us, 0ms},   // the grid turned off
      {1'000'000us, 1'054'999us, 1'054'999us, -5ms},
      {1'000'000us, 2'173'000us, 2'200'000us, 100ms},
      {1'000'000us, 1'173'000us, 1'173'000us, 100ms},  // under 400 ms
      {-1'000'000us, -945'000us, -940'000us, 10ms},    // a clock before its epoch: still nearest
      {-1'000'000us, -946'000us, -950'000us, 10ms},
  };
  for (const auto& c : cases) {
    PollPolicy p;
    p.align = c.align;
    const auto got = p.poll_time(t(c.now), t(c.due));
    EXPECT_EQ(got, t(c.expected)) << "now " << c.now.count() << "us, due " << c.due.count()
                                  << "us, align " << c.align.count() << "ms";
    EXPECT_GE(got, t(c.now));
  }
  // 100 runs kicked off over 14 ms and polled every 50 ms ± 20%: their polls fall due over 34 ms,
  // at 100 different times, and leave at 4 or 5 grid points.
  PollPolicy p;
  p.initial = p.cap = 50ms;
  std::set<Steady::time_point> due, sent;
  for (int i = 0; i < 100; ++i) {
    const auto now = t(5'000'000us + i * 137us);
    due.insert(now + p.interval(0, i / 100.0));
    sent.insert(p.poll_time(now, now + p.interval(0, i / 100.0)));
  }
  EXPECT_EQ(due.size(), 100u);
  EXPECT_LE(sent.size(), 5u);
}

TEST(RandomSource, SeededIsRepeatableAndInRange) {
  policy::Random a(42), b(42), c(43);
  std::set<double> seen;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    double x = a.uniform01();
    EXPECT_EQ(x, b.uniform01());
    differs = differs || x != c.uniform01();
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    seen.insert(x);
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(seen.size(), 990u);
}

TEST(Bucket, BurstThenQueueAtTheRate) {
  TokenBucket b(2.0, 3.0);  // 2 tokens/s, burst 3
  EXPECT_EQ(b.reserve(kT0), 0ns);
  EXPECT_EQ(b.reserve(kT0), 0ns);
  EXPECT_EQ(b.reserve(kT0), 0ns);
  EXPECT_EQ(b.reserve(kT0), 500ms);   // tokens -1: wait half a second
  EXPECT_EQ(b.reserve(kT0), 1000ms);  // tokens -2: queued behind it
  EXPECT_EQ(b.reserve(kT0 + 1000ms), 500ms);   // -2 + 2 refilled - 1 = -1
  EXPECT_EQ(b.reserve(kT0 + 10s), 0ns);        // refilled to the burst, not beyond
  EXPECT_DOUBLE_EQ(b.tokens(kT0 + 10s), 2.0);
}

TEST(Bucket, TryTakeNeverQueues) {
  TokenBucket b(1.0, 1.0);
  EXPECT_TRUE(b.try_take(kT0));
  EXPECT_FALSE(b.try_take(kT0));
  EXPECT_FALSE(b.try_take(kT0 + 999ms));
  EXPECT_TRUE(b.try_take(kT0 + 1000ms));
  EXPECT_FALSE(b.try_take(kT0 + 500ms));  // time going backwards adds nothing
}

// A shared batch retunes its worker's share on every claim: that must not hand out a new burst.
TEST(Bucket, RetuneKeepsTheTokensAndGrantsNoNewBurst) {
  TokenBucket b(20.0, 20.0);
  for (int i = 0; i < 15; ++i) EXPECT_TRUE(b.try_take(kT0));
  b.retune(10.0, 10.0, kT0);
  EXPECT_DOUBLE_EQ(b.tokens(kT0), 5.0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_take(kT0));
  b.retune(10.0, 10.0, kT0);  // the same share again: still empty
  EXPECT_FALSE(b.try_take(kT0));
  EXPECT_DOUBLE_EQ(b.tokens(kT0 + 300ms), 3.0);  // at the new rate
  b.retune(10.0, 2.0, kT0 + 300ms);               // capped at the new burst
  EXPECT_DOUBLE_EQ(b.tokens(kT0 + 300ms), 2.0);
  EXPECT_DOUBLE_EQ(b.tokens(kT0 + 10s), 2.0);
}

TEST(Bucket, ZeroRateIsUnlimited) {
  TokenBucket b(0.0, 1.0);
  EXPECT_TRUE(b.unlimited());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(b.reserve(kT0), 0ns);
    EXPECT_TRUE(b.try_take(kT0));
  }
}

TEST(Adaptive, HalvesOnAClusterOncePerWindowDownToTheFloor) {
  AdaptiveConcurrency a(64, 5, 5s, 3);
  EXPECT_EQ(a.limit(), 64);
  a.on_overload(kT0);
  a.on_overload(kT0 + 1s);
  EXPECT_EQ(a.limit(), 64);
  a.on_overload(kT0 + 2s);
  EXPECT_EQ(a.limit(), 32);
  for (int i = 0; i < 6; ++i) a.on_overload(kT0 + 3s);  // same window: no second halving
  EXPECT_EQ(a.limit(), 32);
  a.on_overload(kT0 + 7s);  // a new window with a cluster still in it
  EXPECT_EQ(a.limit(), 16);
  for (int w = 0; w < 5; ++w) {
    for (int i = 0; i < 3; ++i) a.on_overload(kT0 + 20s + std::chrono::seconds(6 * w) + std::chrono::milliseconds(i));
  }
  EXPECT_EQ(a.limit(), 5);
}

TEST(Adaptive, ScatteredOverloadsDoNotHalve) {
  AdaptiveConcurrency a(10, 1, 5s, 3);
  for (int i = 0; i < 10; ++i) a.on_overload(kT0 + std::chrono::seconds(3 * i));
  EXPECT_EQ(a.limit(), 10);
}

TEST(Adaptive, RecoversByOnePerQuietWindow) {
  AdaptiveConcurrency a(8, 1, 5s, 2);
  a.on_overload(kT0);
  a.on_overload(kT0 + 1s);
  EXPECT_EQ(a.limit(), 4);
  a.on_ok(kT0 + 2s);
  a.on_ok(kT0 + 5s);
  EXPECT_EQ(a.limit(), 4);  // the window after the last overload is not over
  a.on_ok(kT0 + 6s);
  EXPECT_EQ(a.limit(), 5);
  a.on_ok(kT0 + 7s);
  EXPECT_EQ(a.limit(), 5);  // one step per window
  a.on_ok(kT0 + 11s);
  EXPECT_EQ(a.limit(), 6);
  a.on_ok(kT0 + 16s);
  a.on_ok(kT0 + 21s);
  a.on_ok(kT0 + 26s);
  a.on_ok(kT0 + 31s);
  EXPECT_EQ(a.limit(), 8);  // never above max
}

TEST(Adaptive, LargeLimitsRecoverByATenthPerQuietWindow) {
  AdaptiveConcurrency a(1000, 10, 5s, 1);
  a.on_overload(kT0);
  EXPECT_EQ(a.limit(), 500);
  a.on_ok(kT0 + 6s);
  EXPECT_EQ(a.limit(), 550);
  a.on_ok(kT0 + 12s);
  EXPECT_EQ(a.limit(), 605);
}

TEST(Breaker, ClosedOpenHalfOpenClosed) {
  CircuitBreaker c(3, 5s);
  EXPECT_EQ(c.state(), CircuitBreaker::State::closed);
  c.on_transport_failure(kT0);
  c.on_transport_failure(kT0);
  c.on_success();  // a success resets the count
  c.on_transport_failure(kT0);
  c.on_transport_failure(kT0);
  EXPECT_TRUE(c.allow(kT0));
  c.on_transport_failure(kT0 + 1s);
  EXPECT_EQ(c.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(c.allow(kT0 + 2s));
  EXPECT_FALSE(c.allow(kT0 + 5999ms));
  EXPECT_TRUE(c.allow(kT0 + 6s));  // the probe
  EXPECT_EQ(c.state(), CircuitBreaker::State::half_open);
  EXPECT_FALSE(c.allow(kT0 + 6s));
  EXPECT_FALSE(c.allow(kT0 + 60s));
  c.on_success();
  EXPECT_EQ(c.state(), CircuitBreaker::State::closed);
  EXPECT_TRUE(c.allow(kT0 + 61s));
}

TEST(Breaker, FailedProbeReopensForAnotherCooldown) {
  CircuitBreaker c(1, 5s);
  c.on_transport_failure(kT0);
  EXPECT_EQ(c.state(), CircuitBreaker::State::open);
  EXPECT_TRUE(c.allow(kT0 + 5s));
  c.on_transport_failure(kT0 + 7s);
  EXPECT_EQ(c.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(c.allow(kT0 + 11s));
  EXPECT_TRUE(c.allow(kT0 + 12s));
}

TEST(Breaker, ZeroThresholdNeverOpens) {
  CircuitBreaker c(0, 5s);
  for (int i = 0; i < 100; ++i) c.on_transport_failure(kT0);
  EXPECT_TRUE(c.allow(kT0));
  EXPECT_EQ(c.state(), CircuitBreaker::State::closed);
}

}  // namespace
}  // namespace crewai

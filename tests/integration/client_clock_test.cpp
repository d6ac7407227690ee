// The client in virtual time: Retry-After, backoff, the not-found grace and deadlines with the
// library's real default durations (seconds, minutes, an hour), measured on a ManualClock that
// the simulator's runs read too. The requests go over real sockets; none of the waiting is real.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "crewai/client.hpp"
#include "crewai/clock.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Virtual {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(true);

  SimFixture sim(const json& faults = json::object(), double time_scale = 1.0) const {
    return SimFixture("research", [&](sim::ServerOptions& o) {
      o.now = [c = clock] { return c->now(); };
      o.time_scale = time_scale;
      o.faults = sim::parse_faults(faults).value();
    });
  }
  // The library's default policies: only the clock and the jitter seed are set.
  Client client(const SimFixture& sim, const std::function<void(ClientOptions&)>& tweak = {}) const {
    ClientOptions o;
    o.base_url = sim.base_url();
    o.token = kSimToken;
    o.clock = clock;
    o.random_seed = 11;
    if (tweak) tweak(o);
    return Client::create(std::move(o)).value();
  }
  Clock::duration elapsed() const { return clock->elapsed(); }
};

// Requests the simulator answered on `endpoint` with `code` (empty: any code).
std::int64_t requests(const SimFixture& sim, const std::string& endpoint, const std::string& code) {
  auto r = sim.stats()["requests"];
  if (!r.contains(endpoint)) return 0;
  std::int64_t n = 0;
  for (auto& [c, count] : r[endpoint].items()) {
    if (code.empty() || c == code) n += count.get<std::int64_t>();
  }
  return n;
}

KickoffRequest topic(const std::string& t) {
  KickoffRequest r;
  r.inputs = {{"topic", t}, {"current_year", "2026"}};
  return r;
}

TEST(ClientClock, RetryAfterIsHonouredInFullNotClampedOrGuessed) {
  Virtual vt;
  auto sim = vt.sim(json{{"cold_start", {{"requests", 3}, {"status", 503}, {"retry_after", 20}}}});
  auto c = vt.client(sim);
  auto names = c.inputs();
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_EQ(requests(sim, "GET /inputs", "503"), 3);
  EXPECT_EQ(requests(sim, "GET /inputs", "200"), 1);
  // Three waits of exactly the server's 20 s, none of the default backoff's 250 ms steps.
  EXPECT_EQ(vt.elapsed(), 60s);
  EXPECT_EQ(c.stats().retries, 3u);
}

TEST(ClientClock, BackoffGrowsExponentiallyAndStopsAtMaxAttempts) {
  Virtual vt;
  auto sim = vt.sim(json{{"inputs", {{"errors", {{"503", 1.0}}}}}});
  auto c = vt.client(sim, [](ClientOptions& o) {
    o.retry.backoff.initial = 1s;
    o.retry.backoff.multiplier = 2;
    o.retry.backoff.jitter = BackoffPolicy::Jitter::none;
    o.retry.max_attempts = 5;
  });
  auto names = c.inputs();
  ASSERT_FALSE(names);
  EXPECT_EQ(names.error().code, ErrorCode::unavailable);
  EXPECT_EQ(requests(sim, "GET /inputs", "503"), 5);
  EXPECT_EQ(vt.elapsed(), 1s + 2s + 4s + 8s);
}

TEST(ClientClock, NotFoundIsToleratedForTheWholeGraceThenReported) {
  Virtual vt;
  auto sim = vt.sim();
  auto c = vt.client(sim);  // default grace: 30 s; default polls: 1 s growing
  auto w = c.wait("00000000-0000-0000-0000-000000000000");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::not_found);
  EXPECT_GE(vt.elapsed(), 30s);
  EXPECT_LT(vt.elapsed(), 30s + PollPolicy{}.cap * 2);
  EXPECT_GE(requests(sim, "GET /status", ""), 3);  // it polled through the grace
}

// Right after a kickoff the first poll waits PollPolicy::initial (1 s by default): a run of half a
// second is read once, done, where an immediate first poll cost a second request per run.
// wait(id) on a run started elsewhere still polls at once.
TEST(ClientClock, TheFirstPollAfterAKickoffWaitsTheInitialInterval) {
  Virtual vt;
  auto sim = vt.sim(json::object(), 0.5 / 120);  // research: 120 s of tasks -> 0.5 s
  auto c = vt.client(sim);
  auto r = c.run(topic("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_EQ(requests(sim, "GET /status", ""), 1);
  const auto after_run = vt.elapsed();
  EXPECT_GE(after_run, PollPolicy{}.initial * (1 - PollPolicy{}.jitter));

  auto again = c.wait(r->kickoff_id);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->state, RunState::success);
  EXPECT_EQ(requests(sim, "GET /status", ""), 2);
  EXPECT_EQ(vt.elapsed(), after_run);  // polled at once: no virtual time passed
}

// A run of 20 minutes (research's 120 s of tasks at time scale 10, on the virtual clock) against
// a 5-minute deadline, then the
// same run followed to its end: the deadline ends the wait with the kickoff id, never a second
// kickoff, and the later wait sees SUCCESS.
TEST(ClientClock, DeadlineEndsTheWaitAndTheRunCanBeFollowedLater) {
  Virtual vt;
  auto sim = vt.sim(json::object(), 10.0);
  auto c = vt.client(sim);
  auto id = c.kickoff(topic("slow"));
  ASSERT_TRUE(id) << id.error().to_string();
  WaitOptions w;
  w.deadline = 5min;
  auto r = c.wait(*id, w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
  EXPECT_EQ(r.error().kickoff_id, *id);
  EXPECT_GE(vt.elapsed(), 5min);
  EXPECT_LE(vt.elapsed(), 5min + PollPolicy{}.cap);
  auto later = c.wait(*id);
  ASSERT_TRUE(later) << later.error().to_string();
  EXPECT_TRUE(later->is_success());
  EXPECT_EQ(sim.stats()["kickoffs"]["total"].get<int>(), 1);
}

TEST(ClientClock, AStuckRunEndsAtItsOneHourDeadline) {
  Virtual vt;
  auto sim = vt.sim(json{{"stuck", 1.0}}, 0.001);
  auto c = vt.client(sim, [](ClientOptions& o) { o.poll.deadline = 1h; });
  auto r = c.run(topic("stuck"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
  EXPECT_FALSE(r.error().kickoff_id.empty());
  EXPECT_GE(vt.elapsed(), 1h);
  EXPECT_LE(vt.elapsed(), 1h + PollPolicy{}.cap);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"].get<int>(), 1);
}

// Thirty runs waited on at once, polled every 50 ms ± 20 %: without the grid each poll leaves at
// its own time and the (virtual) clock wakes once per poll; on PollPolicy::align's 10 ms grid the
// polls leave together, so the clock wakes at most once per grid step.
TEST(ClientClock, PollsOfManyRunsLeaveTogetherOnTheGrid) {
  struct Seen {
    std::uint64_t jumps = 0;
    std::int64_t polls = 0;
    Clock::duration waited{};
  };
  auto wait_for_thirty = [](Millis align) {
    Virtual vt;
    auto sim = vt.sim(json::object(), 1.0 / 120);  // research: 120 s of tasks -> 1 s
    auto c = vt.client(sim, [&](ClientOptions& o) {
      o.poll.initial = o.poll.cap = 50ms;
      o.poll.align = align;
    });
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
      auto id = c.kickoff(topic("t" + std::to_string(i)));
      EXPECT_TRUE(id) << id.error().to_string();
      if (id) ids.push_back(*id);
    }
    const auto jumps_before = vt.clock->jumps();
    const auto start = vt.elapsed();
    WaitOptions w;
    w.kicked_off_at = vt.clock->now();
    std::vector<Pending<RunResult>> waits;
    {
      // Time stands still until every wait is registered (a watch is busy until it says
      // otherwise): else, on a loaded machine, the clock could jump to the first polls while this
      // thread is still starting waits, whose first polls then come less than 4 grid steps after
      // they start and keep their exact times (PollPolicy::poll_time).
      auto hold = vt.clock->watch([] {});
      for (const auto& id : ids) waits.push_back(c.wait_async(id, w));
    }
    for (auto& p : waits) {
      auto r = p.get();
      EXPECT_TRUE(r && r->is_success()) << (r ? "" : r.error().to_string());
    }
    return Seen{vt.clock->jumps() - jumps_before, requests(sim, "GET /status", ""), vt.elapsed() - start};
  };
  const Seen spread = wait_for_thirty(0ms);
  const Seen aligned = wait_for_thirty(10ms);
  ASSERT_GE(spread.polls, 450);  // ~20 rounds of 30 polls each
  ASSERT_GE(aligned.polls, 450);
  // Spread polls fall due at whole milliseconds, so a few share one.
  EXPECT_GE(spread.jumps * 10, static_cast<std::uint64_t>(spread.polls) * 6) << spread.jumps;
  const auto steps = static_cast<std::uint64_t>(aligned.waited / 10ms);
  EXPECT_LE(aligned.jumps, steps + 1) << aligned.polls << " polls over " << steps << " steps";
  EXPECT_LE(aligned.jumps * 3, spread.jumps) << aligned.jumps << " vs " << spread.jumps;
}

}  // namespace
}  // namespace crewai::test

// crewai::Batch against the in-process simulator: order, invalid items, faults, ambiguous
// kickoffs, stop rules, retry_failed, rates, adaptive concurrency, the breaker, a slow observer and
// 10,000 in flight. Stopping, journals and crash/resume: batch_resume_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "integration/batch_support.hpp"

namespace crewai::test {
namespace {

TEST(BatchTest, RecordsComeInInputOrderWithTraceableRequestIds) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 32;
  auto report = run(c, topics(200), o);
  ASSERT_EQ(report.records.size(), 200u);
  std::set<std::string> request_ids;
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    const auto& r = report.records[i];
    EXPECT_EQ(r.index, i);
    EXPECT_EQ(r.id, "item-" + std::to_string(i));
    EXPECT_EQ(r.outcome, Outcome::succeeded) << r.error;
    EXPECT_EQ(r.result.value_or(""), "Report: topic-" + std::to_string(i));
    EXPECT_FALSE(r.kickoff_id.empty());
    EXPECT_EQ(r.attempts, 1);
    request_ids.insert(r.request_id);
  }
  EXPECT_EQ(request_ids.size(), 200u);
  EXPECT_EQ(kickoffs(sim), 200);
  auto by_id = sim.stats()["kickoffs"]["by_request_id"];
  for (const auto& id : request_ids) EXPECT_TRUE(by_id.contains(id)) << id;
  EXPECT_EQ(report.final_snapshot.succeeded, 200u);
  EXPECT_EQ(report.final_snapshot.done, 200u);
}

TEST(BatchTest, InvalidItemsAreRecordedAndNothingIsSpentOnThem) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  auto items = topics(10);
  items[2].inputs.erase("current_year");
  items[5].invalid_reason = "line 6: not valid JSON";
  items[7].inputs = json::array();
  auto report = run(c, items, {});
  auto t = tally(report);
  EXPECT_EQ(t[Outcome::invalid], 3);
  EXPECT_EQ(t[Outcome::succeeded], 7);
  EXPECT_NE(report.records[2].error.find("current_year"), std::string::npos);
  EXPECT_EQ(report.records[5].error, "line 6: not valid JSON");
  EXPECT_EQ(kickoffs(sim), 7);
}

TEST(BatchTest, DryRunSpendsNothing) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  auto items = topics(5);
  items[1].inputs.erase("topic");
  BatchOptions o;
  o.dry_run = true;
  auto report = run(c, items, o);
  auto t = tally(report);
  EXPECT_EQ(t[Outcome::invalid], 1);
  EXPECT_EQ(t[Outcome::skipped], 4);
  EXPECT_EQ(kickoffs(sim), 0);
}

TEST(BatchTest, TwoThousandItemsRideThroughStatusFaults) {
  SimFixture sim(write_crew(crew_json()), [](sim::ServerOptions& o) {
    json f = {{"status", {{"errors", {{"503", 0.10}, {"429", 0.05}}}, {"retry_after", 1},
                          {"reset", 0.02}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 200;
  o.adaptive = false;
  auto report = run(c, topics(2000), o);
  auto t = tally(report);
  EXPECT_EQ(t[Outcome::succeeded], 2000) << report.records[0].error;
  EXPECT_EQ(kickoffs(sim), 2000);
  expect_no_duplicate_kickoffs(sim);
  EXPECT_GT(report.final_snapshot.retries, 0u);
  EXPECT_GT(report.final_snapshot.http_429, 0u);
}

TEST(BatchTest, DroppedKickoffAnswersAreAmbiguousAndNeverRerun) {
  SimFixture sim(write_crew(crew_json()), [](sim::ServerOptions& o) {
    o.faults = sim::parse_faults(json{{"kickoff", {{"drop_response", 0.1}}}}).value();
  });
  auto c = make_client(sim);
  auto report = run(c, topics(300), {});
  auto t = tally(report);
  EXPECT_GT(t[Outcome::ambiguous], 0);
  EXPECT_EQ(t[Outcome::succeeded] + t[Outcome::ambiguous], 300);
  for (const auto& r : report.records) {
    if (r.outcome == Outcome::ambiguous) {
      EXPECT_TRUE(r.kickoff_id.empty());
      EXPECT_EQ(r.attempts, 1);
      EXPECT_FALSE(r.error.empty());
    }
  }
  EXPECT_EQ(kickoffs(sim), 300);  // the dropped ones were processed, and none was sent twice
  expect_no_duplicate_kickoffs(sim);
}

TEST(BatchTest, RetryFailedKicksOffNewRunsAndKeepsEveryId) {
  auto crew = crew_json();
  crew["failures"] = json::array({{{"rate", 0.5}, {"message", "flaky"}}});
  SimFixture sim(write_crew(crew));
  auto c = make_client(sim);
  BatchOptions o;
  o.retry_failed = 3;
  auto report = run(c, topics(100), o);
  std::int64_t attempts = 0;
  bool retried = false;
  for (const auto& r : report.records) {
    EXPECT_TRUE(r.outcome == Outcome::succeeded || r.outcome == Outcome::failed);
    EXPECT_EQ(r.kickoff_ids.size(), static_cast<std::size_t>(r.attempts));
    EXPECT_LE(r.attempts, 4);
    if (r.outcome == Outcome::failed) {
      EXPECT_EQ(r.attempts, 4);
    }
    if (r.attempts > 1) retried = true;
    attempts += r.attempts;
  }
  EXPECT_TRUE(retried);
  EXPECT_EQ(kickoffs(sim), attempts);
  expect_no_duplicate_kickoffs(sim);  // each attempt has its own requestId
}

TEST(BatchTest, MaxErrorsStopsNewKickoffsAndAccountsForEveryItem) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  auto items = topics(200, "fail-");
  BatchOptions o;
  o.max_concurrent = 4;
  o.max_errors = 5;
  auto report = run(c, items, o);
  EXPECT_TRUE(report.stopped);
  EXPECT_NE(report.stop_reason.find("max errors"), std::string::npos);
  auto t = tally(report);
  EXPECT_GE(t[Outcome::failed], 5);
  EXPECT_GT(t[Outcome::skipped], 0);
  EXPECT_EQ(t[Outcome::failed] + t[Outcome::skipped], 200);
  EXPECT_EQ(kickoffs(sim), t[Outcome::failed]);
  for (const auto& r : report.records) EXPECT_FALSE(r.error.empty());
}

TEST(BatchTest, MaxErrorRateAfterMinimumSample) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  auto items = topics(200);
  for (int i = 0; i < 200; i += 2) items[i].inputs["topic"] = "fail-" + std::to_string(i);
  BatchOptions o;
  o.max_concurrent = 4;
  o.max_error_rate = 0.3;
  o.min_sample = 20;
  auto report = run(c, items, o);
  EXPECT_TRUE(report.stopped);
  auto t = tally(report);
  EXPECT_GT(t[Outcome::skipped], 0);
  EXPECT_EQ(t[Outcome::failed] + t[Outcome::succeeded] + t[Outcome::skipped], 200);
}

class StopAfter : public BatchObserver {
 public:
  explicit StopAfter(int n) : n_(n) {}
  bool on_record(const ItemRecord&) override { return ++seen_ < n_; }
  std::atomic<int> seen_{0};
  int n_;
};

TEST(BatchTest, ObserverReturningFalseStopsTheBatch) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  StopAfter obs(20);
  BatchOptions o;
  o.max_concurrent = 8;
  auto report = run(c, topics(300), o, &obs);
  EXPECT_TRUE(report.stopped);
  auto t = tally(report);
  EXPECT_GE(t[Outcome::succeeded], 20);
  EXPECT_GT(t[Outcome::skipped], 0);
  EXPECT_EQ(t[Outcome::succeeded] + t[Outcome::skipped], 300);
  EXPECT_EQ(kickoffs(sim), t[Outcome::succeeded]);
}

// In virtual time: the rate waits are measured on the clock the batch and the client read.
TEST(BatchTest, KickoffAndRequestRatesAreHonoured) {
  VirtualTime vt;
  SimFixture sim(write_crew(crew_json(1)), vt.sim());
  auto c = make_client(sim, vt.client());
  BatchOptions o;
  o.max_concurrent = 50;
  o.kickoffs_per_second = 20;
  auto t0 = vt.elapsed();
  auto report = run(c, topics(50), o);
  // 50 kickoffs at 20/s with a burst of 20: the last 30 need at least 1.5 s of refill.
  EXPECT_GE(vt.elapsed() - t0, 1400ms);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 50);

  auto before = sim.stats();
  BatchOptions r;
  r.max_concurrent = 50;
  r.requests_per_second = 20;
  t0 = vt.elapsed();
  auto report2 = run(c, topics(30, "again-"), r);
  auto elapsed = vt.elapsed() - t0;
  EXPECT_EQ(tally(report2)[Outcome::succeeded], 30);
  // 1 /inputs + 30 kickoffs + at least 30 polls, at 20/s after a burst of 20: over 2 s.
  EXPECT_GE(elapsed, 1900ms);
  c.set_request_rate(0);
  // The bucket admits at most its burst (20) plus 20 per second of elapsed time.
  auto after = sim.stats();
  std::int64_t requests = 0;
  for (auto& [endpoint, codes] : after["requests"].items()) {
    for (auto& [code, n] : codes.items()) requests += n.get<std::int64_t>();
  }
  for (auto& [endpoint, codes] : before["requests"].items()) {
    for (auto& [code, n] : codes.items()) requests -= n.get<std::int64_t>();
  }
  double seconds = std::chrono::duration<double>(elapsed).count();
  EXPECT_GE(requests, 61);
  EXPECT_LE(static_cast<double>(requests), 20.0 + 20.0 * seconds + 2.0);
}

class MinConcurrency : public BatchObserver {
 public:
  void on_snapshot(const BatchSnapshot& s) override {
    int seen = lowest.load();
    while (s.concurrency < seen && !lowest.compare_exchange_weak(seen, s.concurrency)) {
    }
  }
  std::atomic<int> lowest{1 << 30};
};

TEST(BatchTest, ConcurrencyHalvesUnderA429Storm) {
  // Runs of ~1 s (virtual) each: the storm lasts several of the scheduler's one-second judging
  // windows.
  VirtualTime vt;
  SimFixture sim(write_crew(crew_json(500)), vt.sim([](sim::ServerOptions& o) {
    json f = {{"status", {{"errors", {{"429", 0.5}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  }));
  auto c = make_client(sim, vt.client([](ClientOptions& o) {
    o.retry.max_attempts = 30;
    o.poll.initial = o.poll.cap = 250ms;  // in virtual time a fast poll only costs round trips
  }));
  MinConcurrency obs;
  BatchOptions o;
  o.max_concurrent = 64;
  o.min_concurrent = 4;
  o.snapshot_interval = 10ms;
  auto report = run(c, topics(256), o, &obs);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 256);
  EXPECT_LT(obs.lowest.load(), 64);
  EXPECT_GE(obs.lowest.load(), 4);
  EXPECT_GT(report.final_snapshot.http_429, 0u);
}

TEST(BatchTest, ASteadyTrickleOfOverloadsDoesNotShrinkConcurrency) {
  VirtualTime vt;
  SimFixture sim(write_crew(crew_json(500)), vt.sim([](sim::ServerOptions& o) {  // several 1 s windows
    json f = {{"status", {{"errors", {{"503", 0.05}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  }));
  auto c = make_client(sim, vt.client([](ClientOptions& o) { o.poll.initial = o.poll.cap = 250ms; }));
  MinConcurrency obs;
  BatchOptions o;
  o.max_concurrent = 64;
  o.snapshot_interval = 10ms;
  auto report = run(c, topics(256), o, &obs);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 256);
  EXPECT_EQ(obs.lowest.load(), 64);  // the retry policy absorbs it; no halving to the floor
}

class BreakerWatch : public BatchObserver {
 public:
  void on_snapshot(const BatchSnapshot& s) override {
    if (s.circuit_open) saw_open = true;
  }
  std::atomic<bool> saw_open{false};
};

TEST(BatchTest, CircuitBreakerPausesKickoffsThenProbesAndRecovers) {
  VirtualTime vt;
  SimFixture sim(write_crew(crew_json()), vt.sim([](sim::ServerOptions& o) {
    json f = {{"cold_start", {{"requests", 12}, {"status", 503}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  }));
  auto c = make_client(sim, vt.client([](ClientOptions& o) { o.retry.max_attempts = 1; }));
  BreakerWatch watch;
  BatchOptions o;
  o.check_inputs = false;
  o.max_concurrent = 2;
  o.breaker_threshold = 3;
  o.breaker_cooldown = 40ms;
  o.snapshot_interval = 2ms;
  auto report = run(c, topics(10), o, &watch);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 10);
  EXPECT_TRUE(watch.saw_open.load());
  EXPECT_EQ(kickoffs(sim), 10);  // refused kickoffs never reached the app; none ran twice
  expect_no_duplicate_kickoffs(sim);
}

// The observer blocks on its first record until every kickoff has been made: the scheduler and
// the engine must go on without it.
class BlockedObserver : public BatchObserver {
 public:
  bool on_record(const ItemRecord&) override {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return released; });
    ++records;
    return true;
  }
  void release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> records{0};
};

TEST(BatchTest, ASlowObserverDoesNotStallTheBatch) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BlockedObserver obs;
  BatchOptions o;
  o.max_concurrent = 8;
  constexpr int kItems = 60;
  std::thread releaser([&] {
    auto until = std::chrono::steady_clock::now() + 60s;
    while (kickoffs(sim) < kItems && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    obs.release();
  });
  auto report = run(c, topics(kItems), o, &obs);
  releaser.join();
  EXPECT_EQ(kickoffs(sim), kItems);  // all kicked off while the observer was blocked
  EXPECT_EQ(tally(report)[Outcome::succeeded], kItems);
  EXPECT_EQ(obs.records.load(), kItems);  // and it still got every record afterwards
}
// The scheduler's turns run on the client's engine thread (turns.cpp): a run's end and the next
// kickoff now happen there without a handoff. Seen from the simulator: never more runs live than
// the limit, the limit reached again after the first runs ended (each end led to a kickoff), and
// every item kicked off once.
TEST(BatchTest, TurnsOnTheEngineKeepConcurrencyFullAndKickOffEachItemOnce) {
  SimFixture sim(write_crew(crew_json(150)));  // ~0.3 s per run
  auto c = make_client(sim);
  constexpr int kLimit = 8;
  constexpr int kItems = 4 * kLimit;
  BatchOptions o;
  o.max_concurrent = kLimit;
  o.adaptive = false;
  std::atomic<bool> over{false};
  std::atomic<std::int64_t> most{0};
  std::atomic<bool> refilled{false};  // kLimit live after more than kLimit kickoffs
  std::thread watcher([&] {
    while (!over) {
      auto s = sim.stats();
      auto live = s["runs"]["live"].get<std::int64_t>();
      auto sent = s["kickoffs"]["total"].get<std::int64_t>();
      most = std::max(most.load(), live);
      if (live == kLimit && sent > kLimit) refilled = true;
      std::this_thread::yield();
    }
  });
  auto report = run(c, topics(kItems), o);
  over = true;
  watcher.join();
  EXPECT_EQ(tally(report)[Outcome::succeeded], kItems);
  EXPECT_EQ(kickoffs(sim), kItems);
  expect_no_duplicate_kickoffs(sim);
  EXPECT_LE(most.load(), kLimit);
  EXPECT_TRUE(refilled.load()) << "the limit was not reached again after the first runs ended";
}

// The batch's turns run on the client's engine thread: run() called there would wait for itself.
TEST(BatchTest, RunFromAClientCallbackFailsInsteadOfWaitingForItself) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BatchOptions o;
  o.check_inputs = false;  // else the preflight's sync call is what refuses (sync on the engine thread)
  auto b = Batch::create(c, topics(2), o).value();
  // then() runs its callback at once, on this thread, when the answer came before it was called
  // (a slow machine, TSan): that run() would be legitimate, so such a try calls nothing and the
  // call is made again until its callback runs on the engine thread.
  const auto test_thread = std::this_thread::get_id();
  std::optional<Result<BatchReport>> r;
  for (int attempt = 0; attempt < 100 && !r; ++attempt) {
    std::promise<std::optional<Result<BatchReport>>> got;
    c.inputs_async().then([&](Result<std::vector<std::string>>) {
      if (std::this_thread::get_id() == test_thread) return got.set_value(std::nullopt);
      got.set_value(b->run());
    });
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
    r = f.get();
  }
  ASSERT_TRUE(r) << "no callback ran on the engine thread in 100 calls";
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ErrorCode::internal);
  EXPECT_EQ(kickoffs(sim), 0);
}

TEST(BatchTest, TenThousandRunsInFlight) {
  SimFixture sim(write_crew(crew_json(500)));  // ~1 s per run: all 10,000 get in flight
  auto c = make_client(sim, [](ClientOptions& o) {
    o.poll.initial = 200ms;  // 10,000 runs polled fast would only measure the simulator
    o.poll.growth = 1.5;
    o.poll.cap = 1s;
  });
  Counter counter;
  BatchOptions o;
  o.max_concurrent = 10000;
  o.adaptive = false;
  o.snapshot_interval = 50ms;
  auto report = run(c, topics(10000), o, &counter);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 10000);
  EXPECT_EQ(kickoffs(sim), 10000);
  EXPECT_GT(counter.max_in_flight.load(), 1000u);
}

}  // namespace
}  // namespace crewai::test

// crewai::Batch against the in-process simulator: order, invalid items, faults, ambiguous
// kickoffs, crash and resume (SIGKILL), stop rules, retry_failed, journal binding, 10,000 in flight.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "crewai/batch.hpp"
#include "support/sim_fixture.hpp"

extern char** environ;

namespace crewai {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::SimFixture;

json crew_json(double task_seconds = 10) {
  json c = json::parse(R"J({
    "name": "research", "inputs": ["topic", "current_year"],
    "tasks": [
      {"name": "research", "agent": "Researcher", "duration": 10, "output": "notes on {topic}"},
      {"name": "write", "agent": "Writer", "duration": 10, "output": "report on {topic}"}
    ],
    "result": "Report: {topic}",
    "failures": [{"when": {"input": "topic", "matches": "^fail"}, "message": "tool crashed"}]
  })J");
  c["tasks"][0]["duration"] = task_seconds;
  c["tasks"][1]["duration"] = task_seconds;
  return c;
}

std::string write_crew(const json& crew) {
  static std::atomic<int> n{0};
  auto path = std::filesystem::temp_directory_path() /
              ("crewai-batch-crew-" + std::to_string(::getpid()) + "-" + std::to_string(n++) +
               ".json");
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(crew.dump().c_str(), f);
  std::fclose(f);
  return path.string();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/crewai-batch-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

Client make_client(const SimFixture& sim, std::function<void(ClientOptions&)> tweak = nullptr) {
  ClientOptions o;
  o.base_url = sim.base_url();
  o.token = test::kSimToken;
  o.poll.initial = 5ms;
  o.poll.growth = 1.3;
  o.poll.cap = 30ms;
  o.poll.deadline = 120s;
  o.retry.backoff.initial = 5ms;
  o.retry.backoff.max = 50ms;
  o.retry.max_retry_after = 50ms;
  o.retry.max_attempts = 10;
  o.random_seed = 3;
  if (tweak) tweak(o);
  return Client::create(o).value();
}

std::vector<BatchItem> topics(int n, const std::string& prefix = "topic-") {
  std::vector<BatchItem> items;
  for (int i = 0; i < n; ++i) {
    BatchItem it;
    it.id = "item-" + std::to_string(i);
    it.inputs = {{"topic", prefix + std::to_string(i)}, {"current_year", "2026"}};
    items.push_back(std::move(it));
  }
  return items;
}

BatchReport run(Client& c, std::vector<BatchItem> items, BatchOptions o,
                BatchObserver* obs = nullptr) {
  auto b = Batch::create(c, std::move(items), std::move(o), obs);
  if (!b) throw std::runtime_error(b.error().to_string());
  auto r = (*b)->run();
  if (!r) throw std::runtime_error(r.error().to_string());
  return std::move(*r);
}

std::map<Outcome, int> tally(const BatchReport& r) {
  std::map<Outcome, int> m;
  int shown = 0;
  for (const auto& rec : r.records) {
    ++m[rec.outcome];
    if (rec.outcome != Outcome::succeeded && shown++ < 3) {
      std::printf("  item %zu: %s: %s\n", rec.index, std::string(to_string(rec.outcome)).c_str(),
                  rec.error.c_str());
    }
  }
  return m;
}

// Every requestId the simulator saw was kicked off exactly once.
void expect_no_duplicate_kickoffs(const SimFixture& sim) {
  auto by_id = sim.stats()["kickoffs"]["by_request_id"];
  for (auto& [id, n] : by_id.items()) EXPECT_EQ(n.get<int>(), 1) << "requestId " << id;
}

std::int64_t kickoffs(const SimFixture& sim) {
  return sim.stats()["kickoffs"]["total"].get<std::int64_t>();
}

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

class Counter : public BatchObserver {
 public:
  bool on_record(const ItemRecord&) override {
    ++records;
    return true;
  }
  void on_snapshot(const BatchSnapshot& s) override {
    ++snapshots;
    max_in_flight = std::max<std::size_t>(max_in_flight, s.in_flight);
  }
  std::atomic<int> records{0}, snapshots{0};
  std::atomic<std::size_t> max_in_flight{0};
};

TEST(BatchTest, RequestStopFinishesInFlightRunsThenForceLeavesThemResumable) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json(200)));  // 0.4 s per run at the fixture's time scale
  auto c = make_client(sim);
  auto items = topics(100);
  BatchOptions o;
  o.max_concurrent = 10;
  o.journal_path = dir.file("j.sqlite");
  Counter counter;
  auto b = Batch::create(c, items, o, &counter).value();
  std::thread stopper([&] {
    auto until = std::chrono::steady_clock::now() + 30s;
    while (counter.records.load() < 15 && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    b->request_stop();  // no new kickoffs; in-flight runs are followed
  });
  auto report = b->run().value();
  stopper.join();
  EXPECT_TRUE(report.stopped);
  auto t = tally(report);
  EXPECT_EQ(t[Outcome::succeeded] + t[Outcome::skipped], 100);
  EXPECT_EQ(kickoffs(sim), t[Outcome::succeeded]);  // every kicked-off run was followed to its end

  // Second session: force stop while runs are in flight.
  auto b2 = Batch::create(c, items, o, &counter).value();
  counter.records = 0;
  std::thread forcer([&] {
    auto until = std::chrono::steady_clock::now() + 30s;
    while (counter.records.load() < t[Outcome::succeeded] + 5 &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    b2->request_stop(true);
  });
  auto forced = b2->run().value();
  forcer.join();
  auto t2 = tally(forced);
  EXPECT_EQ(t2[Outcome::succeeded] + t2[Outcome::skipped] + t2[Outcome::timeout], 100);
  EXPECT_EQ(forced.final_snapshot.restored, static_cast<std::size_t>(t[Outcome::succeeded]));

  // Third session: everything completes, and no run is kicked off twice.
  auto b3 = Batch::create(c, items, o).value();
  auto done = b3->run().value();
  EXPECT_EQ(tally(done)[Outcome::succeeded], 100);
  EXPECT_EQ(kickoffs(sim), 100);
  expect_no_duplicate_kickoffs(sim);
}

TEST(BatchTest, KickoffAndRequestRatesAreHonoured) {
  SimFixture sim(write_crew(crew_json(1)));
  auto c = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 50;
  o.kickoffs_per_second = 20;
  auto t0 = std::chrono::steady_clock::now();
  auto report = run(c, topics(50), o);
  // 50 kickoffs at 20/s with a burst of 20: the last 30 need at least 1.5 s of refill.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1400ms);
  EXPECT_EQ(tally(report)[Outcome::succeeded], 50);

  auto before = sim.stats();
  BatchOptions r;
  r.max_concurrent = 50;
  r.requests_per_second = 20;
  t0 = std::chrono::steady_clock::now();
  auto report2 = run(c, topics(30, "again-"), r);
  auto elapsed = std::chrono::steady_clock::now() - t0;
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
  // Runs of ~1 s each: the storm lasts several of the scheduler's one-second judging windows.
  SimFixture sim(write_crew(crew_json(500)), [](sim::ServerOptions& o) {
    json f = {{"status", {{"errors", {{"429", 0.5}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim, [](ClientOptions& o) { o.retry.max_attempts = 30; });
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
  SimFixture sim(write_crew(crew_json(500)), [](sim::ServerOptions& o) {  // several 1 s windows
    json f = {{"status", {{"errors", {{"503", 0.05}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim);
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
  SimFixture sim(write_crew(crew_json()), [](sim::ServerOptions& o) {
    json f = {{"cold_start", {{"requests", 12}, {"status", 503}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim, [](ClientOptions& o) { o.retry.max_attempts = 1; });
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

TEST(BatchTest, JournalIsBoundToInputsAndDeployment) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BatchOptions o;
  o.journal_path = dir.file("bound.sqlite");
  ASSERT_TRUE(run(c, topics(5), o).records.size() == 5);
  auto other_inputs = Batch::create(c, topics(6), o);
  ASSERT_FALSE(other_inputs);
  EXPECT_NE(other_inputs.error().message.find("inputs"), std::string::npos)
      << other_inputs.error().message;

  SimFixture sim2(write_crew(crew_json()));
  auto c2 = make_client(sim2);
  auto other_deployment = Batch::create(c2, topics(5), o);
  ASSERT_FALSE(other_deployment);
  EXPECT_NE(other_deployment.error().message.find(sim.base_url()), std::string::npos)
      << other_deployment.error().message;

  // Reopened with the same inputs: everything is restored, nothing is kicked off again.
  auto again = run(c, topics(5), o);
  EXPECT_EQ(again.final_snapshot.restored, 5u);
  EXPECT_EQ(kickoffs(sim), 5);
}

TEST(BatchTest, UnwritableJournalIsAClearErrorBeforeAnyKickoff) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BatchOptions o;
  o.journal_path = "/nonexistent-dir/j.sqlite";
  auto b = Batch::create(c, topics(3), o);
  ASSERT_FALSE(b);
  EXPECT_FALSE(b.error().message.empty());
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

// --- crash and resume: the batch in a child process, SIGKILLed at several points ---------------

struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffered;
};

Child spawn_child(const std::string& url, const std::string& journal, int n) {
  const char* bin = std::getenv("CREWAI_BATCH_CHILD");
  if (!bin) throw std::runtime_error("CREWAI_BATCH_CHILD is not set");
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::string ns = std::to_string(n);
  std::vector<std::string> args = {bin, url, test::kSimToken, journal, ns, "20"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  if (posix_spawn(&c.pid, bin, &fa, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("posix_spawn");
  }
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  c.out = fds[0];
  return c;
}

// Reads lines until `lines` have arrived or the child closed its output.
int read_lines(Child& c, int lines) {
  int seen = 0;
  char buf[4096];
  while (seen < lines) {
    ssize_t got = ::read(c.out, buf, sizeof buf);
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; ++i) seen += buf[i] == '\n';
  }
  return seen;
}

TEST(BatchTest, KilledWithSigkillAndReopenedCompletesWithoutDuplicateKickoffs) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json(40)));  // ~80 ms per run
  constexpr int kItems = 300;
  std::string journal = dir.file("crash.sqlite");
  for (int round = 1; round <= 5; ++round) {
    Child c = spawn_child(sim.base_url(), journal, kItems);
    // Kill it at a different point each round: after 0, 25, 50, ... newly printed records.
    read_lines(c, (round - 1) * 25 + (round == 1 ? 0 : 1));
    ::kill(c.pid, SIGKILL);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    ::close(c.out);
  }
  Child last = spawn_child(sim.base_url(), journal, kItems);
  int lines = read_lines(last, kItems + 1);
  int status = 0;
  ::waitpid(last.pid, &status, 0);
  ::close(last.out);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(lines, kItems);  // restored + new: one record per item

  expect_no_duplicate_kickoffs(sim);
  EXPECT_LE(kickoffs(sim), kItems);
}

}  // namespace
}  // namespace crewai

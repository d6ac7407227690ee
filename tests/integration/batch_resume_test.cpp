// crewai::Batch stopping and resuming: request_stop (gentle, then forced) and reopening, the
// journal's binding to inputs and deployment, an unwritable journal, a rerun of ambiguous items,
// and the batch in a child process SIGKILLed at several points and reopened.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <optional>
#include <mutex>
#include <thread>

#include "batch/batch_factory.hpp"
#include "batch/journal.hpp"
#include "batch/scheduler.hpp"  // kForcedKickoffGrace
#include "integration/batch_support.hpp"

extern char** environ;

namespace crewai::test {
namespace {

// Issue 13, point 4: under load the journal writes intents, kickoff ids and final records of many
// items per transaction. The figure is printed (transactions per item); what always holds is asserted.
TEST(BatchResumeTest, JournalGroupCommitsUnderLoad) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json(5)));  // 10 ms per run
  auto c = make_client(sim);
  constexpr int kItems = 400;
  BatchOptions o;
  o.max_concurrent = 50;
  auto j = batch::open_sqlite_journal(dir.file("load.sqlite")).value();
  batch::Journal* journal = j.get();
  auto b = batch::BatchFactory::create(c, topics(kItems), o, std::move(j), nullptr).value();
  auto report = b->run().value();
  EXPECT_EQ(tally(report)[Outcome::succeeded], kItems);
  const batch::JournalStats s = journal->stats();
  EXPECT_EQ(s.operations, 3u * kItems);  // an intent, a kickoff id and a final record each
  EXPECT_LE(s.transactions, s.operations);
  std::cout << "[ figure ] journal: " << s.operations << " operations in " << s.transactions
            << " transactions (" << static_cast<double>(s.transactions) / kItems << " per item)\n";
}

// Wraps a journal to watch the batch use it: which intents it records under one commit hold, and,
// when each intent is reported durable, whether its kickoff already reached the simulator. It
// withholds the intents (writes none) until release_intents(): until then no kickoff may leave.
class WatchedJournal : public batch::Journal {
 public:
  WatchedJournal(std::unique_ptr<batch::Journal> inner, const SimFixture& sim)
      : inner_(std::move(inner)), sim_(sim) {}
  Result<void> bind(const batch::BatchIdentity& id) override { return inner_->bind(id); }
  Result<std::optional<batch::BatchIdentity>> identity() override { return inner_->identity(); }
  Result<std::vector<batch::JournalItem>> load() override { return inner_->load(); }
  void record_intent(std::size_t index, int attempt, const std::string& request_id,
                     std::function<void(Result<void>)> done) override {
    auto write = [this, index, attempt, request_id, done = std::move(done)]() mutable {
      inner_->record_intent(index, attempt, request_id,
                            [this, request_id, done = std::move(done)](Result<void> r) {
                              if (sim_.stats()["kickoffs"]["by_request_id"].contains(request_id)) {
                                ++early_kickoffs;
                              }
                              done(std::move(r));
                            });
    };
    {
      std::lock_guard lk(mu_);
      intent_holds_.push_back(held_ > 0 ? hold_no_ : 0);
      if (withholding_) {
        withheld_.push_back(std::move(write));
        cv_.notify_all();
        return;
      }
    }
    write();
  }
  void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) override {
    inner_->record_kickoff(index, attempt, kickoff_id);
  }
  void record_final(const ItemRecord& rec) override { inner_->record_final(rec); }
  void withdraw_intent(std::size_t index, int attempt) override { inner_->withdraw_intent(index, attempt); }
  void hold_commits() override {
    {
      std::lock_guard lk(mu_);
      if (held_++ == 0) ++hold_no_;
    }
    inner_->hold_commits();
  }
  void release_commits() override {
    {
      std::lock_guard lk(mu_);
      --held_;
    }
    inner_->release_commits();
  }
  Result<void> flush() override { return inner_->flush(); }
  std::string path() const override { return inner_->path(); }

  bool wait_withheld(std::size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, 30s, [&] { return withheld_.size() >= n; });
  }
  void release_intents() {
    std::vector<std::function<void()>> writes;
    {
      std::lock_guard lk(mu_);
      withholding_ = false;
      writes.swap(withheld_);
    }
    for (auto& w : writes) w();
  }
  // Per intent, in order: the number of the hold it was recorded under (0: none).
  std::vector<int> intent_holds() const {
    std::lock_guard lk(mu_);
    return intent_holds_;
  }
  std::atomic<int> early_kickoffs{0};

 private:
  std::unique_ptr<batch::Journal> inner_;
  const SimFixture& sim_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int held_ = 0, hold_no_ = 0;
  std::vector<int> intent_holds_;
  bool withholding_ = true;
  std::vector<std::function<void()>> withheld_;
};

// Issue 13: the intents a loop turn launches together are recorded under one commit hold (so they
// share a transaction: journal_group_commit_test), and still no kickoff leaves before its intent is
// durable (the kickoff is now sent by whoever commits the intent, not by the loop).
TEST(BatchResumeTest, ATurnsIntentsShareOneCommitAndEachKickoffWaitsForIt) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json(5)));
  auto c = make_client(sim);
  constexpr int kItems = 60;
  BatchOptions o;
  o.max_concurrent = kItems;  // every item launches in the loop's first turn
  auto inner = batch::open_sqlite_journal(dir.file("watched.sqlite")).value();
  auto watched = std::make_unique<WatchedJournal>(std::move(inner), sim);
  WatchedJournal* w = watched.get();
  auto b = batch::BatchFactory::create(c, topics(kItems), o, std::move(watched), nullptr).value();
  std::optional<Result<BatchReport>> report;
  std::thread runner([&] { report = b->run(); });
  ASSERT_TRUE(w->wait_withheld(kItems));
  // A request sent after the batch's launches, through the same client: a kickoff sent at launch
  // (before its intent is durable) would have reached the simulator by its answer.
  ASSERT_TRUE(c.inputs());
  EXPECT_EQ(kickoffs(sim), 0) << "kickoffs left before their intents were written";
  w->release_intents();
  runner.join();
  ASSERT_TRUE(report && *report);
  EXPECT_EQ(tally(**report)[Outcome::succeeded], kItems);
  EXPECT_EQ(w->early_kickoffs.load(), 0)
      << "a kickoff reached the app before its intent was durable";
  const std::vector<int> holds = w->intent_holds();
  ASSERT_EQ(holds.size(), static_cast<std::size_t>(kItems));
  for (int h : holds) EXPECT_EQ(h, holds.front()) << "the first turn's intents under one hold";
  EXPECT_NE(holds.front(), 0);
  expect_no_duplicate_kickoffs(sim);
}

// A forced stop aborts the kickoffs that have not left yet (after a grace). Such a kickoff was
// never sent, so the resume runs its item: it is not `ambiguous`, and nothing is paid for twice.
// Virtual time: the intents are withheld, so no kickoff can leave before the grace has passed.
TEST(BatchResumeTest, AKickoffStoppedBeforeItLeftIsRunOnResume) {
  TempDir dir;
  VirtualTime vt;
  SimFixture sim(write_crew(crew_json(5)), vt.sim());
  auto c = make_client(sim, vt.client());
  constexpr int kItems = 4;
  BatchOptions o;
  o.max_concurrent = kItems;
  o.journal_path = dir.file("stopped.sqlite");
  {
    auto inner = batch::open_sqlite_journal(o.journal_path).value();
    auto watched = std::make_unique<WatchedJournal>(std::move(inner), sim);
    WatchedJournal* w = watched.get();
    BatchOptions first = o;
    first.journal_path.clear();  // the journal is given opened
    auto b = batch::BatchFactory::create(c, topics(kItems), first, std::move(watched), nullptr).value();
    std::optional<Result<BatchReport>> report;
    std::thread runner([&] { report = b->run(); });
    ASSERT_TRUE(w->wait_withheld(kItems));
    const auto forced = vt.clock->elapsed();
    b->request_stop(true);
    // The clock jumps only while the batch loop is idle: one jump after the grace has passed means
    // the loop has acted on it (the kickoffs not yet sent are stopped).
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (vt.clock->elapsed() < forced + kForcedKickoffGrace &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    const auto jumps = vt.clock->jumps();
    while (vt.clock->jumps() == jumps && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    w->release_intents();
    runner.join();
    ASSERT_TRUE(report && *report);
    EXPECT_EQ(tally(**report)[Outcome::skipped], kItems);
    EXPECT_EQ(kickoffs(sim), 0);
  }
  auto resumed = run(c, topics(kItems), o);
  EXPECT_EQ(tally(resumed)[Outcome::succeeded], kItems) << "the stopped kickoffs run now, not `ambiguous`";
  EXPECT_EQ(kickoffs(sim), kItems);
  expect_no_duplicate_kickoffs(sim);
}

TEST(BatchResumeTest, RequestStopFinishesInFlightRunsThenForceLeavesThemResumable) {
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
  b.reset();  // a Batch holds its journal until it is destroyed
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
  b2.reset();
  auto b3 = Batch::create(c, items, o).value();
  auto done = b3->run().value();
  EXPECT_EQ(tally(done)[Outcome::succeeded], 100);
  EXPECT_EQ(kickoffs(sim), 100);
  expect_no_duplicate_kickoffs(sim);
}

TEST(BatchResumeTest, JournalIsBoundToInputsAndDeployment) {
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

TEST(BatchResumeTest, UnwritableJournalIsAClearErrorBeforeAnyKickoff) {
  SimFixture sim(write_crew(crew_json()));
  auto c = make_client(sim);
  BatchOptions o;
  o.journal_path = "/nonexistent-dir/j.sqlite";
  auto b = Batch::create(c, topics(3), o);
  ASSERT_FALSE(b);
  EXPECT_FALSE(b.error().message.empty());
  EXPECT_EQ(kickoffs(sim), 0);
}

TEST(BatchResumeTest, AmbiguousItemsAreRerunOnlyWhenAsked) {
  TempDir dir;
  SimFixture sim(write_crew(crew_json(1)), [](sim::ServerOptions& o) {
    o.faults.endpoints["kickoff"].drop_response = 1.0;  // runs start, their answers are lost
  });
  auto c = make_client(sim);
  BatchOptions o;
  o.journal_path = dir.file("ambiguous.sqlite");
  auto first = run(c, topics(4), o);
  EXPECT_EQ(tally(first)[Outcome::ambiguous], 4);
  EXPECT_EQ(kickoffs(sim), 4);

  sim.server().set_faults({});
  auto plain = run(c, topics(4), o);  // reopened: ambiguous records are restored, not re-sent
  EXPECT_EQ(tally(plain)[Outcome::ambiguous], 4);
  EXPECT_EQ(plain.final_snapshot.restored, 4u);
  EXPECT_EQ(kickoffs(sim), 4);

  o.rerun_ambiguous = true;
  auto rerun = run(c, topics(4), o);
  EXPECT_EQ(tally(rerun)[Outcome::succeeded], 4);
  for (const auto& r : rerun.records) {
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(r.request_id.substr(r.request_id.size() - 3), "-a2") << r.request_id;
  }
  EXPECT_EQ(kickoffs(sim), 8);
  expect_no_duplicate_kickoffs(sim);  // the rerun has new request ids
}

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

TEST(BatchResumeTest, KilledWithSigkillAndReopenedCompletesWithoutDuplicateKickoffs) {
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
}  // namespace crewai::test

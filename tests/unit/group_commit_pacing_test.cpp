// The journal writer's pacing (group_commit.hpp, "Pacing"): under load, commits of intents start at
// most once per min_interval, and every intent queued meanwhile shares that commit; an idle writer
// commits at once; flush() and the end never wait for the pace. In virtual time: a ManualClock that
// only the test moves, whose moves wake the writer. "Not yet committed" is asserted only once the
// writer has decided to wait (its queued_waits counter), so no assertion depends on a race.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "batch/group_commit.hpp"
#include "crewai/clock.hpp"

namespace crewai::batch {
namespace {

using std::chrono::milliseconds;

class GroupCommitPacingTest : public ::testing::Test {
 protected:
  std::unique_ptr<GroupCommit> start(milliseconds min_interval, bool commit_on_release = false) {
    GroupCommitOptions o;
    o.min_interval = min_interval;
    o.max_delay = milliseconds(20);
    o.commit_on_release = commit_on_release;
    o.clock = clock_;
    return std::make_unique<GroupCommit>(
        [this](std::vector<JournalOp>& ops) -> Result<void> {
          std::lock_guard lk(mu_);
          commits_.push_back({clock_->now(), ops.size(), std::this_thread::get_id()});
          return {};
        },
        o);
  }

  // Queues an intent (a gating operation); the future is ready once its commit is done.
  std::future<bool> intent(GroupCommit& w, std::size_t index) {
    auto done = std::make_shared<std::promise<bool>>();
    auto f = done->get_future();
    JournalOp op;
    op.index = index;
    op.done = [done](Result<void> r) { done->set_value(bool(r)); };
    w.enqueue(std::move(op));
    return f;
  }

  static bool ready(std::future<bool>& f, std::chrono::seconds within = std::chrono::seconds(30)) {
    return f.wait_for(within) == std::future_status::ready && f.get();
  }

  // Waits (30 s at most) until `holds`.
  static bool eventually(const std::function<bool()>& holds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!holds()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  // Until the writer has waited with work queued `n` times in all: it has looked at the queue and
  // found nothing due.
  static bool waited(GroupCommit& w, std::uint64_t n) {
    return eventually([&] { return w.stats().queued_waits >= n; });
  }

  struct Commit {
    Clock::time_point at;
    std::size_t ops;
    std::thread::id thread;
  };
  std::vector<Commit> commits() {
    std::lock_guard lk(mu_);
    return commits_;
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mu_;
  std::vector<Commit> commits_;
};

TEST_F(GroupCommitPacingTest, IntentsWithinTheIntervalWaitForItsEndAndShareOneCommit) {
  auto w = start(milliseconds(10));
  const auto t0 = clock_->now();
  auto first = intent(*w, 0);
  ASSERT_TRUE(ready(first)) << "an idle writer commits an intent at once";
  std::vector<std::future<bool>> next;
  for (std::size_t i = 1; i <= 5; ++i) next.push_back(intent(*w, i));
  ASSERT_TRUE(waited(*w, 1)) << "the writer never waited for the pace";
  for (auto& f : next) EXPECT_NE(f.wait_for(milliseconds(0)), std::future_status::ready);
  clock_->advance(milliseconds(4));
  EXPECT_EQ(commits().size(), 1u);
  clock_->advance(milliseconds(6));
  for (auto& f : next) EXPECT_TRUE(ready(f));
  auto c = commits();
  ASSERT_EQ(c.size(), 2u) << "the five intents queued within the interval share one commit";
  EXPECT_EQ(c[0].ops, 1u);
  EXPECT_EQ(c[1].ops, 5u);
  EXPECT_EQ(c[1].at - t0, milliseconds(10)) << "committed when the interval since the first commit ended";
}

TEST_F(GroupCommitPacingTest, AnIntentAfterTheIntervalIsCommittedAtOnce) {
  auto w = start(milliseconds(10));
  auto first = intent(*w, 0);
  ASSERT_TRUE(ready(first));
  clock_->advance(milliseconds(10));
  auto second = intent(*w, 1);
  EXPECT_TRUE(ready(second)) << "the clock did not move again: the writer did not wait";
  EXPECT_EQ(commits().size(), 2u);
  EXPECT_EQ(w->stats().queued_waits, 0u);
}

TEST_F(GroupCommitPacingTest, ZeroIntervalCommitsAsSoonAsTheWriterIsFree) {
  auto w = start(milliseconds(0));
  for (std::size_t i = 0; i < 3; ++i) {
    auto f = intent(*w, i);
    EXPECT_TRUE(ready(f)) << "intent " << i;
  }
  EXPECT_EQ(commits().size(), 3u);
  EXPECT_EQ(w->stats().queued_waits, 0u);
}

TEST_F(GroupCommitPacingTest, FlushAndTheEndDoNotWaitForThePace) {
  auto w = start(milliseconds(10));
  auto first = intent(*w, 0);
  ASSERT_TRUE(ready(first));
  auto second = intent(*w, 1);
  ASSERT_TRUE(w->flush());
  EXPECT_TRUE(ready(second, std::chrono::seconds(0))) << "flush() returned before the intent was written";
  auto third = intent(*w, 2);
  w.reset();  // the end: writes what is queued
  EXPECT_TRUE(ready(third, std::chrono::seconds(0)));
  EXPECT_EQ(commits().size(), 3u);
}

TEST_F(GroupCommitPacingTest, AHoldReleasedWithinTheIntervalLeavesTheCommitToTheWriter) {
  auto w = start(milliseconds(10), /*commit_on_release=*/true);
  auto first = intent(*w, 0);
  ASSERT_TRUE(ready(first));
  w->hold();
  auto held = intent(*w, 1);
  w->release();  // within the interval: not committed here, on the releasing thread
  EXPECT_NE(held.wait_for(milliseconds(0)), std::future_status::ready);
  ASSERT_TRUE(waited(*w, 1));
  clock_->advance(milliseconds(10));
  ASSERT_TRUE(ready(held));
  ASSERT_TRUE(w->flush());  // the writer is done with that commit (its callbacks run before)
  auto c = commits();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[1].thread, std::this_thread::get_id());
  // After the interval, a released hold commits on the releasing thread again.
  clock_->advance(milliseconds(10));
  w->hold();
  auto later = intent(*w, 2);
  w->release();
  EXPECT_EQ(later.wait_for(milliseconds(0)), std::future_status::ready);
  EXPECT_EQ(commits().back().thread, std::this_thread::get_id());
}

TEST_F(GroupCommitPacingTest, ADeferredOperationIsWrittenWhenTheVirtualClockPassesMaxDelay) {
  auto w = start(milliseconds(10));
  JournalOp op;
  op.kind = JournalOp::Kind::kickoff;
  w->enqueue(std::move(op));
  ASSERT_TRUE(waited(*w, 1));
  EXPECT_EQ(w->stats().transactions, 0u);
  clock_->advance(milliseconds(20));
  EXPECT_TRUE(eventually([&] { return w->stats().transactions > 0; })) << "the clock's move did not wake the writer";
  EXPECT_EQ(w->stats().transactions, 1u);
}

// A pace longer than max_delay raises it: deferred operations then ride along with the paced
// commits instead of forcing commits of their own between them (with a 40 ms pace and the 20 ms
// max_delay, a batch still made one commit per 20 ms).
TEST_F(GroupCommitPacingTest, APaceLongerThanMaxDelayHoldsDeferredOperationsToIt) {
  auto w = start(milliseconds(40));  // max_delay 20 ms
  auto first = intent(*w, 0);
  ASSERT_TRUE(ready(first));
  JournalOp id;
  id.kind = JournalOp::Kind::kickoff;
  w->enqueue(std::move(id));
  auto second = intent(*w, 1);
  ASSERT_TRUE(waited(*w, 1));
  clock_->advance(milliseconds(20));
  ASSERT_TRUE(waited(*w, 2)) << "the clock's move did not make the writer look again";
  EXPECT_EQ(commits().size(), 1u) << "the kickoff id forced a commit before the pace's end";
  clock_->advance(milliseconds(20));
  ASSERT_TRUE(ready(second));
  auto c = commits();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].ops, 2u) << "the kickoff id rides along with the paced intent";
}

}  // namespace
}  // namespace crewai::batch

// The SQLite journal's group commit (issue 13, point 4): kickoff ids and final records wait for the
// next intent's transaction instead of taking one each; whatever queues while the writer is busy goes
// into one transaction; nothing deferred is lost at flush() or when the journal closes. Asserted on
// the journal's transaction counter, never on time.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <iostream>

#include <gtest/gtest.h>

#include "batch/journal.hpp"
#include "support/temp_dir.hpp"
#include "support/thread_names.hpp"
#include "batch/output_writer.hpp"

namespace crewai::batch {
namespace {

namespace fs = std::filesystem;

class GroupCommitTest : public ::testing::Test {
 protected:

  // `max_delay`: how long deferred operations may wait (an hour: only an intent, a flush or the
  // end writes them). Without an fsync per commit (synchronous=NORMAL), where a released hold
  // commits on the releasing thread; the default's fsync path is tested on its own below.
  std::unique_ptr<Journal> open(std::chrono::milliseconds max_delay = std::chrono::hours(1)) {
    SqliteJournalOptions o;
    o.survive_power_loss = false;
    o.group_commit.max_delay = max_delay;
    auto j = open_sqlite_journal(path_, o);
    EXPECT_TRUE(j) << j.error().message;
    if (!j) return nullptr;
    EXPECT_TRUE((*j)->bind(id_));
    return std::move(*j);
  }

  std::vector<JournalItem> reload() {
    auto j = open();
    if (!j) return {};
    auto items = j->load();
    EXPECT_TRUE(items) << items.error().message;
    return items ? *items : std::vector<JournalItem>{};
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("batch.journal");
  BatchIdentity id_{"https://crew.example.com", std::string(64, 'a'), 100, "b1"};
};

ItemRecord record(std::size_t index) {
  ItemRecord r;
  r.index = index;
  r.id = "item-" + std::to_string(index);
  r.outcome = Outcome::succeeded;
  r.kickoff_id = "k" + std::to_string(index);
  r.kickoff_ids = {r.kickoff_id};
  r.result = "result " + std::to_string(index);
  r.finished_at = 1700000000.5;
  return r;
}

void wait_done(Journal& j, std::size_t index) {
  std::promise<bool> ok;
  j.record_intent(index, 1, "b1-" + std::to_string(index), [&](const Result<void>& r) { ok.set_value(bool(r)); });
  auto f = ok.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(f.get());
}

TEST_F(GroupCommitTest, KickoffIdsAndFinalsRideAlongWithTheNextIntent) {
  auto j = open();
  ASSERT_NE(j, nullptr);
  constexpr std::size_t kItems = 50;
  for (std::size_t i = 0; i < kItems; ++i) {
    j->record_kickoff(i, 1, "k" + std::to_string(i));
    j->record_final(record(i));
  }
  wait_done(*j, kItems);  // the gating operation: its commit takes the 100 deferred ones along
  const JournalStats s = j->stats();
  EXPECT_EQ(s.transactions, 1u);
  EXPECT_EQ(s.operations, 2 * kItems + 1);
}

// The writer thread is named (top -H, perf, gdb); it has run a commit, so the name is set.
TEST_F(GroupCommitTest, TheWriterThreadIsNamed) {
  auto j = open();
  ASSERT_TRUE(j);
  wait_done(*j, 0);
  const auto names = crewai::test::thread_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "crewai-journal"), names.end());
}

TEST_F(GroupCommitTest, WhatQueuesWhileTheWriterIsBusyTakesOneTransaction) {
  auto j = open();
  ASSERT_NE(j, nullptr);
  // The first intent's `done` runs on the writer thread: holding it there keeps the writer busy
  // while the load below queues up.
  std::promise<void> release, entered;
  j->record_intent(0, 1, "b1-0", [&](const Result<void>&) {
    entered.set_value();
    release.get_future().wait();
  });
  entered.get_future().wait();
  constexpr std::size_t kItems = 40;
  std::atomic<std::size_t> durable{0};
  for (std::size_t i = 1; i <= kItems; ++i) {
    j->record_intent(i, 1, "b1-" + std::to_string(i), [&](const Result<void>& r) {
      if (r) ++durable;
    });
    j->record_kickoff(i - 1, 1, "k" + std::to_string(i - 1));
    j->record_final(record(i - 1));
  }
  release.set_value();
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(durable.load(), kItems);
  const JournalStats s = j->stats();
  EXPECT_EQ(s.transactions, 2u) << "the first intent's, then one for the " << 3 * kItems << " queued";
  EXPECT_EQ(s.operations, 3 * kItems + 1);
  std::cout << "[ info ] " << s.operations << " operations in " << s.transactions << " transactions\n";
}

// Issue 13: intents recorded in a row under a hold (the batch loop's launches of one turn) share
// one transaction instead of the first taking one alone; none is reported durable before that
// commit, and each is on disk (seen from another connection) when its `done` runs.
TEST_F(GroupCommitTest, IntentsRecordedUnderAHoldShareOneTransaction) {
  auto j = open();
  ASSERT_NE(j, nullptr);
  SqliteJournalOptions ro;
  ro.reader = true;
  auto reader = open_sqlite_journal(path_, ro);
  ASSERT_TRUE(reader) << reader.error().message;
  constexpr std::size_t kItems = 30;
  std::atomic<std::size_t> durable{0}, seen_on_disk{0}, on_this_thread{0};
  const auto me = std::this_thread::get_id();
  {
    CommitHold hold(j.get());
    for (std::size_t i = 0; i < kItems; ++i) {
      j->record_intent(i, 1, "b1-" + std::to_string(i), [&, i](const Result<void>& r) {
        if (!r) return;
        ++durable;
        if (std::this_thread::get_id() == me) ++on_this_thread;
        auto items = (*reader)->load();  // `done` runs on the writer thread, after the commit
        if (items && std::any_of(items->begin(), items->end(), [&](const JournalItem& it) {
              return it.index == i && it.attempts == 1 && it.intent_without_id;
            })) {
          ++seen_on_disk;
        }
      });
    }
    EXPECT_EQ(durable.load(), 0u) << "an intent reported durable while its commit was held";
    EXPECT_EQ(j->stats().transactions, 0u);
  }
  // The writer was idle: the release itself committed them, on this thread, with no wake of the
  // writer and back.
  EXPECT_EQ(durable.load(), kItems);
  EXPECT_EQ(on_this_thread.load(), kItems);
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(seen_on_disk.load(), kItems);
  const JournalStats s = j->stats();
  EXPECT_EQ(s.transactions, 1u) << "the " << kItems << " held intents in one transaction";
  EXPECT_EQ(s.operations, kItems);
}

// A hold never stalls the writer for good: release wakes it with no other operation to come.
TEST_F(GroupCommitTest, ReleasingAHoldCommitsWhatItHeld) {
  auto j = open();
  ASSERT_NE(j, nullptr);
  std::promise<bool> ok;
  {
    CommitHold outer(j.get());
    {
      CommitHold inner(j.get());  // nested holds: only the last release wakes the writer
      j->record_intent(0, 1, "b1-0", [&](const Result<void>& r) { ok.set_value(bool(r)); });
    }
    EXPECT_EQ(j->stats().transactions, 0u);
  }
  auto f = ok.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(f.get());
  EXPECT_EQ(j->stats().transactions, 1u);
}

// One commit at a time: a hold released while the writer is busy leaves the held intents to the
// writer (after its commit) instead of committing beside it on the releasing thread.
TEST_F(GroupCommitTest, AHoldReleasedWhileTheWriterIsBusyLeavesTheCommitToIt) {
  auto j = open();
  ASSERT_NE(j, nullptr);
  std::promise<void> release, entered;
  j->record_intent(0, 1, "b1-0", [&](const Result<void>&) {
    entered.set_value();
    release.get_future().wait();  // the writer stays inside its commit's callbacks
  });
  entered.get_future().wait();
  const auto me = std::this_thread::get_id();
  std::atomic<int> durable{0}, on_this_thread{0};
  {
    CommitHold hold(j.get());
    for (std::size_t i = 1; i <= 5; ++i) {
      j->record_intent(i, 1, "b1-" + std::to_string(i), [&](const Result<void>& r) {
        if (r) ++durable;
        if (std::this_thread::get_id() == me) ++on_this_thread;
      });
    }
  }
  EXPECT_EQ(durable.load(), 0) << "committed beside the busy writer";
  release.set_value();
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(durable.load(), 5);
  EXPECT_EQ(on_this_thread.load(), 0);
  EXPECT_EQ(j->stats().transactions, 2u);
}

// With an fsync per commit (survive_power_loss) the releasing thread does not wait for the disk:
// the writer commits the held intents, still in one transaction.
TEST_F(GroupCommitTest, WithSurvivePowerLossTheWriterCommitsWhatAHoldReleases) {
  SqliteJournalOptions o;
  o.survive_power_loss = true;
  auto opened = open_sqlite_journal(path_, o);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& j = *opened;
  ASSERT_TRUE(j->bind(id_));
  const auto me = std::this_thread::get_id();
  std::atomic<int> durable{0}, on_this_thread{0};
  {
    CommitHold hold(j.get());
    for (std::size_t i = 0; i < 5; ++i) {
      j->record_intent(i, 1, "b1-" + std::to_string(i), [&](const Result<void>& r) {
        if (r) ++durable;
        if (std::this_thread::get_id() == me) ++on_this_thread;
      });
    }
  }
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(durable.load(), 5);
  EXPECT_EQ(on_this_thread.load(), 0);
  EXPECT_EQ(j->stats().transactions, 1u);
}

// A journal fsyncs every commit unless told otherwise: an intent lost in a machine crash while its
// kickoff had left would be kicked off again on resume. The level is read back from SQLite.
TEST_F(GroupCommitTest, ByDefaultEveryCommitIsFsynced) {
  {
    auto j = open_sqlite_journal(path_);
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_TRUE((*j)->stats().fsync_per_commit);
  }
  SqliteJournalOptions o;
  o.survive_power_loss = false;
  auto j = open_sqlite_journal(path_, o);
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_FALSE((*j)->stats().fsync_per_commit);
}

TEST_F(GroupCommitTest, FlushAndCloseWriteWhatIsDeferred) {
  {
    auto j = open();
    ASSERT_NE(j, nullptr);
    j->record_kickoff(0, 1, "k0");
    ASSERT_TRUE(j->flush());  // no intent follows: flush itself must write it
    EXPECT_EQ(j->stats().transactions, 1u);
    j->record_final(record(0));  // written when the journal closes
  }
  auto items = reload();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kickoff_ids, std::vector<std::string>{"k0"});
  ASSERT_TRUE(items[0].final_record);
  EXPECT_EQ(items[0].final_record->result, "result 0");
}

TEST_F(GroupCommitTest, DeferredOperationsAreWrittenAfterMaxDelayWithoutAnIntent) {
  auto j = open(std::chrono::milliseconds(5));
  ASSERT_NE(j, nullptr);
  j->record_kickoff(0, 1, "k0");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (j->stats().transactions == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(j->stats().transactions, 1u);
  EXPECT_EQ(j->stats().operations, 1u);
}

// After a commit the writer lingers for max_delay before it parks: a kickoff id recorded right
// after its intent's commit cannot be due before the writer looks again, so it wakes nobody.
TEST_F(GroupCommitTest, ADeferredOperationRightAfterACommitDoesNotWakeTheWriter) {
  auto j = open();  // max_delay: an hour
  ASSERT_NE(j, nullptr);
  std::promise<bool> durable;
  j->record_intent(0, 1, "b1-0", [&](const Result<void>& r) { durable.set_value(bool(r)); });
  ASSERT_TRUE(durable.get_future().get());
  j->record_kickoff(0, 1, "k0");
  j->record_final(record(0));
  EXPECT_EQ(j->stats().deferred_wakes, 0u);
  EXPECT_EQ(j->stats().transactions, 1u);
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(j->stats().transactions, 2u);
  EXPECT_EQ(j->stats().operations, 3u);
}

// ... and the linger does not stretch the bound: without a wake, a deferred operation recorded
// right after a commit is still written within max_delay, with no intent or flush to carry it.
TEST_F(GroupCommitTest, ADeferredOperationAfterACommitIsWrittenAfterMaxDelayWithoutAnIntent) {
  auto j = open(std::chrono::milliseconds(5));
  ASSERT_NE(j, nullptr);
  std::promise<bool> durable;
  j->record_intent(0, 1, "b1-0", [&](const Result<void>& r) { durable.set_value(bool(r)); });
  ASSERT_TRUE(durable.get_future().get());
  j->record_kickoff(0, 1, "k0");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (j->stats().transactions < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(j->stats().transactions, 2u);
  EXPECT_EQ(j->stats().operations, 2u);
}

TEST_F(GroupCommitTest, AFinalRecordIsStoredAsItsResultsLineAndReadBack) {
  {
    auto j = open();
    ASSERT_NE(j, nullptr);
    ItemRecord paused = record(3);
    paused.outcome = Outcome::paused;
    paused.pause_task_id = "t1";
    paused.pause_task_output = "draft";
    j->record_final_line(paused, results_line(paused));
    ASSERT_TRUE(j->flush());
  }
  auto items = reload();
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].final_record);
  EXPECT_EQ(items[0].final_record->outcome, Outcome::paused);
  EXPECT_EQ(items[0].final_record->pause_task_output, "draft");
  EXPECT_EQ(results_line(*items[0].final_record), results_line([] {
              ItemRecord p = record(3);
              p.outcome = Outcome::paused;
              p.pause_task_id = "t1";
              p.pause_task_output = "draft";
              return p;
            }()));
}

}  // namespace
}  // namespace crewai::batch

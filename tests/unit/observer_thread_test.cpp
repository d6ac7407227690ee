// The batch's observer thread (src/batch/observer_thread.hpp): every record delivered once, in
// order, before close() returns; records that come while it lingers after a delivery wait for the
// end of the linger instead of waking it; with a clock that has no real time, no linger.
#include "batch/observer_thread.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace crewai::batch {
namespace {

using namespace std::chrono_literals;

// Records what it is given; wait_for_records(n) blocks until n records came.
class Collector : public BatchObserver {
 public:
  bool on_record_line(const ItemRecord& r, const std::string& line) override {
    std::lock_guard lock(mu_);
    indexes_.push_back(r.index);
    lines_.push_back(line);
    cv_.notify_all();
    return true;
  }
  void on_snapshot(const BatchSnapshot& s) override {
    std::lock_guard lock(mu_);
    snapshots_.push_back(s.done);
  }
  // True when n records came within a minute (a hang fails instead of blocking ctest).
  bool wait_for_records(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] { return indexes_.size() >= n; });
  }
  std::vector<std::size_t> indexes() const {
    std::lock_guard lock(mu_);
    return indexes_;
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::vector<std::size_t> snapshots() const {
    std::lock_guard lock(mu_);
    return snapshots_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::size_t> indexes_;
  std::vector<std::string> lines_;
  std::vector<std::size_t> snapshots_;
};

ItemRecord record(std::size_t index) {
  ItemRecord r;
  r.index = index;
  return r;
}

TEST(ObserverThread, DeliversEveryRecordInOrderBeforeCloseReturns) {
  Collector c;
  ObserverThread t(&c, nullptr);
  for (std::size_t i = 0; i < 500; ++i) t.record(record(i), "line " + std::to_string(i));
  t.close();
  auto got = c.indexes();
  ASSERT_EQ(got.size(), 500u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i);
  EXPECT_EQ(c.lines().back(), "line 499");
}

TEST(ObserverThread, RecordsThatComeWhileItLingersWaitWithoutWakingIt) {
  Collector c;
  // A linger far longer than the test: what comes after the first delivery can only be delivered
  // by close(), and without a wake.
  ObserverThread t(&c, nullptr, nullptr, std::chrono::hours(1));
  t.record(record(0), "");
  ASSERT_TRUE(c.wait_for_records(1));
  for (std::size_t i = 1; i < 10; ++i) t.record(record(i), "");
  t.snapshot(BatchSnapshot{});
  EXPECT_EQ(c.indexes().size(), 1u);  // still lingering
  t.close();
  EXPECT_EQ(c.indexes(), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(c.snapshots().size(), 1u);
  // At most the first record woke it (it may have come before the thread first parked).
  EXPECT_LE(t.wakes(), 1u);
}

TEST(ObserverThread, OnlyTheLatestWaitingSnapshotIsDelivered) {
  Collector c;
  ObserverThread t(&c, nullptr, nullptr, std::chrono::hours(1));
  t.record(record(0), "");
  ASSERT_TRUE(c.wait_for_records(1));
  for (std::size_t done = 1; done <= 3; ++done) {
    BatchSnapshot s;
    s.done = done;
    t.snapshot(s);
  }
  t.close();
  EXPECT_EQ(c.snapshots(), (std::vector<std::size_t>{3}));
}

TEST(ObserverThread, WithAClockThatHasNoRealTimeEachRecordIsDeliveredWithoutLingering) {
  Collector c;
  auto clock = std::make_shared<ManualClock>();
  // The linger would block for an hour of real time; a ManualClock has none to give.
  ObserverThread t(&c, nullptr, clock, std::chrono::hours(1));
  for (std::size_t i = 0; i < 5; ++i) {
    t.record(record(i), "");
    ASSERT_TRUE(c.wait_for_records(i + 1)) << "record " << i << " was not delivered";
  }
  t.close();
  EXPECT_EQ(c.indexes().size(), 5u);
}

TEST(ObserverThread, ARefusalCallsOnRefusalAndEveryRecordIsStillDelivered) {
  struct Refuser : Collector {
    bool on_record_line(const ItemRecord& r, const std::string& line) override {
      Collector::on_record_line(r, line);
      return r.index != 2;
    }
  } c;
  int refusals = 0;
  ObserverThread t(&c, [&] { ++refusals; });
  for (std::size_t i = 0; i < 5; ++i) t.record(record(i), "");
  t.close();
  EXPECT_EQ(refusals, 1);
  EXPECT_EQ(c.indexes().size(), 5u);
}

}  // namespace
}  // namespace crewai::batch

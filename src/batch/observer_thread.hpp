// batch/observer_thread.hpp — delivers records and snapshots to a BatchObserver on its own thread,
// so a slow observer never stalls the engine or the scheduler. Records are all delivered, in the
// order given; of the snapshots only the latest waiting one is (a slow observer skips stale ones).
//
// Linger: after delivering, the thread waits `linger` before it parks, and what comes meanwhile is
// delivered together at the end of it, without a wake. Only a parked thread is woken. So a busy
// batch wakes it about once per `linger` instead of once per record: each wake was a futex call on
// the engine's thread and two context switches (issue 13), for ~2,000 records a second. A record
// that comes to an idle observer is delivered at once; none waits longer than `linger`. A clock
// that moves only when told (ManualClock) has no real time to linger in: every record wakes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "crewai/batch.hpp"
#include "crewai/clock.hpp"

namespace crewai::batch {

class ObserverThread {
 public:
  // 20 ms: about 50 wakes a second at most. 5 ms woke it ~430 times in a 2,000-item batch,
  // 3.2-3.9 us of CPU per request; 20 ms, 2.1-2.4 (bench/README.md, "Session 10").
  static constexpr std::chrono::milliseconds kDefaultLinger{20};

  // `on_refusal` runs (on the observer thread) when on_record returns false. `clock`: the batch's
  // (null: the steady clock).
  ObserverThread(BatchObserver* observer, std::function<void()> on_refusal,
                 std::shared_ptr<Clock> clock = nullptr,
                 std::chrono::milliseconds linger = kDefaultLinger);
  ~ObserverThread();  // = close()

  // `line`: the record's results line (BatchObserver::on_record_line).
  void record(const ItemRecord& r, std::string line);
  bool active() const noexcept { return observer_ != nullptr; }
  void snapshot(const BatchSnapshot& s);
  // Delivers everything queued, then stops the thread. Idempotent.
  void close();
  // How many times record() or snapshot() woke the parked thread (tests).
  std::uint64_t wakes() const;

 private:
  void loop();
  void wake(std::unique_lock<std::mutex>& lk);  // mu_ held on entry, released on return

  BatchObserver* observer_;
  std::function<void()> on_refusal_;
  std::shared_ptr<Clock> clock_;
  std::chrono::milliseconds linger_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<ItemRecord, std::string>> records_;
  std::optional<BatchSnapshot> snapshot_;
  bool closing_ = false;
  bool parked_ = false;  // the thread waits to be woken (not delivering, not lingering)
  std::uint64_t wakes_ = 0;
  std::thread thread_;
};

}  // namespace crewai::batch

// batch/observer_thread.hpp — delivers records and snapshots to a BatchObserver on its own thread,
// so a slow observer never stalls the engine or the scheduler. Records are all delivered, in the
// order given; of the snapshots only the latest waiting one is (a slow observer skips stale ones).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "crewai/batch.hpp"

namespace crewai::batch {

class ObserverThread {
 public:
  // `on_refusal` runs (on the observer thread) when on_record returns false.
  ObserverThread(BatchObserver* observer, std::function<void()> on_refusal);
  ~ObserverThread();  // = close()

  // `line`: the record's results line (BatchObserver::on_record_line).
  void record(const ItemRecord& r, std::string line);
  bool active() const noexcept { return observer_ != nullptr; }
  void snapshot(const BatchSnapshot& s);
  // Delivers everything queued, then stops the thread. Idempotent.
  void close();

 private:
  void loop();

  BatchObserver* observer_;
  std::function<void()> on_refusal_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<ItemRecord, std::string>> records_;
  std::optional<BatchSnapshot> snapshot_;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace crewai::batch

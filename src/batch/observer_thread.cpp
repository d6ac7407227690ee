#include "batch/observer_thread.hpp"

#include "transport/thread_name.hpp"

namespace crewai::batch {

ObserverThread::ObserverThread(BatchObserver* observer, std::function<void()> on_refusal,
                               std::shared_ptr<Clock> clock, std::chrono::milliseconds linger)
    : observer_(observer),
      on_refusal_(std::move(on_refusal)),
      clock_(clock_or_steady(std::move(clock))),
      linger_(linger) {
  if (!observer_) return;
  thread_ = std::thread([this] {
    transport::name_this_thread("crewai-observer");
    loop();
  });
}

ObserverThread::~ObserverThread() { close(); }

void ObserverThread::wake(std::unique_lock<std::mutex>& lk) {
  const bool parked = parked_;
  if (parked) {
    parked_ = false;  // one notify is enough until it runs again
    ++wakes_;
  }
  lk.unlock();
  if (parked) cv_.notify_one();
}

void ObserverThread::record(const ItemRecord& r, std::string line) {
  if (!observer_) return;
  std::unique_lock lock(mu_);
  records_.emplace_back(r, std::move(line));
  wake(lock);
}

void ObserverThread::snapshot(const BatchSnapshot& s) {
  if (!observer_) return;
  std::unique_lock lock(mu_);
  snapshot_ = s;
  wake(lock);
}

void ObserverThread::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  cv_.notify_one();  // parked or lingering
  if (thread_.joinable()) thread_.join();
}

std::uint64_t ObserverThread::wakes() const {
  std::lock_guard lock(mu_);
  return wakes_;
}

void ObserverThread::loop() {
  std::unique_lock lock(mu_);
  bool delivered = false;
  for (;;) {
    if (delivered && !closing_) {
      if (auto wait = clock_->real_wait(clock_->now() + linger_)) {
        cv_.wait_for(lock, *wait, [this] { return closing_; });
      }
    }
    if (!closing_ && records_.empty() && !snapshot_) {
      parked_ = true;
      cv_.wait(lock, [this] { return closing_ || !records_.empty() || snapshot_; });
      parked_ = false;
    }
    std::deque<std::pair<ItemRecord, std::string>> batch;
    batch.swap(records_);
    auto snap = std::move(snapshot_);
    snapshot_.reset();
    if (closing_ && batch.empty() && !snap) return;
    lock.unlock();
    for (const auto& [r, line] : batch) {
      if (!observer_->on_record_line(r, line) && on_refusal_) on_refusal_();
    }
    if (snap) observer_->on_snapshot(*snap);
    delivered = true;
    lock.lock();
  }
}

}  // namespace crewai::batch

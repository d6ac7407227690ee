#include "batch/observer_thread.hpp"

namespace crewai::batch {

ObserverThread::ObserverThread(BatchObserver* observer, std::function<void()> on_refusal)
    : observer_(observer), on_refusal_(std::move(on_refusal)) {
  if (observer_) thread_ = std::thread([this] { loop(); });
}

ObserverThread::~ObserverThread() { close(); }

void ObserverThread::record(const ItemRecord& r, std::string line) {
  if (!observer_) return;
  {
    std::lock_guard lock(mu_);
    records_.emplace_back(r, std::move(line));
  }
  cv_.notify_one();
}

void ObserverThread::snapshot(const BatchSnapshot& s) {
  if (!observer_) return;
  {
    std::lock_guard lock(mu_);
    snapshot_ = s;
  }
  cv_.notify_one();
}

void ObserverThread::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ObserverThread::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return closing_ || !records_.empty() || snapshot_; });
    std::deque<std::pair<ItemRecord, std::string>> batch;
    batch.swap(records_);
    auto snap = std::move(snapshot_);
    snapshot_.reset();
    bool last = closing_ && batch.empty() && !snap;
    if (last) return;
    lock.unlock();
    for (const auto& [r, line] : batch) {
      if (!observer_->on_record_line(r, line) && on_refusal_) on_refusal_();
    }
    if (snap) observer_->on_snapshot(*snap);
    lock.lock();
  }
}

}  // namespace crewai::batch

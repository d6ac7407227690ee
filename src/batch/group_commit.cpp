#include "batch/group_commit.hpp"

#include <algorithm>

namespace crewai::batch {

GroupCommit::GroupCommit(Commit commit, GroupCommitOptions options)
    : commit_(std::move(commit)), options_(std::move(options)) {
  options_.clock = clock_or_steady(std::move(options_.clock));
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  writer_ = std::thread([this] { loop(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  writer_.join();
}

void GroupCommit::enqueue(JournalOp op) {
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    if (op.done) {
      ++gating_;
      wake = held_ == 0;
    } else if (!oldest_) {
      oldest_ = options_.clock->now();
      if (parked_) {  // a parked writer learns when this one is due
        wake = true;
        ++stats_.deferred_wakes;
      }
    }
    queue_.push_back(std::move(op));
    ++enqueued_;
    wake = wake || queue_.size() >= options_.max_batch;
  }
  if (wake) work_cv_.notify_one();
}

void GroupCommit::hold() {
  std::lock_guard lk(mu_);
  ++held_;
}

void GroupCommit::release() {
  std::unique_lock lk(mu_);
  if (held_ > 0) --held_;
  if (held_ > 0 || gating_ == 0) return;
  if (options_.commit_on_release && !committing_) return write_queued(lk);
  lk.unlock();
  work_cv_.notify_one();
}

Result<void> GroupCommit::flush() {
  std::unique_lock lk(mu_);
  const std::uint64_t target = enqueued_;
  if (finished_ < target) {
    flush_target_ = std::max(flush_target_, target);
    work_cv_.notify_one();
  }
  flushed_cv_.wait(lk, [&] { return finished_ >= target; });
  if (failure_) return tl::unexpected(*failure_);
  return {};
}

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

bool GroupCommit::due(Clock::time_point now) const {
  if (queue_.empty()) return false;
  return stop_ || (gating_ > 0 && held_ == 0) || flush_target_ > finished_ ||
         queue_.size() >= options_.max_batch || (oldest_ && now >= *oldest_ + options_.max_delay);
}

void GroupCommit::loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    while (committing_ || !due(options_.clock->now())) {
      if (stop_ && queue_.empty() && !committing_) return;
      // Only deferred operations queued: sleep until the oldest is due; none, after a commit:
      // linger until max_delay has passed since it (the header). A clock that moves only when
      // told has no real deadline: deferred ones wait for a gating operation, a flush or the end.
      auto until = oldest_ && !queue_.empty() ? *oldest_ + options_.max_delay : linger_;
      auto wait = until ? options_.clock->real_wait(*until) : std::nullopt;
      // Due while another thread commits: the end of its commit wakes the writer if need be.
      if (wait && *wait <= Clock::duration::zero() && committing_) wait.reset();
      if (wait) {
        work_cv_.wait_for(lk, *wait);
        if (linger_ && options_.clock->now() >= *linger_) linger_.reset();
      } else {
        linger_.reset();
        parked_ = true;
        work_cv_.wait(lk);
        parked_ = false;
      }
    }
    write_queued(lk);
  }
}

void GroupCommit::write_queued(std::unique_lock<std::mutex>& lk) {
  std::vector<JournalOp> ops;
  ops.swap(queue_);
  queue_.reserve(ops.size());
  gating_ = 0;
  oldest_.reset();
  committing_ = true;  // one commit at a time, so operations reach the disk in their order
  std::optional<Error> earlier = failure_;
  lk.unlock();
  Result<void> result = earlier ? Result<void>(tl::unexpected(*earlier)) : commit_(ops);
  lk.lock();
  if (!earlier) {
    ++stats_.transactions;
    stats_.operations += ops.size();
    if (!result) failure_ = result.error();
  }
  lk.unlock();
  for (auto& op : ops) {
    if (op.done) op.done(result);
  }
  lk.lock();
  finished_ += ops.size();
  committing_ = false;
  linger_ = options_.clock->now() + options_.max_delay;
  flushed_cv_.notify_all();
  // The writer waits, with no deadline, while another thread commits: what queued meanwhile is
  // its to write now or, when deferred, to time.
  if (!queue_.empty()) work_cv_.notify_one();
}

}  // namespace crewai::batch

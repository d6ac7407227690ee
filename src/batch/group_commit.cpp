#include "batch/group_commit.hpp"

#include <algorithm>

#include "transport/thread_name.hpp"

namespace crewai::batch {

GroupCommit::GroupCommit(Commit commit, GroupCommitOptions options)
    : commit_(std::move(commit)), options_(std::move(options)) {
  options_.clock = clock_or_steady(std::move(options_.clock));
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  options_.min_interval = std::max(options_.min_interval, std::chrono::milliseconds::zero());
  // Deferred operations wait at least as long as the pace: with a shorter max_delay they would
  // force commits of their own between the paced ones, and a longer pace would not make fewer
  // commits (a 40 ms pace with the 20 ms max_delay still made one commit per 20 ms under load).
  options_.max_delay = std::max(options_.max_delay, options_.min_interval);
  // The clock's wake runs with the clock's own lock released (crewai/clock.hpp), so it may take
  // mu_: a move cannot slip between the writer's look at the time and its wait.
  watch_ = options_.clock->watch([this] {
    std::lock_guard lk(mu_);
    work_cv_.notify_one();
  });
  writer_ = std::thread([this] {
    transport::name_this_thread("crewai-journal");
    loop();
  });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  writer_.join();
  watch_.reset();  // without mu_: unregistering waits for a wake in progress, which takes mu_
}

void GroupCommit::enqueue(JournalOp op) {
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    const auto now = options_.clock->now();
    if (op.done) {
      ++gating_;
      wake = held_ == 0 && sleeps_past(gating_due(now));
    } else if (!oldest_) {
      oldest_ = now;
      if (sleeps_past(now + options_.max_delay)) {  // the writer learns when this one is due
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
  const auto now = options_.clock->now();
  const auto at = gating_due(now);
  if (options_.commit_on_release && !committing_ && at <= now) return write_queued(lk);
  if (!sleeps_past(at)) return;
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

Clock::time_point GroupCommit::gating_due(Clock::time_point now) const {
  if (!last_start_) return now;
  return std::max(now, *last_start_ + options_.min_interval);
}

bool GroupCommit::sleeps_past(Clock::time_point t) const {
  // A committing writer looks at the queue when it is done; else it waits (or is about to: it
  // then looks before it waits, under mu_).
  if (committing_) return false;
  return waiting_until_ && *waiting_until_ > t;
}

std::optional<Clock::time_point> GroupCommit::next_look() const {
  // Only deferred operations queued: when the oldest is due; none, after a commit: the linger's
  // end (the header); gating ones held back by the pace: the pace's end, if sooner.
  auto until = oldest_ && !queue_.empty() ? *oldest_ + options_.max_delay : linger_;
  if (gating_ > 0 && held_ == 0 && last_start_) {
    const auto paced = *last_start_ + options_.min_interval;
    if (!until || paced < *until) until = paced;
  }
  return until;
}

bool GroupCommit::due(Clock::time_point now) const {
  if (queue_.empty()) return false;
  return stop_ || (gating_ > 0 && held_ == 0 && gating_due(now) <= now) || flush_target_ > finished_ ||
         queue_.size() >= options_.max_batch || (oldest_ && now >= *oldest_ + options_.max_delay);
}

void GroupCommit::loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    while (committing_ || !due(options_.clock->now())) {
      if (stop_ && queue_.empty() && !committing_) return;
      wait(lk);
    }
    write_queued(lk);
  }
}

void GroupCommit::wait(std::unique_lock<std::mutex>& lk) {
  const auto until = next_look();
  // A clock that moves only when told has no real deadline: the writer waits to be woken, by an
  // operation or by the clock's move (watch_).
  auto wait = until ? options_.clock->real_wait(*until) : std::nullopt;
  // Due while another thread commits: the end of its commit wakes the writer if need be.
  if (wait && *wait <= Clock::duration::zero() && committing_) wait.reset();
  if (!committing_ && !queue_.empty()) ++stats_.queued_waits;
  watch_->idle(until);
  // Parked (no deadline): any work due at any time must wake it.
  waiting_until_ = wait ? *until : Clock::time_point::max();
  if (wait) {
    work_cv_.wait_for(lk, *wait);
  } else {
    work_cv_.wait(lk);
  }
  waiting_until_.reset();
  watch_->busy();
  if (linger_ && options_.clock->now() >= *linger_) linger_.reset();
}

void GroupCommit::write_queued(std::unique_lock<std::mutex>& lk) {
  std::vector<JournalOp> ops;
  ops.swap(queue_);
  queue_.reserve(ops.size());
  gating_ = 0;
  oldest_.reset();
  last_start_ = options_.clock->now();
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

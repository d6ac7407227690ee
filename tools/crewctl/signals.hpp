// crewctl/signals.hpp — Ctrl-C handling without doing work in a signal handler.
//
// While an InterruptWatcher lives, SIGINT and SIGTERM only write one byte to a self-pipe (the
// handler touches nothing else). A watcher thread reads the pipe and calls `on_interrupt(n)` with the
// number of interrupts so far (1, 2, ...), on that thread; the callback may call Batch::request_stop
// or a stop_source. The previous dispositions are restored on destruction, which joins the thread.
// One watcher at a time per process; construct and destroy it on the same thread (that thread
// blocks SIGINT/SIGTERM meanwhile, so that the watcher thread receives them).
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include <signal.h>

namespace crewctl {

class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void(int)> on_interrupt);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  int count() const noexcept { return count_.load(); }

 private:
  void loop();

  std::function<void(int)> on_interrupt_;
  int read_fd_ = -1, write_fd_ = -1;
  std::atomic<int> count_{0};
  struct sigaction old_int_ {}, old_term_ {};
  sigset_t old_mask_{};
  std::thread thread_;
};

}  // namespace crewctl

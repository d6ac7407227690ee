// latch.hpp — counts down to zero; waiters give up at a deadline instead of hanging the test.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace crewai::test {

class Latch {
 public:
  static constexpr std::chrono::seconds kDeadline{20};

  explicit Latch(std::size_t n) : n_(n) {}
  void count_down() {
    std::lock_guard lock(mutex_);
    if (n_ > 0 && --n_ == 0) cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadline, [&] { return n_ == 0; });
  }
  bool done() {
    std::lock_guard lock(mutex_);
    return n_ == 0;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t n_;
};

}  // namespace crewai::test

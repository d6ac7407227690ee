// Self-pipe signal handling: the handler writes a byte; a thread turns bytes into callbacks.
#include "signals.hpp"

#include <cerrno>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "transport/thread_name.hpp"

namespace crewctl {
namespace {

constexpr char kInterrupt = 'i';
constexpr char kQuit = 'q';

// The one piece of process-wide state a signal handler needs: where to write.
std::atomic<int> g_signal_fd{-1};

extern "C" void on_signal(int) {
  int saved = errno;
  int fd = g_signal_fd.load();
  if (fd >= 0) {
    char c = kInterrupt;
    [[maybe_unused]] auto n = ::write(fd, &c, 1);
  }
  errno = saved;
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(int)> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  ::fcntl(write_fd_, F_SETFL, O_NONBLOCK);
  g_signal_fd.store(write_fd_);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
  // The signals go to the watcher thread, not to the creating thread: a thread blocked in a raw
  // futex wait (std::future) may run a handler late under some runtimes (TSan defers handlers to
  // the next intercepted call), while the watcher blocks in read(), which they all interrupt.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask_);
  thread_ = std::thread([this, stop_signals] {
    ::pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    crewai::transport::name_this_thread("crewctl-signals");
    loop();
  });
}

InterruptWatcher::~InterruptWatcher() {
  if (read_fd_ < 0) return;
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  g_signal_fd.store(-1);
  char c = kQuit;
  while (::write(write_fd_, &c, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  ::close(read_fd_);
  ::close(write_fd_);
}

void InterruptWatcher::loop() {
  for (;;) {
    char c = 0;
    ssize_t n = ::read(read_fd_, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == kQuit) return;
    int k = ++count_;
    if (on_interrupt_) on_interrupt_(k);
  }
}

}  // namespace crewctl

// batch/journal_lock.hpp — one process at a time works on a SQLite journal.
//
// A JournalLock is an exclusive lock, held by this process, on `<canonical journal path>.lock`. The
// kernel releases it when the process dies (SIGKILL included), so a crash never leaves a journal stuck.
// A second acquire() of the same journal — from another process, or another object of this one, by
// any spelling of the path (relative, `./x`, symlinks) — fails at once, naming the holder: its pid,
// host and the time it took the journal (the holder writes them into the lock file).
//
// Movable, not copyable; releasing (destruction) removes the lock file.
#pragma once

#include <string>

#include "crewai/error.hpp"

namespace crewai::batch {

class JournalLock {
 public:
  // failed_precondition when another holder has it ("journal X is in use by pid N on host H since T");
  // invalid_argument when the lock file cannot be created (missing directory, read-only place).
  [[nodiscard]] static Result<JournalLock> acquire(const std::string& journal_path);

  JournalLock(JournalLock&& other) noexcept;
  JournalLock& operator=(JournalLock&& other) noexcept;
  JournalLock(const JournalLock&) = delete;
  JournalLock& operator=(const JournalLock&) = delete;
  ~JournalLock();

  // The journal path as given to acquire(), and the lock file's (canonical) path.
  const std::string& journal_path() const noexcept { return journal_path_; }
  const std::string& lock_path() const noexcept { return lock_path_; }

 private:
  JournalLock(int fd, std::string journal_path, std::string lock_path);
  void release() noexcept;

  int fd_ = -1;
  std::string journal_path_, lock_path_;
};

// The lock file of a journal: its canonical path (symlinks and `.`/`..` resolved) + ".lock".
std::string journal_lock_path(const std::string& journal_path);

}  // namespace crewai::batch

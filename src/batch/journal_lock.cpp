// The journal's single-writer lock.
//
// Why a sidecar file with flock(2), and not a lock on the journal itself: SQLite takes POSIX
// (fcntl) locks on the database file, and POSIX locks belong to the process and inode — closing *any*
// descriptor of that file in the process drops all of them, so a descriptor of our own on the journal
// could silently cancel SQLite's locks when we close it, and an fcntl lock of ours would merge with
// theirs. An OFD lock on the same file would conflict with SQLite's own locks inside this process.
// flock on a separate file shares nothing with SQLite: it belongs to the open file description, is
// released by the kernel when the last descriptor closes (process death included), and conflicts
// between two descriptors of the same process too (two Batch objects on one journal are refused).
//
// Same journal, any spelling: the lock file is named after the canonical journal path (symlinks,
// `.`, `..` resolved) — the same resolution SQLite applies to find the journal's -wal file. Hard links
// are not covered, and need not be: SQLite names -wal/-shm after the path, so two hard-linked names of
// one journal are already two inconsistent databases to SQLite. Local filesystems only (WAL needs
// shared memory, so a journal on NFS is unsupported anyway).
//
// Removing the lock file on release without a race: the holder unlinks it while still holding the
// lock; an acquirer that locked a file which is no longer the one at the path (it was unlinked, or
// replaced, meanwhile) closes it and tries again.
#include "batch/journal_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "crewai/types.hpp"

namespace crewai::batch {
namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "?";
  return buf.data();
}

// "pid 4242 on host build-7, since 2026-11-30T03:01:02Z", from what the holder wrote.
std::string describe_holder(int fd) {
  std::array<char, 4096> buf{};
  ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
  Json j = n > 0 ? Json::parse(std::string(buf.data(), static_cast<std::size_t>(n)), nullptr, false)
                 : Json();
  if (!j.is_object() || !j.contains("pid")) {
    return "another process (it took the journal a moment ago and has not recorded its pid yet)";
  }
  auto text = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string("?");
  };
  std::string pid = j["pid"].is_number_integer() ? j["pid"].dump() : "?";
  std::string who = "pid " + pid + " on host " + text("host") + ", since " + text("started_at");
  if (pid == std::to_string(::getpid()) && text("host") == host_name()) {
    who += " (this process)";
  }
  return who;
}

bool same_file(int fd, const std::string& path) {
  struct stat held {}, named {};
  if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

Error lock_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace

std::string journal_lock_path(const std::string& journal_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(journal_path), ec);
  if (ec) p = fs::path(journal_path);
  fs::path canonical = fs::weakly_canonical(p, ec);
  if (ec) canonical = p.lexically_normal();
  return canonical.string() + ".lock";
}

Result<JournalLock> JournalLock::acquire(const std::string& journal_path) {
  const std::string lock_path = journal_lock_path(journal_path);
  constexpr int kAttempts = 16;  // each retry means the file was just removed or replaced
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return tl::unexpected(lock_error(ErrorCode::invalid_argument,
                                       "cannot open journal " + journal_path + ": cannot create its lock file " +
                                           lock_path + ": " + std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      std::string holder = err == EWOULDBLOCK ? describe_holder(fd) : std::string();
      ::close(fd);
      if (err != EWOULDBLOCK) {
        return tl::unexpected(lock_error(ErrorCode::invalid_argument,
                                         "cannot lock journal " + journal_path + " (" + lock_path +
                                             "): " + std::strerror(err)));
      }
      return tl::unexpected(lock_error(
          ErrorCode::failed_precondition,
          "journal " + journal_path + " is in use by " + holder +
              ": one process at a time works on a journal. Wait for it to end (or stop it), then "
              "run again with --resume (lock file: " + lock_path + ")"));
    }
    if (!same_file(fd, lock_path)) {
      ::close(fd);
      continue;
    }
    Json me = {{"pid", static_cast<long>(::getpid())}, {"host", host_name()}, {"started_at", utc_now()}};
    const std::string text = me.dump() + "\n";
    // Best effort: without it a refused process says "has not recorded itself yet".
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] ssize_t w = ::pwrite(fd, text.data(), text.size(), 0);
    }
    return JournalLock(fd, journal_path, lock_path);
  }
  return tl::unexpected(lock_error(ErrorCode::failed_precondition,
                                   "journal " + journal_path + ": its lock file " + lock_path +
                                       " keeps being replaced by another process"));
}

JournalLock::JournalLock(int fd, std::string journal_path, std::string lock_path)
    : fd_(fd), journal_path_(std::move(journal_path)), lock_path_(std::move(lock_path)) {}

JournalLock::JournalLock(JournalLock&& other) noexcept
    : fd_(other.fd_), journal_path_(std::move(other.journal_path_)), lock_path_(std::move(other.lock_path_)) {
  other.fd_ = -1;
}

JournalLock& JournalLock::operator=(JournalLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    journal_path_ = std::move(other.journal_path_);
    lock_path_ = std::move(other.lock_path_);
    other.fd_ = -1;
  }
  return *this;
}

JournalLock::~JournalLock() { release(); }

void JournalLock::release() noexcept {
  if (fd_ < 0) return;
  if (same_file(fd_, lock_path_)) ::unlink(lock_path_.c_str());  // still held: see the top
  ::close(fd_);
  fd_ = -1;
}

}  // namespace crewai::batch

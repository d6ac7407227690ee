// process.hpp — run the crewctl binary as a child process for the CLI tests.
// stdin comes from a string; stdout and stderr go to files (read back after exit), so a child that
// writes a lot never blocks on a pipe. Every wait has a deadline; on expiry the child is killed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace crewai::test {

struct ProcResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out, err;
};

// The crewctl binary ($CREWCTL_BIN, set by ctest).
std::string crewctl_bin();

class Child {
 public:
  // argv[0] is the program. `env` is the whole environment. Output goes to out_path / err_path.
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        const std::string& stdin_data, const std::string& out_path, const std::string& err_path);
  ~Child();  // kills the child if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Exit code, or -1 when the deadline passed (the child is then killed).
  int wait(std::chrono::milliseconds deadline);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

std::string read_file(const std::string& path);
// Waits until pred() holds or the deadline passes (checking every few milliseconds).
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline);

}  // namespace crewai::test

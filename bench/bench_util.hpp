// bench_util.hpp — small helpers shared by the benchmark programs: flags, CPU time, memory.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace crewai::bench {

// "--name value" pairs; a flag without a value reads as "1". Unknown names are kept.
class Flags {
 public:
  Flags(int argc, char** argv);
  std::string str(const std::string& name, const std::string& fallback = {}) const;
  long num(const std::string& name, long fallback) const;
  double real(const std::string& name, double fallback) const;
  bool has(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// User + system CPU seconds of this process (all threads), from getrusage(RUSAGE_SELF).
double cpu_seconds();
// A "VmRSS" / "VmHWM" line of /proc/self/status, in KiB (0 when unreadable).
long proc_status_kib(const std::string& key);
// The p-th percentile (0..100) of the values (sorted in place); 0 when empty.
double percentile(std::vector<double>& values, double p);
// Reads one value per line (blank lines skipped).
std::vector<std::string> read_lines(const std::string& path);

}  // namespace crewai::bench

// bench_util.hpp — small helpers shared by the benchmark programs: flags, CPU time, memory.
#pragma once

#include <map>
#include <optional>
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

// The load of engine_vs_wrk and curl_get_loop: GET /status/{id} rotating over `ids`, `connections`
// requests in flight for `seconds`. From --url, --ids FILE, [--connections N=100], [--seconds S=10],
// [--path status|reversed] and $CREWAI_TOKEN.
struct GetLoad {
  std::string url;
  std::vector<std::string> ids;
  std::string token;
  long connections = 100;
  double seconds = 10;
  bool reversed_path = false;  // /{id}/status instead of /status/{id}

  std::string url_of(const std::string& id) const {
    return url + (reversed_path ? "/" + id + "/status" : "/status/" + id);
  }
};
// nullopt, after printing `program`'s usage to stderr, when --url, --ids or the token is missing.
std::optional<GetLoad> read_get_load(int argc, char** argv, const char* program);

}  // namespace crewai::bench

#include "bench_util.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace crewai::bench {

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;
    std::string name = arg.substr(2);
    bool has_value = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0;
    values_[name] = has_value ? argv[++i] : "1";
  }
}

std::string Flags::str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

long Flags::num(const std::string& name, long fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : std::stol(it->second);
}

double Flags::real(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : std::stod(it->second);
}

bool Flags::has(const std::string& name) const { return values_.count(name) != 0; }

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

long proc_status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    long kib = 0;
    fields >> kib;
    return kib;
  }
  return 0;
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::optional<GetLoad> read_get_load(int argc, char** argv, const char* program) {
  Flags flags(argc, argv);
  const char* token = std::getenv("CREWAI_TOKEN");
  GetLoad load;
  load.ids = read_lines(flags.str("ids"));
  if (!flags.has("url") || load.ids.empty() || token == nullptr) {
    std::fprintf(stderr, "usage: CREWAI_TOKEN=T %s --url URL --ids FILE [--connections N] "
                         "[--seconds S] [--path status|reversed]\n", program);
    return std::nullopt;
  }
  load.url = flags.str("url");
  load.token = token;
  load.connections = flags.num("connections", 100);
  load.seconds = flags.real("seconds", 10);
  load.reversed_path = flags.str("path", "status") == "reversed";
  return load;
}

}  // namespace crewai::bench

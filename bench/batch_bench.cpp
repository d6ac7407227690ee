// batch_bench — one crewai::Batch against a running simulator (a separate process, so that the
// CPU and memory figures are the client's alone). Prints runs/s, client CPU seconds per 1,000 runs,
// peak RSS, RSS per run in flight, and the outcome counts. Token from $CREWAI_TOKEN.
//   batch_bench --url http://127.0.0.1:PORT --items 1000 --concurrency 1000 [--journal FILE]
//               [--status-path /status/{id}] [--poll-initial-ms 500] [--poll-cap-ms 2000]
//               [--input topic=bench,current_year=2025] [--adaptive 0|1] [--label NAME]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "crewai/batch.hpp"
#include "malloc_arenas.hpp"  // tools/crewctl: crewctl batch's allocator setting

namespace {

using Clock = std::chrono::steady_clock;

class PeakObserver : public crewai::BatchObserver {
 public:
  void on_snapshot(const crewai::BatchSnapshot& s) override {
    std::size_t seen = peak_.load();
    while (s.in_flight > seen && !peak_.compare_exchange_weak(seen, s.in_flight)) {
    }
  }
  std::size_t peak() const { return peak_.load(); }

 private:
  std::atomic<std::size_t> peak_{0};
};

// "topic=bench,current_year=2025": each item gets these inputs, string values suffixed "-<index>".
std::vector<crewai::BatchItem> make_items(std::size_t n, const std::string& spec) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::istringstream in(spec);
  std::string pair;
  while (std::getline(in, pair, ',')) {
    auto eq = pair.find('=');
    if (eq != std::string::npos) fields.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  std::vector<crewai::BatchItem> items(n);
  for (std::size_t i = 0; i < n; ++i) {
    items[i].index = i;
    for (const auto& [name, value] : fields) {
      items[i].inputs[name] = name == fields.front().first ? value + "-" + std::to_string(i) : value;
    }
  }
  return items;
}

crewai::ClientOptions client_options(const crewai::bench::Flags& flags, const char* token) {
  crewai::ClientOptions o;
  o.base_url = flags.str("url");
  o.token = token;
  o.status_path = flags.str("status-path", "/status/{id}");
  o.max_host_connections = flags.num("connections", 64);
  o.poll.initial = crewai::Millis(flags.num("poll-initial-ms", 500));
  o.poll.cap = crewai::Millis(flags.num("poll-cap-ms", 2'000));
  o.poll.growth = flags.real("poll-growth", 1.5);
  o.poll.deadline = crewai::Millis(flags.num("deadline-ms", 600'000));
  o.random_seed = 1;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  crewctl::one_malloc_arena();  // as crewctl batch does, before the client's threads start
  crewai::bench::Flags flags(argc, argv);
  const char* token = std::getenv("CREWAI_TOKEN");
  if (!flags.has("url") || token == nullptr) {
    std::fprintf(stderr, "usage: CREWAI_TOKEN=T batch_bench --url URL --items N --concurrency C\n");
    return 2;
  }
  auto client = crewai::Client::create(client_options(flags, token));
  if (!client) {
    std::fprintf(stderr, "client: %s\n", client.error().message.c_str());
    return 1;
  }
  const auto n = static_cast<std::size_t>(flags.num("items", 1'000));
  crewai::BatchOptions options;
  options.max_concurrent = static_cast<int>(flags.num("concurrency", static_cast<long>(n)));
  options.journal_path = flags.str("journal");
  options.snapshot_interval = crewai::Millis(100);
  options.adaptive = flags.num("adaptive", 1) != 0;
  if (!options.journal_path.empty()) std::filesystem::remove(options.journal_path);
  PeakObserver observer;
  auto batch = crewai::Batch::create(*client, make_items(n, flags.str("input", "topic=bench,current_year=2025")),
                                     options, &observer);
  if (!batch) {
    std::fprintf(stderr, "batch: %s\n", batch.error().message.c_str());
    return 1;
  }
  const long rss0 = crewai::bench::proc_status_kib("VmRSS");
  const double cpu0 = crewai::bench::cpu_seconds();
  const auto t0 = Clock::now();
  auto report = (*batch)->run();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = crewai::bench::cpu_seconds() - cpu0;
  if (!report) {
    std::fprintf(stderr, "run: %s\n", report.error().message.c_str());
    return 1;
  }
  const long hwm = crewai::bench::proc_status_kib("VmHWM");
  const auto& s = report->final_snapshot;
  const std::size_t peak = std::max<std::size_t>(1, observer.peak());
  const std::string label = flags.str("label", "batch");
  std::printf("%s: items=%zu concurrency=%d journal=%s peak_in_flight=%zu wall=%.2fs\n",
              label.c_str(), n, options.max_concurrent, options.journal_path.empty() ? "no" : "yes",
              observer.peak(), wall);
  std::printf("%s: succeeded=%zu failed=%zu timeout=%zu ambiguous=%zu error=%zu retries=%llu "
              "http_429=%llu http_5xx=%llu adaptive=%s final_concurrency=%d\n",
              label.c_str(), s.succeeded, s.failed, s.timeout, s.ambiguous, s.error,
              static_cast<unsigned long long>(s.retries), static_cast<unsigned long long>(s.http_429),
              static_cast<unsigned long long>(s.http_5xx), options.adaptive ? "on" : "off",
              s.concurrency);
  std::printf("RESULT label=%s runs_per_s=%.1f cpu_s_per_1000=%.3f cpu_s=%.2f wall_s=%.2f "
              "peak_rss_mib=%.1f rss_kib_per_run_in_flight=%.2f peak_in_flight=%zu succeeded=%zu "
              "ambiguous=%zu not_succeeded=%zu\n",
              label.c_str(), static_cast<double>(n) / wall,
              cpu / static_cast<double>(n) * 1000.0, cpu, wall, static_cast<double>(hwm) / 1024.0,
              static_cast<double>(hwm - rss0) / static_cast<double>(peak), observer.peak(),
              s.succeeded, s.ambiguous, n - s.succeeded);
  return 0;
}

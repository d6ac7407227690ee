// engine_vs_wrk — the crewctl transport engine (one libcurl multi handle on one thread) against
// GET /status/{id}: N requests kept in flight over at most N pooled connections for D seconds,
// rotating over the given kickoff ids. Prints req/s, latency percentiles, errors, and the client's
// CPU seconds per request (getrusage, all threads of this process). Token from $CREWAI_TOKEN.
//   engine_vs_wrk --url http://127.0.0.1:PORT --ids ids.txt --connections 100 --seconds 10
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "transport/engine.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace transport = crewai::transport;

struct Load {
  transport::Engine* engine = nullptr;
  std::vector<transport::Request> requests;  // one prepared request per id
  Clock::time_point stop_at;
  std::size_t next = 0;  // engine thread only
  std::vector<double> latencies;
  std::uint64_t ok = 0, non_2xx = 0, failures = 0;
  std::mutex mutex;
  std::condition_variable drained;
  std::size_t in_flight = 0;

  void submit_next() {
    const auto& req = requests[next++ % requests.size()];
    engine->submit(req, [this](transport::Response r) { on_done(std::move(r)); });
  }

  void on_done(transport::Response r) {
    if (r.failure != transport::Failure::none) {
      ++failures;
    } else if (r.status >= 200 && r.status < 300) {
      ++ok;
      latencies.push_back(r.seconds);
    } else {
      ++non_2xx;
    }
    if (Clock::now() < stop_at) {
      submit_next();
      return;
    }
    std::lock_guard lock(mutex);
    if (--in_flight == 0) drained.notify_all();
  }
};

std::vector<transport::Request> prepare(const crewai::bench::GetLoad& load) {
  std::vector<transport::Request> out;
  out.reserve(load.ids.size());
  for (const auto& id : load.ids) {
    transport::Request req;
    req.url = load.url_of(id);
    req.headers = {"Authorization: Bearer " + load.token};
    req.timeout = std::chrono::milliseconds(30'000);
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const auto get_load = crewai::bench::read_get_load(argc, argv, "engine_vs_wrk");
  if (!get_load) return 2;
  const long connections = get_load->connections;
  const double seconds = get_load->seconds;

  transport::EngineOptions options;
  options.max_host_connections = connections;
  transport::Engine engine(options);
  Load load;
  load.engine = &engine;
  load.requests = prepare(*get_load);
  load.latencies.reserve(4'000'000);
  load.in_flight = static_cast<std::size_t>(connections);

  const double cpu0 = crewai::bench::cpu_seconds();
  const auto t0 = Clock::now();
  load.stop_at = t0 + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(seconds));
  engine.post([&load, connections] {
    for (long i = 0; i < connections; ++i) load.submit_next();
  });
  {
    std::unique_lock lock(load.mutex);
    load.drained.wait(lock, [&] { return load.in_flight == 0; });
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = crewai::bench::cpu_seconds() - cpu0;
  engine.shutdown();

  const std::uint64_t total = load.ok + load.non_2xx + load.failures;
  const double p50 = crewai::bench::percentile(load.latencies, 50);
  const double p99 = crewai::bench::percentile(load.latencies, 99);
  std::printf("engine: connections=%ld wall=%.2fs requests=%llu ok=%llu non2xx=%llu failures=%llu\n",
              connections, wall, static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(load.ok),
              static_cast<unsigned long long>(load.non_2xx),
              static_cast<unsigned long long>(load.failures));
  std::printf("engine: req/s=%.0f p50=%.2fms p99=%.2fms cpu=%.2fs cpu_us_per_req=%.2f\n",
              static_cast<double>(total) / wall, p50 * 1e3, p99 * 1e3, cpu,
              total ? cpu / static_cast<double>(total) * 1e6 : 0.0);
  std::printf("RESULT rps=%.0f cpu_us_per_req=%.3f p99_ms=%.2f errors=%llu\n",
              static_cast<double>(total) / wall,
              total ? cpu / static_cast<double>(total) * 1e6 : 0.0, p99 * 1e3,
              static_cast<unsigned long long>(load.non_2xx + load.failures));
  return 0;
}

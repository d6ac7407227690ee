// curl_get_loop — libcurl's own floor for engine_vs_wrk: the same load (GET /status/{id}, N
// requests kept in flight over at most N pooled connections for D seconds, rotating over the given
// kickoff ids) from a bare libcurl multi loop on the main thread. No engine, no callbacks, no
// threads: each of N easy handles is re-aimed at the next id and re-added as soon as it finishes,
// the body goes into a reused buffer, and the options that do not change are set once. What the
// engine costs above this is the engine's; what this costs above wrk is libcurl's.
// Prints the same RESULT line as engine_vs_wrk. Token from $CREWAI_TOKEN.
//   curl_get_loop --url http://127.0.0.1:PORT --ids ids.txt --connections 100 --seconds 10
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::size_t discard_into(char* data, std::size_t size, std::size_t n, void* buffer) {
  static_cast<std::string*>(buffer)->append(data, size * n);
  return size * n;
}

struct Slot {
  CURL* easy = nullptr;
  std::string body;
};

}  // namespace

int main(int argc, char** argv) {
  const auto load = crewai::bench::read_get_load(argc, argv, "curl_get_loop");
  if (!load) return 2;
  const long connections = load->connections;
  const double seconds = load->seconds;
  std::vector<std::string> urls;
  urls.reserve(load->ids.size());
  for (const auto& id : load->ids) urls.push_back(load->url_of(id));

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
  curl_slist* headers =
      curl_slist_append(nullptr, ("Authorization: Bearer " + load->token).c_str());
  std::vector<Slot> slots(static_cast<std::size_t>(connections));
  std::size_t next = 0;
  auto aim = [&](Slot& s) {
    s.body.clear();
    curl_easy_setopt(s.easy, CURLOPT_URL, urls[next++ % urls.size()].c_str());
    curl_multi_add_handle(multi, s.easy);
  };
  for (auto& s : slots) {
    s.easy = curl_easy_init();
    curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, discard_into);
    curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.body);
    curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
    curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, 30'000L);
    curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
  }

  std::vector<double> latencies;
  latencies.reserve(4'000'000);
  std::uint64_t ok = 0, non_2xx = 0, failures = 0;
  const double cpu0 = crewai::bench::cpu_seconds();
  const auto t0 = Clock::now();
  const auto stop_at = t0 + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(seconds));
  for (auto& s : slots) aim(s);
  int running = 1;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Slot* s = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      double total = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME, &total);
      if (m->data.result != CURLE_OK) {
        ++failures;
      } else if (status >= 200 && status < 300) {
        ++ok;
        latencies.push_back(total);
      } else {
        ++non_2xx;
      }
      curl_multi_remove_handle(multi, m->easy_handle);
      if (Clock::now() < stop_at) {
        aim(*s);
        running = 1;
      }
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = crewai::bench::cpu_seconds() - cpu0;

  const std::uint64_t total = ok + non_2xx + failures;
  const double p99 = crewai::bench::percentile(latencies, 99);
  std::printf("curl_get_loop: connections=%ld wall=%.2fs requests=%llu ok=%llu non2xx=%llu "
              "failures=%llu\n", connections, wall, static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(ok), static_cast<unsigned long long>(non_2xx),
              static_cast<unsigned long long>(failures));
  std::printf("RESULT rps=%.0f cpu_us_per_req=%.3f p99_ms=%.2f errors=%llu\n",
              static_cast<double>(total) / wall,
              total ? cpu / static_cast<double>(total) * 1e6 : 0.0, p99 * 1e3,
              static_cast<unsigned long long>(non_2xx + failures));
  for (auto& s : slots) curl_easy_cleanup(s.easy);
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return 0;
}

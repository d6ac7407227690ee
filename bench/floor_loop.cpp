// floor_loop — the floor a batch client is measured against: a bare libcurl-multi loop that sends
// the request mix of `crewctl batch` and nothing else. Per item, one POST /kickoff (the same body
// shape: {"inputs": {...}, "meta": {"requestId": ...}}, the same headers), then GET /status/{id}
// every --poll-interval seconds until the run is terminal; at most --concurrency items in flight on
// one multi handle, over at most --connections (default: --concurrency) connections to the host, all
// reused (no fresh connect per POST). No JSON library and no threads: the kickoff id and the state are found by substring, so the
// CPU it spends is libcurl's plus the loop's. Items are {"topic": "topic-<i>", "current_year":
// "2025"}, the lines bench/floor.sh gives crewctl. Token from $CREWAI_TOKEN.
//   floor_loop --url http://127.0.0.1:PORT --items 2000 --concurrency 100 --connections 64
//              --poll-interval 0.05
// --post-body reader gives each kickoff's body as crewctl does: through CURLOPT_READFUNCTION with a
// seek callback that refuses, so that libcurl cannot silently send a POST again on a reused
// connection that died (issue 13, point 3); libcurl then sends the headers and the body in two
// writes. The default, `fields`, is CURLOPT_POSTFIELDS: one write, but a POST libcurl may re-send.
// Prints: RESULT items= succeeded= failed= kickoffs= polls= failures= wall_s= cpu_s=
//         us_per_request= (CPU of this process, getrusage RUSAGE_SELF; requests = kickoffs + polls)
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// The value of the first `"key":"VALUE"` in a compact JSON body (nlohmann writes no spaces), or "".
std::string_view string_field(std::string_view body, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  auto at = body.find(pattern);
  if (at == std::string_view::npos) return {};
  auto from = at + pattern.size();
  auto to = body.find('"', from);
  return to == std::string_view::npos ? std::string_view{} : body.substr(from, to - from);
}

bool terminal(std::string_view state) {
  return state == "SUCCESS" || state == "FAILED" || state == "FAILURE" || state == "REVOKED";
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct Slot {
  CURL* easy = nullptr;
  long item = -1;
  bool kickoff = false;
  int failed_polls = 0;
  std::string post_body, url, id, answer;
  std::size_t body_sent = 0;  // --post-body reader: bytes of post_body handed to libcurl
};

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto& s = *static_cast<Slot*>(user);
  const std::size_t n = std::min(size * count, s.post_body.size() - s.body_sent);
  s.post_body.copy(buffer, n, s.body_sent);
  s.body_sent += n;
  return n;
}

int refuse_seek(void*, curl_off_t, int) { return CURL_SEEKFUNC_FAIL; }

struct Loop {
  std::string base;
  long items = 0, next_item = 0, active = 0;
  std::chrono::duration<double> interval{0.05};
  CURLM* multi = nullptr;
  curl_slist* get_headers = nullptr;
  curl_slist* post_headers = nullptr;
  std::vector<Slot> slots;
  using Due = std::pair<Clock::time_point, std::size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> timers;
  long succeeded = 0, failed = 0, kickoffs = 0, polls = 0, failures = 0;
  bool post_reader = false;  // --post-body reader

  void send(std::size_t i) {
    Slot& s = slots[i];
    s.answer.clear();
    if (s.kickoff) {
      ++kickoffs;
      s.url = base + "/kickoff";
      curl_easy_setopt(s.easy, CURLOPT_URL, s.url.c_str());
      curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, post_headers);
      if (post_reader) {
        s.body_sent = 0;
        curl_easy_setopt(s.easy, CURLOPT_POST, 1L);
        curl_easy_setopt(s.easy, CURLOPT_READFUNCTION, &read_body);
        curl_easy_setopt(s.easy, CURLOPT_READDATA, &s);
        curl_easy_setopt(s.easy, CURLOPT_SEEKFUNCTION, &refuse_seek);
        curl_easy_setopt(s.easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);  // as crewctl (transfer.cpp)
      } else {
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, s.post_body.c_str());
      }
      curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(s.post_body.size()));
    } else {
      ++polls;
      s.url = base + "/status/" + s.id;
      curl_easy_setopt(s.easy, CURLOPT_URL, s.url.c_str());
      curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, get_headers);
      curl_easy_setopt(s.easy, CURLOPT_HTTPGET, 1L);
    }
    curl_multi_add_handle(multi, s.easy);
  }

  void start_item(std::size_t i) {
    if (next_item >= items) return;
    Slot& s = slots[i];
    s.item = next_item++;
    s.kickoff = true;
    s.failed_polls = 0;
    s.post_body = R"({"inputs":{"current_year":"2025","topic":"topic-)" + std::to_string(s.item) +
                  R"("},"meta":{"requestId":"floor-)" + std::to_string(s.item) + R"("}})";
    ++active;
    send(i);
  }

  void end_item(std::size_t i, bool ok) {
    ++(ok ? succeeded : failed);
    --active;
    start_item(i);
  }

  void poll_later(std::size_t i) {
    timers.emplace(Clock::now() + std::chrono::duration_cast<Clock::duration>(interval), i);
  }

  void on_done(std::size_t i, CURLcode result) {
    Slot& s = slots[i];
    curl_multi_remove_handle(multi, s.easy);
    long status = 0;
    curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &status);
    const bool answered = result == CURLE_OK && status == 200;
    if (!answered) ++failures;
    if (s.kickoff) {
      auto id = answered ? string_field(s.answer, "kickoff_id") : std::string_view{};
      if (id.empty()) return end_item(i, false);  // a kickoff is never re-sent (as crewctl)
      s.id = std::string(id);
      s.kickoff = false;
      return poll_later(i);
    }
    if (!answered && ++s.failed_polls >= 10) return end_item(i, false);
    auto state = answered ? string_field(s.answer, "state") : std::string_view{};
    if (terminal(state)) return end_item(i, state == "SUCCESS");
    poll_later(i);
  }

  void run() {
    for (std::size_t i = 0; i < slots.size(); ++i) start_item(i);
    while (active > 0) {
      auto now = Clock::now();
      while (!timers.empty() && timers.top().first <= now) {
        auto i = timers.top().second;
        timers.pop();
        send(i);
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Slot* s = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
        on_done(static_cast<std::size_t>(s - slots.data()), m->data.result);
      }
      int wait_ms = 1000;
      if (!timers.empty()) {
        auto until = std::chrono::ceil<std::chrono::milliseconds>(timers.top().first - Clock::now());
        wait_ms = static_cast<int>(std::max<long long>(0, std::min<long long>(wait_ms, until.count())));
      }
      if (active > 0) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  crewai::bench::Flags flags(argc, argv);
  const char* token = std::getenv("CREWAI_TOKEN");
  if (!flags.has("url") || token == nullptr) {
    std::fprintf(stderr,
                 "usage: CREWAI_TOKEN=T floor_loop --url URL [--items 2000] [--concurrency 100] "
                 "[--connections N] [--poll-interval 0.05] [--post-body fields|reader]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Loop loop;
  loop.base = flags.str("url");
  loop.items = flags.num("items", 2000);
  const long concurrency = std::max(1L, flags.num("concurrency", 100));
  loop.interval = std::chrono::duration<double>(flags.real("poll-interval", 0.05));
  const std::string post_body = flags.has("post-body") ? flags.str("post-body") : "fields";
  if (post_body != "fields" && post_body != "reader") {
    std::fprintf(stderr, "--post-body: fields or reader, not %s\n", post_body.c_str());
    return 2;
  }
  loop.post_reader = post_body == "reader";
  loop.multi = curl_multi_init();
  // The pool: crewctl's is ClientOptions::max_host_connections (64), shared by all runs in flight.
  const long connections = std::max(1L, flags.num("connections", concurrency));
  curl_multi_setopt(loop.multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
  // Keep every connection in the cache between requests (the default scales with the handles added
  // at the moment, which a loop that removes and re-adds them would shrink).
  curl_multi_setopt(loop.multi, CURLMOPT_MAXCONNECTS, connections);
  const std::string auth = "Authorization: Bearer " + std::string(token);
  for (const char* h : {auth.c_str(), "Accept: application/json"}) {
    loop.get_headers = curl_slist_append(loop.get_headers, h);
    loop.post_headers = curl_slist_append(loop.post_headers, h);
  }
  loop.post_headers = curl_slist_append(loop.post_headers, "Content-Type: application/json");
  loop.post_headers = curl_slist_append(loop.post_headers, "Expect:");
  loop.slots.resize(static_cast<std::size_t>(concurrency));
  for (auto& s : loop.slots) {
    s.easy = curl_easy_init();
    curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
    curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.answer);
    curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(s.easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1});
    curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, 30000L);
  }
  const auto t0 = Clock::now();
  const double cpu0 = crewai::bench::cpu_seconds();
  loop.run();
  const double cpu = crewai::bench::cpu_seconds() - cpu0;
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const long requests = loop.kickoffs + loop.polls;
  std::printf("RESULT items=%ld succeeded=%ld failed=%ld kickoffs=%ld polls=%ld failures=%ld "
              "wall_s=%.2f cpu_s=%.3f us_per_request=%.1f\n",
              loop.items, loop.succeeded, loop.failed, loop.kickoffs, loop.polls, loop.failures, wall,
              cpu, requests > 0 ? cpu * 1e6 / static_cast<double>(requests) : 0.0);
  for (auto& s : loop.slots) curl_easy_cleanup(s.easy);
  curl_slist_free_all(loop.get_headers);
  curl_slist_free_all(loop.post_headers);
  curl_multi_cleanup(loop.multi);
  curl_global_cleanup();
  return loop.failed == 0 ? 0 : 1;
}

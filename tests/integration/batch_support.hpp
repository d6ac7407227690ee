// batch_support.hpp — what the crewai::Batch integration tests share: a crew file with a given task
// duration, a fast-polling client for a SimFixture, items, running a batch, tallies, and the
// simulator's kickoff counts.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "crewai/batch.hpp"
#include "crewai/clock.hpp"
#include "support/sim_fixture.hpp"
#include "support/temp_dir.hpp"

namespace crewai::test {

using namespace std::chrono_literals;
using nlohmann::json;

inline json crew_json(double task_seconds = 10) {
  json c = json::parse(R"J({
    "name": "research", "inputs": ["topic", "current_year"],
    "tasks": [
      {"name": "research", "agent": "Researcher", "duration": 10, "output": "notes on {topic}"},
      {"name": "write", "agent": "Writer", "duration": 10, "output": "report on {topic}"}
    ],
    "result": "Report: {topic}",
    "failures": [{"when": {"input": "topic", "matches": "^fail"}, "message": "tool crashed"}]
  })J");
  c["tasks"][0]["duration"] = task_seconds;
  c["tasks"][1]["duration"] = task_seconds;
  return c;
}

inline std::string write_crew(const json& crew) {
  static std::atomic<int> n{0};
  auto path =
      std::filesystem::temp_directory_path() /
      ("crewai-batch-crew-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".json");
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(crew.dump().c_str(), f);
  std::fclose(f);
  return path.string();
}

inline Client make_client(const SimFixture& sim,
                          std::function<void(ClientOptions&)> tweak = nullptr) {
  ClientOptions o;
  o.base_url = sim.base_url();
  o.token = test::kSimToken;
  o.poll.initial = 5ms;
  o.poll.growth = 1.3;
  o.poll.cap = 30ms;
  o.poll.deadline = 120s;
  o.retry.backoff.initial = 5ms;
  o.retry.backoff.max = 50ms;
  o.retry.max_retry_after = 50ms;
  o.retry.max_attempts = 10;
  o.random_seed = 3;
  if (tweak) tweak(o);
  return Client::create(o).value();
}

inline std::vector<BatchItem> topics(int n, const std::string& prefix = "topic-") {
  std::vector<BatchItem> items;
  for (int i = 0; i < n; ++i) {
    BatchItem it;
    it.id = "item-" + std::to_string(i);
    it.inputs = {{"topic", prefix + std::to_string(i)}, {"current_year", "2026"}};
    items.push_back(std::move(it));
  }
  return items;
}

inline BatchReport run(Client& c, std::vector<BatchItem> items, BatchOptions o,
                       BatchObserver* obs = nullptr) {
  auto b = Batch::create(c, std::move(items), std::move(o), obs);
  if (!b) throw std::runtime_error(b.error().to_string());
  auto r = (*b)->run();
  if (!r) throw std::runtime_error(r.error().to_string());
  return std::move(*r);
}

inline std::map<Outcome, int> tally(const BatchReport& r) {
  std::map<Outcome, int> m;
  int shown = 0;
  for (const auto& rec : r.records) {
    ++m[rec.outcome];
    if (rec.outcome != Outcome::succeeded && shown++ < 3) {
      std::printf("  item %zu: %s: %s\n", rec.index, std::string(to_string(rec.outcome)).c_str(),
                  rec.error.c_str());
    }
  }
  return m;
}

// Virtual time for a batch test: the client, its batch and the simulator's runs all read one
// ManualClock in auto mode, which jumps to the next due time whenever the engine and the batch
// loop are both idle (with 5 ms of slack, so that polls due close together go out together).
// Rate waits, Retry-After, cooldowns, adaptive windows and run durations
// then cost no real time; the requests themselves still go over real sockets.
struct VirtualTime {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(true, 5ms);

  std::function<void(sim::ServerOptions&)> sim(std::function<void(sim::ServerOptions&)> more = {}) const {
    return [c = clock, more](sim::ServerOptions& o) {
      o.now = [c] { return c->now(); };
      if (more) more(o);
    };
  }
  std::function<void(ClientOptions&)> client(std::function<void(ClientOptions&)> more = {}) const {
    return [c = clock, more](ClientOptions& o) {
      o.clock = c;
      if (more) more(o);
    };
  }
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock->elapsed());
  }
};

// Every requestId the simulator saw was kicked off exactly once.
inline void expect_no_duplicate_kickoffs(const SimFixture& sim) {
  auto by_id = sim.stats()["kickoffs"]["by_request_id"];
  for (auto& [id, n] : by_id.items()) EXPECT_EQ(n.get<int>(), 1) << "requestId " << id;
}

inline std::int64_t kickoffs(const SimFixture& sim) {
  return sim.stats()["kickoffs"]["total"].get<std::int64_t>();
}

// Counts records and snapshots and keeps the highest in-flight count seen.
class Counter : public BatchObserver {
 public:
  bool on_record(const ItemRecord&) override {
    ++records;
    return true;
  }
  void on_snapshot(const BatchSnapshot& s) override {
    ++snapshots;
    max_in_flight = std::max<std::size_t>(max_in_flight, s.in_flight);
  }
  std::atomic<int> records{0}, snapshots{0};
  std::atomic<std::size_t> max_in_flight{0};
};

}  // namespace crewai::test

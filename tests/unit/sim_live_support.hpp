// sim_live_support.hpp — the simulator's socket-free core (Api::handle) on a hand-driven clock, for
// the dialect tests: no server, no threads, time moves only when the test says so.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {

class ApiHarness {
 public:
  using Response = sim::detail::Response;
  using Outgoing = sim::detail::Outgoing;

  // `crew`: a name under examples/crews. Live dialect, token "tok", one real second per crew
  // second.
  explicit ApiHarness(const std::string& crew,
                      const std::function<void(sim::ServerOptions&)>& tweak = {}) {
    auto loaded = sim::load_crew(crew_path(crew));
    if (!loaded) throw std::runtime_error(loaded.error());
    sim::ServerOptions o;
    o.crew = std::move(*loaded);
    o.tokens = {"tok"};
    o.time_scale = 1.0;
    o.seed = 3;
    o.dialect = sim::Dialect::live;
    if (tweak) tweak(o);
    api_ = std::make_unique<sim::detail::Api>(o);
  }

  Response call(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& auth = "Bearer tok") {
    return api_->handle({method, target, auth, body}, now_);
  }
  Response post(const std::string& target, const nlohmann::json& body) {
    return call("POST", target, body.dump());
  }
  nlohmann::json status(const std::string& id) {
    auto r = call("GET", "/status/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  std::string state(const std::string& id) { return status(id).value("state", "?"); }
  // A 200 kickoff's id (empty, and a test failure, otherwise).
  std::string kickoff(const nlohmann::json& body) { return id_of(post("/kickoff", body)); }
  static std::string id_of(const Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("kickoff_id", "") : "";
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }
  // Webhooks the run has due by now.
  std::vector<Outgoing> hooks(const std::string& id) {
    std::vector<Outgoing> out;
    (void)api_->due_webhooks(id, now_, out);
    return out;
  }
  nlohmann::json stats() const { return api_->stats(now_); }

 private:
  std::unique_ptr<sim::detail::Api> api_;
  sim::detail::Clock::time_point now_ = sim::detail::Clock::time_point{} + std::chrono::hours(1);
};

// A response body as JSON (discarded, not thrown, when it is not JSON: a test then fails on its
// fields).
inline nlohmann::json body_of(const ApiHarness::Response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

inline const nlohmann::json kResearchInputs = {{"topic", "AI agents"}, {"current_year", "2025"}};

// Every status key but `state` is present and null.
inline void expect_not_found(const nlohmann::json& s) {
  EXPECT_EQ(s.value("state", ""), "NOT FOUND") << s.dump();
  for (const char* key :
       {"status", "result", "result_json", "usage_metrics", "progress", "last_event", "events",
        "events_count", "events_by_type", "triggered_by", "execution_origin", "last_step",
        "last_executed_task", "flow_id", "source"}) {
    ASSERT_TRUE(s.contains(key)) << key;
    EXPECT_TRUE(s[key].is_null()) << key;
  }
}

}  // namespace crewai::test

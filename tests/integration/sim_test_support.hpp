// sim_test_support.hpp — what the simulator's HTTP tests share: a client with the fixture's token,
// polling a status until a condition holds (bounded, no fixed sleeps), and the research inputs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "integration/sim_http.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {

inline const nlohmann::json kResearch = {{"topic", "AI agents"}, {"current_year", "2025"}};

inline HttpClient client_for(const SimFixture& sim) {
  HttpClient c(sim.base_url());
  c.set_token(kSimToken);
  return c;
}

// Polls `target` until `done(status)` holds or the deadline passes; returns the last status object.
inline nlohmann::json poll_until(HttpClient& c, const std::string& target,
                                 const std::function<bool(const nlohmann::json&)>& done,
                                 std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < end) {
    auto r = c.get(target);
    last = r.json();
    if (r.status == 200 && done(last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ADD_FAILURE() << "condition not reached; last status: " << last.dump();
  return last;
}

inline nlohmann::json wait_state(HttpClient& c, const std::string& id, const std::string& state) {
  return poll_until(c, "/status/" + id,
                    [&](const nlohmann::json& s) { return s.value("state", "") == state; });
}

}  // namespace crewai::test

// POST /stop/{id} (live and amp) and flows with a typed state model, in the simulator's socket-free
// core. The rest of the live dialect: sim_live_test.cpp.
#include "unit/sim_live_support.hpp"

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

void use_amp(sim::ServerOptions& o) {
  o.dialect = sim::Dialect::amp;
}

TEST(SimStop, StopsARunningRunWhichThenReadsRevokedAndSendsNothingMore) {
  for (bool live : {true, false}) {
    ApiHarness api("research", live ? nullptr : use_amp);
    auto id = api.kickoff({{"inputs", kResearchInputs},
                           {"taskWebhookUrl", "http://hooks.example/task"},
                           {"crewWebhookUrl", "http://hooks.example/crew"}});
    api.advance(10s);
    ASSERT_EQ(api.state(id), "RUNNING");
    auto r = api.call("POST", "/stop/" + id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r), json({{"status", "stopped"}, {"kickoffId", id}}));
    api.advance(1h);
    auto s = api.status(id);
    EXPECT_EQ(s["state"], "REVOKED");
    EXPECT_TRUE(s["result"].is_null());
    EXPECT_TRUE(api.hooks(id).empty()) << "live=" << live;  // no task or crew webhook after it
    auto again = api.call("POST", "/stop/" + id);
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.body.find("Cannot stop execution. Current state: REVOKED") != std::string::npos,
              true)
        << again.body;
    EXPECT_EQ(api.stats()["stops"], json({{"stopped", 1}, {"refused", 1}}));
    EXPECT_EQ(api.stats()["runs"]["by_state"], json({{"REVOKED", 1}}));
  }
}

TEST(SimStop, TerminalRunsAreRefusedWithTheirStateAndUnknownIdsAre404) {
  ApiHarness api("research");
  auto ok = api.kickoff({{"inputs", kResearchInputs}});
  auto bad = api.kickoff({{"inputs", {{"topic", "fail now"}, {"current_year", "2025"}}}});
  api.advance(1h);
  auto r = api.call("POST", "/stop/" + ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_of(r), json({{"detail", "Cannot stop execution. Current state: SUCCESS"}}));
  EXPECT_EQ(body_of(api.call("POST", "/stop/" + bad)),
            json({{"detail", "Cannot stop execution. Current state: FAILED"}}));
  auto unknown = api.call("POST", "/stop/no-such-run");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(body_of(unknown), json({{"detail", "Not Found"}}));  // the run, not the route
  EXPECT_EQ(api.call("GET", "/stop/" + ok).status, 405);
  EXPECT_EQ(api.stats()["stops"], json({{"refused", 2}, {"unknown", 1}}));
  EXPECT_EQ(api.stats()["requests"]["POST /stop"], json({{"400", 2}, {"404", 1}, {"405", 1}}));
}

TEST(SimStop, ACrewWaitingForInputReadsNotFoundSoLiveCannotStopIt) {
  ApiHarness live("approval");
  auto id = live.kickoff({{"inputs", {{"topic", "x"}}}});
  live.advance(1h);
  EXPECT_EQ(live.call("POST", "/stop/" + id).status, 404);
  ApiHarness amp("approval", use_amp);
  id = amp.kickoff({{"inputs", {{"topic", "x"}}}});
  amp.advance(1h);
  ASSERT_EQ(amp.state(id), "PAUSED");
  EXPECT_EQ(amp.call("POST", "/stop/" + id).status, 200);
  EXPECT_EQ(amp.state(id), "REVOKED");
}

TEST(SimStop, WithoutTheRouteStopIsTheRoute404) {
  ApiHarness api("research", [](sim::ServerOptions& o) { o.stop_route = false; });
  auto id = api.kickoff({{"inputs", kResearchInputs}});
  auto r = api.call("POST", "/stop/" + id);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_of(r), json({{"detail", "Not Found"}}));
  EXPECT_EQ(api.state(id), "PENDING");
  EXPECT_TRUE(api.stats()["stops"].empty());
  ApiHarness amp("research", [](sim::ServerOptions& o) {
    use_amp(o);
    o.stop_route = false;
  });
  EXPECT_EQ(body_of(amp.call("POST", "/stop/x")), json({{"detail", "Not Found"}}));
  EXPECT_NE(body_of(amp.call("POST", "/nope")), json({{"detail", "Not Found"}}));  // amp's own 404
  for (auto dialect : {sim::Dialect::celery_legacy, sim::Dialect::seed}) {
    ApiHarness other("research", [dialect](sim::ServerOptions& o) { o.dialect = dialect; });
    auto r = other.call("POST", "/stop/x");
    EXPECT_EQ(r.status, 404) << sim::dialect_name(dialect);
    EXPECT_EQ(body_of(r), json({{"detail", "Not Found"}})) << sim::dialect_name(dialect);
  }
}

TEST(SimStop, HasItsOwnFaultSection) {
  ApiHarness api("research", [](sim::ServerOptions& o) {
    o.faults = sim::parse_faults(json{{"stop", {{"errors", {{"503", 1.0}}}}}}).value();
  });
  auto id = api.kickoff({{"inputs", kResearchInputs}});
  EXPECT_EQ(api.call("POST", "/stop/" + id).status, 503);
  EXPECT_EQ(api.state(id), "PENDING");  // a refused stop stops nothing
  EXPECT_EQ(api.stats()["faults"]["http_503"], 1);
}

// flow_state.json: state topic (string, "the sea"), count (integer, 1), id (string), history
// (array); PENDING 1 s, STARTED 1 s, plan_poem 5 s, write_poem 10 s.
json flow_result(ApiHarness& api, const std::string& id) {
  api.advance(1h);
  auto s = api.status(id);
  EXPECT_EQ(s["state"], "SUCCESS") << s.dump();
  return s["result"].is_string() ? json::parse(s["result"].get<std::string>()) : json();
}

TEST(SimFlowState, InputsListTheStateAndNoneIsRequired) {
  for (bool live : {true, false}) {
    ApiHarness api("flow_state", live ? nullptr : use_amp);
    EXPECT_EQ(body_of(api.call("GET", "/inputs")),
              json({{"inputs", {"topic", "count", "id", "history"}}}));
    auto id = api.kickoff({{"inputs", json::object()}});
    auto result = flow_result(api, id);
    EXPECT_EQ(result["topic"], "the sea");
    EXPECT_EQ(result["count"], "1");
    EXPECT_EQ(result["history"], "[]");
  }
}

TEST(SimFlowState, TypedValuesAreKeptAndNamesTheStateLacksIgnored) {
  ApiHarness api("flow_state");
  auto id = api.kickoff({{"inputs", {{"count", 2}, {"history", {"a"}}, {"colour", "red"}}}});
  api.advance(3s);
  EXPECT_EQ(api.status(id)["progress"]["current"], "plan_poem");
  auto result = flow_result(api, id);
  EXPECT_EQ(result["count"], "2");
  EXPECT_EQ(result["history"], "[\"a\"]");
  EXPECT_EQ(result["poem"], "A poem about the sea in 2 verses");
}

TEST(SimFlowState, AValueOfTheWrongTypeFailsTheRunWithAClearMessage) {
  for (bool live : {true, false}) {
    ApiHarness api("flow_state", live ? nullptr : use_amp);
    auto id = api.kickoff({{"inputs", {{"count", "2"}, {"history", "[]"}}},
                           {"crewWebhookUrl", "http://hooks.example/c"}});
    api.advance(1s);
    EXPECT_EQ(api.state(id), "STARTED");
    api.advance(1s);
    auto s = api.status(id);
    EXPECT_EQ(s["state"], "FAILED");
    EXPECT_EQ(s[live ? "status" : "result"],
              "Invalid flow state: \"count\" must be an integer, got the string \"2\"; "
              "\"history\" must be an array, got the string \"[]\"");
    if (live) {
      EXPECT_TRUE(s["result"].is_null());
    }
    EXPECT_EQ(s["progress"]["completed"], 0);
    EXPECT_TRUE(api.hooks(id).empty());  // failed before it started: no crew webhook
  }
}

TEST(SimFlowState, LiveTakesABareBodyAndIgnoresItsValues) {
  ApiHarness api("flow_state");
  auto id = api.kickoff({{"topic", "owls"}, {"count", 5}});
  EXPECT_EQ(flow_result(api, id)["topic"], "the sea");
  ApiHarness amp("flow_state", use_amp);
  EXPECT_EQ(amp.post("/kickoff", json{{"topic", "owls"}}).status, 400);
}

TEST(SimFlowState, RestoreFromStateIdStartsFromThatRunsState) {
  ApiHarness api("flow_state");
  auto first = api.kickoff({{"inputs", {{"topic", "owls"}, {"count", 3}}}});
  flow_result(api, first);
  auto second = api.kickoff({{"inputs", {{"count", 4}}}, {"restoreFromStateId", first}});
  auto restored = flow_result(api, second);
  EXPECT_EQ(restored["topic"], "owls");
  EXPECT_EQ(restored["count"], "4");
  auto unknown = api.kickoff({{"inputs", json::object()}, {"restoreFromStateId", "no-such-run"}});
  EXPECT_EQ(flow_result(api, unknown)["topic"], "the sea");
}

TEST(SimFlowState, LiveFlowsWithoutAStateModelRequireNothing) {
  ApiHarness api("flow");
  EXPECT_EQ(api.post("/kickoff", json{{"inputs", {{"company", "Acme"}}}}).status, 200);
  ApiHarness amp("flow", use_amp);
  EXPECT_EQ(amp.post("/kickoff", json{{"inputs", {{"company", "Acme"}}}}).status, 422);
}

}  // namespace
}  // namespace crewai::test

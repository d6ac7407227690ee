// The simulator over HTTP on 127.0.0.1:0: endpoints, state paths, HITL, dialects, errors, stats.
// Faults, webhooks and the executable: sim_faults_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "integration/sim_test_support.hpp"

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string kickoff(HttpClient& c, const json& inputs, const json& extra = json::object()) {
  json body = extra;
  body["inputs"] = inputs;
  auto r = c.post("/kickoff", body);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json().value("kickoff_id", "");
}

TEST(SimServer, HealthAndInputs) {
  SimFixture sim("research");
  auto c = client_for(sim);
  auto health = c.get("/");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "Healthy");
  auto inputs = c.get("/inputs");
  EXPECT_EQ(inputs.status, 200);
  EXPECT_EQ(inputs.json(), json({{"inputs", {"topic", "current_year"}}}));
}

TEST(SimServer, RunMovesThroughStatesToSuccessWithEveryKey) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 0.005; });
  auto c = client_for(sim);
  auto id = kickoff(c, kResearch);
  const std::vector<std::string> order = {"PENDING", "STARTED", "RUNNING", "SUCCESS"};
  std::vector<std::string> seen;
  json last = poll_until(c, "/status/" + id, [&](const json& s) {
    auto st = s.value("state", "");
    if (seen.empty() || seen.back() != st) seen.push_back(st);
    return st == "SUCCESS";
  });
  std::size_t pos = 0;
  for (const auto& st : seen) {
    auto it = std::find(order.begin(), order.end(), st);
    ASSERT_NE(it, order.end()) << st;
    ASSERT_GE(static_cast<std::size_t>(it - order.begin()), pos) << "state went backwards: " << st;
    pos = static_cast<std::size_t>(it - order.begin());
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), "RUNNING"), seen.end());
  for (const char* key : {"state", "status", "result", "result_json", "usage_metrics", "progress",
                          "last_event", "events", "events_count", "events_by_type", "triggered_by",
                          "execution_origin", "last_step", "last_executed_task", "flow_id", "source"})
    EXPECT_TRUE(last.contains(key)) << key;
  EXPECT_EQ(last["result"], "# AI agents in 2025\n\nAdoption, consolidation and cost shape AI agents this year.");
  EXPECT_EQ(last["result_json"]["title"], "AI agents in 2025");
  EXPECT_EQ(last["execution_origin"], "api");
  EXPECT_EQ(last["progress"]["completed"], 3);
  EXPECT_EQ(last["progress"]["total"], 3);
  EXPECT_EQ(last["progress"]["remaining"], 0);
  EXPECT_EQ(last["last_executed_task"], "reporting_task");
  EXPECT_EQ(last["usage_metrics"]["total_tokens"], 9710);
  for (const char* key : {"unit", "completed", "total", "remaining", "current", "current_agent",
                          "started_at", "updated_at", "duration_seconds"})
    EXPECT_TRUE(last["progress"].contains(key)) << key;
}

TEST(SimServer, RunningStatusNamesCurrentTaskAndAgent) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 0.01; });
  auto c = client_for(sim);
  auto id = kickoff(c, kResearch);
  auto s = wait_state(c, id, "RUNNING");
  EXPECT_TRUE(s["progress"]["current"].is_string());
  EXPECT_TRUE(s["progress"]["current_agent"].is_string());
  EXPECT_TRUE(s["result"].is_null());
}

TEST(SimServer, FailureRuleEndsFailedWithMessage) {
  SimFixture sim("research");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"topic", "fail this"}, {"current_year", "2025"}});
  auto s = wait_state(c, id, "FAILED");
  EXPECT_EQ(s["status"], "Agent could not research 'fail this': source unavailable");
  EXPECT_TRUE(s["result_json"].is_null());
}

TEST(SimServer, FlowResultIsJsonStringAndTotalsNull) {
  SimFixture sim("flow");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"company", "Acme"}, {"website", "acme.example"}});
  auto s = wait_state(c, id, "SUCCESS");
  ASSERT_TRUE(s["result"].is_string());
  auto inner = json::parse(s["result"].get<std::string>());
  EXPECT_EQ(inner["company"], "Acme");
  EXPECT_TRUE(s["progress"]["total"].is_null());
  EXPECT_TRUE(s["progress"]["remaining"].is_null());
}

TEST(SimServer, PauseApproveCompletes) {
  SimFixture sim("approval");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"topic", "remote work"}});
  auto s = wait_state(c, id, "PAUSED");
  EXPECT_EQ(s["result"], "Draft post about remote work: remote work is changing how teams work.");
  auto r = c.post("/resume", json{{"execution_id", id}, {"task_id", "draft_task"},
                                  {"human_feedback", "ok"}, {"is_approve", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "resumed");
  s = wait_state(c, id, "SUCCESS");
  EXPECT_EQ(s["result"], "Published: remote work is changing how teams work.");
  EXPECT_EQ(s["execution_origin"], "hitl-resume");
}

TEST(SimServer, PauseRejectRerunsWithFeedbackAndPausesAgain) {
  SimFixture sim("approval");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"topic", "remote work"}});
  wait_state(c, id, "PAUSED");
  auto r = c.post("/resume", json{{"execution_id", id}, {"human_feedback", "make it shorter"},
                                  {"is_approve", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "retrying");
  auto s = poll_until(c, "/status/" + id, [](const json& s) {
    return s["state"] == "PAUSED" && s["result"].get<std::string>().find("make it shorter") != std::string::npos;
  });
  EXPECT_EQ(s["state"], "PAUSED");
}

TEST(SimServer, ResumeErrors) {
  SimFixture sim("approval", [](sim::ServerOptions& o) { o.time_scale = 1.0; });
  auto c = client_for(sim);
  auto unknown = c.post("/resume", json{{"execution_id", "nope"}, {"is_approve", true}});
  EXPECT_EQ(unknown.status, 404);
  auto id = kickoff(c, {{"topic", "x"}});
  auto not_paused = c.post("/resume", json{{"execution_id", id}, {"is_approve", true}});
  EXPECT_EQ(not_paused.status, 400);
  EXPECT_NE(not_paused.json()["message"].get<std::string>().find("not waiting"), std::string::npos);
  EXPECT_EQ(c.post("/resume", json{{"execution_id", id}}).status, 400);
  EXPECT_EQ(c.post("/resume", std::string("{")).status, 400);
}

TEST(SimServer, CeleryLegacyDialect) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.dialect = sim::Dialect::celery_legacy; });
  auto c = client_for(sim);
  auto missing = c.get("/status/00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.json()["state"], "NOT FOUND");
  auto id = kickoff(c, {{"topic", "fail"}, {"current_year", "2025"}});
  auto s = wait_state(c, id, "FAILURE");
  EXPECT_TRUE(s.contains("progress"));
}

TEST(SimServer, SeedDialect) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.dialect = sim::Dialect::seed; });
  auto c = client_for(sim);
  auto id = kickoff(c, kResearch);
  auto s = poll_until(c, "/" + id + "/status", [](const json& s) { return s["status"] == "completed"; });
  EXPECT_EQ(s["result"]["output"], "# AI agents in 2025\n\nAdoption, consolidation and cost shape AI agents this year.");
  EXPECT_EQ(s["progress"]["completed_tasks"], 3);
  EXPECT_EQ(s["progress"]["total_tasks"], 3);
  EXPECT_TRUE(s.contains("error_message"));
  EXPECT_TRUE(s.contains("current_task"));
  EXPECT_TRUE(s.contains("execution_time"));
  auto bad = kickoff(c, {{"topic", "fail"}, {"current_year", "2025"}});
  auto e = poll_until(c, "/" + bad + "/status", [](const json& s) { return s["status"] == "error"; });
  EXPECT_TRUE(e["error_message"].is_string());
}

TEST(SimServer, ReversedStatusPathOnlyWithCompatSwitch) {
  SimFixture plain("research");
  auto c = client_for(plain);
  auto id = kickoff(c, kResearch);
  EXPECT_EQ(c.get("/" + id + "/status").status, 404);
  SimFixture compat("research", [](sim::ServerOptions& o) { o.reversed_status_path = true; });
  auto c2 = client_for(compat);
  auto id2 = kickoff(c2, kResearch);
  auto r = c2.get("/" + id2 + "/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.json().contains("state"));
}

TEST(SimServer, ErrorCodesDocsStyle) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.max_body_bytes = 1024; });
  auto c = client_for(sim);
  auto e400 = c.post("/kickoff", std::string("{not json"));
  EXPECT_EQ(e400.status, 400);
  EXPECT_EQ(e400.json()["error"], "Bad Request");
  EXPECT_EQ(c.post("/kickoff", json{{"meta", {}}}).status, 400);
  EXPECT_EQ(c.post("/kickoff", json{{"inputs", "topic"}}).status, 400);
  EXPECT_EQ(c.post("/kickoff", json::array()).status, 400);
  auto deep = c.post(
      "/kickoff", R"({"inputs":{"topic":)" + std::string(300, '[') + std::string(300, ']') + "}}");
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body.find("deeper than 128 levels"), std::string::npos) << deep.body;
  EXPECT_EQ(c.post("/kickoff", std::string(R"({"inputs":{"topic":1e400}})")).status, 400);
  auto e422 = c.post("/kickoff", json{{"inputs", {{"topic", "x"}}}});
  EXPECT_EQ(e422.status, 422);
  EXPECT_EQ(e422.json()["details"]["missing_inputs"], json({"current_year"}));
  EXPECT_EQ(c.get("/status/unknown-id").status, 404);
  auto e404 = c.get("/no/such/path");
  EXPECT_EQ(e404.status, 404);
  EXPECT_TRUE(e404.json().contains("message"));
  auto e405 = c.request("DELETE", "/kickoff", "");
  EXPECT_EQ(e405.status, 405);
  EXPECT_EQ(e405.header("allow"), "POST");
  auto e413 = c.post("/kickoff", std::string(4096, ' '));
  EXPECT_EQ(e413.status, 413);
  auto garbage = c.raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(c.get("/").status, 200);  // still serving
}

TEST(SimServer, ErrorCodesFastapiStyle) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.errors = sim::ErrorStyle::fastapi; });
  auto c = client_for(sim);
  auto e422 = c.post("/kickoff", json{{"inputs", json::object()}});
  ASSERT_EQ(e422.status, 422);
  auto detail = e422.json()["detail"];
  ASSERT_EQ(detail.size(), 2u);
  EXPECT_EQ(detail[0]["loc"], json({"body", "inputs", "topic"}));
  EXPECT_EQ(detail[0]["type"], "missing");
  auto e404 = c.get("/status/x");
  EXPECT_TRUE(e404.json()["detail"].is_string());
}

TEST(SimServer, AuthRequiredEverywhereAndSeveralTokens) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.tokens = {"a-token", "b-token"}; });
  HttpClient c(sim.base_url());
  for (const char* path : {"/", "/inputs", "/status/x", "/_sim/stats"}) {
    EXPECT_EQ(c.get(path).status, 401) << path;
  }
  c.set_token("wrong");
  EXPECT_EQ(c.get("/inputs").status, 401);
  c.set_header("Authorization", "a-token");
  EXPECT_EQ(c.get("/inputs").status, 401);
  c.set_token("a-token");
  EXPECT_EQ(c.get("/inputs").status, 200);
  c.set_token("b-token");
  EXPECT_EQ(c.get("/inputs").status, 200);
  auto r = HttpClient(sim.base_url()).get("/inputs");
  EXPECT_EQ(r.body.find("a-token"), std::string::npos);
}

TEST(SimServer, StatsCountRequestsKickoffsAndRuns) {
  SimFixture sim("research");
  auto c = client_for(sim);
  auto a = kickoff(c, kResearch, {{"meta", {{"requestId", "row-1"}}}});
  kickoff(c, kResearch, {{"meta", {{"requestId", "row-1"}}}});
  kickoff(c, kResearch, {{"meta", {{"requestId", "row-2"}}}});
  c.get("/status/unknown");
  wait_state(c, a, "SUCCESS");
  auto st = c.get("/_sim/stats").json();
  EXPECT_EQ(st["kickoffs"]["total"], 3);
  EXPECT_EQ(st["kickoffs"]["by_request_id"]["row-1"], 2);
  EXPECT_EQ(st["kickoffs"]["by_request_id"]["row-2"], 1);
  EXPECT_EQ(st["requests"]["POST /kickoff"]["200"], 3);
  EXPECT_EQ(st["requests"]["GET /status"]["404"], 1);
  EXPECT_TRUE(st["runs"]["by_state"].is_object());
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 3);
  EXPECT_EQ(c.post("/_sim/reset", std::string("{}")).status, 200);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
}

// 100 connections open at once, 4 client threads kicking off and reading runs; every status read
// also reads one run that all threads share, so that its memoised body is used from every thread.
void many_runs_on(int io_threads) {
  SimFixture sim("research", [io_threads](sim::ServerOptions& o) {
    o.time_scale = 1.0;
    o.threads = io_threads;
  });
  constexpr int kConnections = 100, kRunsEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<HttpClient>(sim.base_url()));
    clients.back()->set_token(kSimToken);
    ASSERT_EQ(clients.back()->get("/").status, 200);  // all connections open at once
  }
  const std::string shared = kickoff(*clients[0], kResearch);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < kConnections; i += 4)
        for (int k = 0; k < kRunsEach; ++k) {
          auto r = clients[i]->post("/kickoff", json{{"inputs", kResearch}});
          auto id = r.json().value("kickoff_id", "");
          if (r.status == 200 && clients[i]->get("/status/" + id).status == 200 &&
              clients[i]->get("/status/" + shared).status == 200)
            ++ok;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kConnections * kRunsEach);
  auto st = sim.stats();
  EXPECT_EQ(st["runs"]["live"], kConnections * kRunsEach + 1);
  EXPECT_EQ(st["requests"]["GET /"]["200"], kConnections);
  EXPECT_EQ(st["kickoffs"]["total"], kConnections * kRunsEach + 1);
  const auto& bodies = st["status_bodies"];
  EXPECT_EQ(bodies["rendered"].get<int>() + bodies["reused"].get<int>(), 2 * kConnections * kRunsEach);
  // Each new run's first read renders its body; the shared run's reads reuse theirs, but for the
  // few times its view moved on (PENDING, STARTED, RUNNING... at most 6 at this time scale).
  EXPECT_GE(bodies["reused"].get<int>(), kConnections * kRunsEach - 6);
}

TEST(SimServer, ManyRunsAndConcurrentConnections) { many_runs_on(1); }
TEST(SimServer, ManyRunsAndConcurrentConnectionsOnFourIoThreads) { many_runs_on(4); }

void use_live(sim::ServerOptions& o) { o.dialect = sim::Dialect::live; }

TEST(SimServerLive, PauseCallsBackWithoutAuthAndResumeIsFollowedUnderItsNewId) {
  WebhookReceiver rx;
  SimFixture sim("approval", use_live);
  auto c = client_for(sim);
  auto id = kickoff(c, {{"topic", "remote work"}}, {{"humanInputWebhookUrl", rx.url("/hitl")}});
  auto hits = rx.wait_for("/hitl", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].authorization, "");
  EXPECT_EQ(hits[0].body["kickoff_id"], id);
  EXPECT_EQ(c.get("/status/" + id).json()["state"], "NOT FOUND");
  auto r = c.post("/resume", json{{"executionId", id}, {"taskId", hits[0].body["task_id"]},
                                  {"humanFeedback", "ok"}, {"isApprove", true},
                                  {"crewWebhookUrl", rx.url("/crew")}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto next = r.json().value("kickoff_id", "");
  ASSERT_NE(next, id);
  auto s = wait_state(c, next, "SUCCESS");
  EXPECT_EQ(s["result"], "Published: remote work is changing how teams work.");
  auto crew = rx.wait_for("/crew", 1);
  ASSERT_EQ(crew.size(), 1u);
  EXPECT_EQ(crew[0].body["kickoff_id"], next);
}

TEST(SimServerLive, PlainTextServerErrorAndStopOverHttp) {
  SimFixture sim("research", [](sim::ServerOptions& o) {
    use_live(o);
    o.time_scale = 1.0;
  });
  auto c = client_for(sim);
  auto bad = c.post("/kickoff", std::string("{nope"));
  EXPECT_EQ(bad.status, 500);
  EXPECT_EQ(bad.body, "Internal Server Error");
  EXPECT_EQ(bad.header("content-type").rfind("text/plain", 0), 0u) << bad.header("content-type");
  auto id = kickoff(c, kResearch);
  auto stop = c.post("/stop/" + id, std::string());
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(stop.json(), json({{"status", "stopped"}, {"kickoffId", id}}));
  EXPECT_EQ(c.get("/status/" + id).json()["state"], "REVOKED");
  EXPECT_EQ(sim.stats()["stops"]["stopped"], 1);
}

}  // namespace
}  // namespace crewai::test

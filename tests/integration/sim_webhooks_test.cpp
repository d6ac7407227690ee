// Simulator webhooks: task/step/crew/human-input payloads, event streaming (the kickoff's
// `webhooks` field: crewAI event-bus events POSTed as {"events": [...]}), and a paused flow's
// signed feedback request with its callback endpoint.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "integration/sim_test_support.hpp"
#include "protocol/hitl.hpp"

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(SimWebhooks, TaskStepCrewAndHumanInput) {
  WebhookReceiver rx;
  SimFixture sim("approval");
  auto c = client_for(sim);
  json body = {{"inputs", {{"topic", "ai"}}},
               {"meta", {{"requestId", "w1"}}},
               {"taskWebhookUrl", rx.url("/task")},
               {"stepWebhookUrl", rx.url("/step")},
               {"crewWebhookUrl", rx.url("/crew-old")},
               {"humanInputWebhook",
                {{"url", rx.url("/hitl")},
                 {"authentication", {{"strategy", "bearer"}, {"token", "hook-secret"}}}}}};
  auto id = c.post("/kickoff", body).json()["kickoff_id"].get<std::string>();
  auto hitl = rx.wait_for("/hitl", 1);
  ASSERT_EQ(hitl.size(), 1u);
  EXPECT_EQ(hitl[0].authorization, "Bearer hook-secret");
  EXPECT_EQ(hitl[0].body["execution_id"], id);
  EXPECT_EQ(hitl[0].body["task_id"], "draft_task");
  EXPECT_EQ(hitl[0].body["meta"]["requestId"], "w1");
  auto task = rx.wait_for("/task", 1);
  ASSERT_EQ(task.size(), 1u);
  EXPECT_EQ(task[0].body["name"], "draft_task");
  EXPECT_EQ(task[0].body["kickoff_id"], id);
  EXPECT_EQ(rx.wait_for("/step", 1).size(), 1u);
  auto r = c.post(
      "/resume",
      json{{"execution_id", id}, {"is_approve", true}, {"crewWebhookUrl", rx.url("/crew-new")}});
  ASSERT_EQ(r.status, 200);
  auto crew = rx.wait_for("/crew-new", 1);
  ASSERT_EQ(crew.size(), 1u);
  EXPECT_EQ(crew[0].body["result"], "Published: ai is changing how teams work.");
  EXPECT_EQ(crew[0].body["meta"]["requestId"], "w1");
  EXPECT_TRUE(crew[0].body["token_usage"].contains("total_tokens"));
  EXPECT_TRUE(rx.wait_for("/crew-old", 1, 50ms).empty());  // kickoff's URLs replaced by resume's
  EXPECT_EQ(rx.wait_for("/task", 2, 50ms).size(), 1u);     // task URL not resent: stops
}

// Event streaming (`webhooks` kickoff field): crewAI event-bus events POSTed as {"events": [...]}.

using Hits = std::vector<WebhookReceiver::Hit>;

json streaming(const WebhookReceiver& rx, const std::string& path, json extra = json::object()) {
  json w = {{"url", rx.url(path)},
            {"authentication", {{"strategy", "bearer"}, {"token", "stream-secret"}}}};
  w.update(extra);
  return w;
}

std::string kickoff(HttpClient& c, json body) {
  auto r = c.post("/kickoff", body);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json().value("kickoff_id", "");
}

// Every event of `hits`, sorted by timestamp (the documented way to read the stream).
std::vector<json> events_of(const Hits& hits) {
  std::vector<json> out;
  for (const auto& h : hits)
    for (const auto& e : h.body["events"]) out.push_back(e);
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a["timestamp"].get<std::string>() < b["timestamp"].get<std::string>();
  });
  return out;
}

std::vector<std::string> types_of(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["type"]);
  return out;
}

bool has_event(const Hits& hits, const std::string& type) {
  for (const auto& h : hits)
    for (const auto& e : h.body["events"])
      if (e["type"] == type) return true;
  return false;
}

Hits wait_event(WebhookReceiver& rx, const std::string& path, const std::string& type) {
  return rx.wait_until(path, [&](const Hits& h) { return has_event(h, type); });
}

// Waits until `path` received an event of type `last` (the run's final one), then until every
// webhook POST the simulator started has arrived: stats.webhooks.sent counts a POST before it is
// sent, and nothing is started after the final event, so no more hits are on the way. Returns the
// hits on `path`.
Hits settle(WebhookReceiver& rx, SimFixture& sim, const std::string& path,
            const std::string& last) {
  auto hits = wait_event(rx, path, last);
  EXPECT_TRUE(has_event(hits, last)) << path << " never received " << last;
  auto sent = sim.stats()["webhooks"]["sent"].get<std::size_t>();
  auto all = rx.wait_until("", [sent](const Hits& h) { return h.size() >= sent; });
  EXPECT_EQ(all.size(), sent);
  return rx.wait_for(path, 0);
}

const std::vector<std::string> kCrewEvents = {
    "crew_kickoff_started", "task_started", "task_completed", "task_started",
    "task_completed",       "task_started", "task_completed", "crew_kickoff_completed"};

TEST(SimStreaming, CrewRunSendsEveryEventBatchedWithBearer) {
  WebhookReceiver rx;
  SimFixture sim("research");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"inputs", kResearch}, {"webhooks", streaming(rx, "/events")}});
  auto hits = settle(rx, sim, "/events", "crew_kickoff_completed");
  auto events = events_of(hits);
  EXPECT_EQ(types_of(events), kCrewEvents);
  std::set<std::string> ids;
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const auto& e : events) {
    ids.insert(e["id"].get<std::string>());
    EXPECT_EQ(e["execution_id"], id);
    EXPECT_TRUE(std::regex_match(e["timestamp"].get<std::string>(), iso)) << e["timestamp"];
    EXPECT_TRUE(e["data"].is_object());
  }
  EXPECT_EQ(ids.size(), events.size());  // unique ids
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_LT(events[i - 1]["timestamp"], events[i]["timestamp"]);  // strictly increasing
  EXPECT_EQ(events[0]["data"]["crew_name"], "research_crew");
  EXPECT_EQ(events[0]["data"]["inputs"], kResearch);
  EXPECT_EQ(events[1]["data"]["task_name"], "research_task");
  EXPECT_EQ(events[1]["data"]["agent_role"], "Senior Data Researcher");
  EXPECT_EQ(events[4]["data"]["task_name"], "analysis_task");
  EXPECT_NE(events[4]["data"]["output"].get<std::string>().find("AI agents"), std::string::npos);
  EXPECT_EQ(events[7]["data"]["output"], wait_state(c, id, "SUCCESS")["result"]);
  EXPECT_GT(events[7]["data"]["total_tokens"].get<int>(), 0);
  for (const auto& h : hits) EXPECT_EQ(h.authorization, "Bearer stream-secret");
  EXPECT_LT(hits.size(), events.size());  // batched: a POST holds every event due at once
  auto st = sim.stats();
  EXPECT_EQ(st["webhooks"]["sent"], hits.size());
  EXPECT_EQ(st["webhooks"]["failed"], 0);
  EXPECT_EQ(st.dump().find("stream-secret"), std::string::npos);
  EXPECT_EQ(c.get("/status/" + id).body.find("stream-secret"), std::string::npos);
}

TEST(SimStreaming, RealtimeSendsOneEventPerPost) {
  WebhookReceiver rx;
  SimFixture sim("research");
  auto c = client_for(sim);
  kickoff(c, {{"inputs", kResearch}, {"webhooks", streaming(rx, "/rt", {{"realtime", true}})}});
  auto hits = settle(rx, sim, "/rt", "crew_kickoff_completed");
  ASSERT_EQ(hits.size(), kCrewEvents.size());
  for (const auto& h : hits) EXPECT_EQ(h.body["events"].size(), 1u);
  EXPECT_EQ(types_of(events_of(hits)), kCrewEvents);
}

TEST(SimStreaming, EventsFilterIsHonoured) {
  WebhookReceiver rx;
  SimFixture sim("research");
  auto c = client_for(sim);
  json only = {{"events", {"task_completed", "crew_kickoff_completed"}}};
  kickoff(c, {{"inputs", kResearch}, {"webhooks", streaming(rx, "/some", only)}});
  auto events = events_of(settle(rx, sim, "/some", "crew_kickoff_completed"));
  EXPECT_EQ(types_of(events),
            (std::vector<std::string>{"task_completed", "task_completed", "task_completed",
                                      "crew_kickoff_completed"}));
}

TEST(SimStreaming, FailingRunSendsTaskFailedAndKickoffFailed) {
  WebhookReceiver rx;
  SimFixture sim("research");
  auto c = client_for(sim);
  json inputs = {{"topic", "fail now"}, {"current_year", "2025"}};
  auto id = kickoff(c, {{"inputs", inputs}, {"webhooks", streaming(rx, "/fail")}});
  auto events = events_of(settle(rx, sim, "/fail", "crew_kickoff_failed"));
  EXPECT_EQ(types_of(events), (std::vector<std::string>{"crew_kickoff_started", "task_started",
                                                        "task_failed", "crew_kickoff_failed"}));
  auto status = wait_state(c, id, "FAILED");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2]["data"]["task_name"], "research_task");
  EXPECT_EQ(events[2]["data"]["error"], status["status"]);
  EXPECT_EQ(events[3]["data"]["error"], status["status"]);
}

TEST(SimStreaming, FlowsSendFlowAndMethodEvents) {
  WebhookReceiver rx;
  SimFixture sim("flow");
  auto c = client_for(sim);
  kickoff(c, {{"inputs", {{"company", "Acme"}, {"website", "acme.io"}}},
              {"webhooks", streaming(rx, "/ok")}});
  kickoff(c, {{"inputs", {{"company", "Bad"}, {"website", "invalid.example"}}},
              {"webhooks", streaming(rx, "/bad")}});
  wait_event(rx, "/bad", "method_execution_failed");
  auto ok = events_of(settle(rx, sim, "/ok", "flow_finished"));
  EXPECT_EQ(types_of(ok),
            (std::vector<std::string>{"flow_started", "method_execution_started",
                                      "method_execution_finished", "method_execution_started",
                                      "method_execution_finished", "method_execution_started",
                                      "method_execution_finished", "flow_finished"}));
  ASSERT_EQ(ok.size(), 8u);
  EXPECT_EQ(ok[0]["data"]["flow_name"], "lead_scoring_flow");
  EXPECT_EQ(ok[1]["data"]["method_name"], "fetch_company");
  EXPECT_EQ(ok[2]["data"]["result"], "Fetched acme.io");
  EXPECT_EQ(json::parse(ok[7]["data"]["result"].get<std::string>())["company"], "Acme");
  // crewAI has no flow_failed: a failing flow's last event is method_execution_failed.
  auto bad = events_of(rx.wait_for("/bad", 0));
  EXPECT_EQ(types_of(bad), (std::vector<std::string>{"flow_started", "method_execution_started",
                                                     "method_execution_failed"}));
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_EQ(bad[2]["data"]["error"], "Could not fetch invalid.example");
}

TEST(SimStreaming, ResumeReplacesOrStopsTheStream) {
  WebhookReceiver rx;
  SimFixture sim("approval");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"inputs", {{"topic", "ai"}}}, {"webhooks", streaming(rx, "/s1")}});
  // A human_input task's task_completed is made once the run is PAUSED.
  ASSERT_TRUE(has_event(wait_event(rx, "/s1", "task_completed"), "task_completed"));
  // Rejected: the draft runs again, its events go to the resume's config.
  auto r = c.post("/resume", json{{"execution_id", id},
                                  {"is_approve", false},
                                  {"human_feedback", "shorter"},
                                  {"webhooks", streaming(rx, "/s2", {{"realtime", true}})}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(has_event(wait_event(rx, "/s2", "task_completed"), "task_completed"));
  // Approved without `webhooks`: the stream stops (the crew webhook marks the end of the run).
  r = c.post("/resume",
             json{{"execution_id", id}, {"is_approve", true}, {"crewWebhookUrl", rx.url("/crew")}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(rx.wait_for("/crew", 1).size(), 1u);
  auto sent = sim.stats()["webhooks"]["sent"].get<std::size_t>();
  EXPECT_EQ(rx.wait_for("", sent).size(), sent);
  auto first = events_of(rx.wait_for("/s1", 0)), second = events_of(rx.wait_for("/s2", 0));
  EXPECT_EQ(types_of(first),
            (std::vector<std::string>{"crew_kickoff_started", "task_started", "task_completed"}));
  EXPECT_EQ(types_of(second), (std::vector<std::string>{"task_started", "task_completed"}));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1]["data"]["task_name"], "draft_task");
  EXPECT_NE(second[1]["data"]["output"].get<std::string>().find("shorter"), std::string::npos);
  std::set<std::string> ids;
  for (const auto& e : first) ids.insert(e["id"].get<std::string>());
  for (const auto& e : second) ids.insert(e["id"].get<std::string>());
  EXPECT_EQ(ids.size(), first.size() + second.size());
  EXPECT_LT(first.back()["timestamp"], second.front()["timestamp"]);
}

std::string final_event_id(std::uint64_t seed) {
  WebhookReceiver rx;
  SimFixture sim("research", [seed](sim::ServerOptions& o) { o.seed = seed; });
  auto c = client_for(sim);
  json only = {{"events", {"crew_kickoff_completed"}}};
  kickoff(c, {{"inputs", kResearch}, {"webhooks", streaming(rx, "/last", only)}});
  auto events = events_of(settle(rx, sim, "/last", "crew_kickoff_completed"));
  return events.size() == 1 ? events[0]["id"].get<std::string>() : std::string();
}

TEST(SimStreaming, EventIdsFollowTheSeed) {
  auto a = final_event_id(5), b = final_event_id(5), other = final_event_id(6);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
}

TEST(SimStreaming, BadWebhooksValueIs400) {
  WebhookReceiver rx;
  SimFixture sim("approval");
  auto c = client_for(sim);
  const json bad[] = {"http://x/events",
                      json::array(),
                      json::object(),
                      {{"url", 7}},
                      {{"url", ""}},
                      {{"url", rx.url("/e")}, {"events", "task_completed"}},
                      {{"url", rx.url("/e")}, {"events", {"task_completed", 3}}},
                      {{"url", rx.url("/e")}, {"realtime", "yes"}},
                      {{"url", rx.url("/e")}, {"authentication", "Bearer stream-secret"}}};
  for (const auto& w : bad) {
    auto r = c.post("/kickoff", json{{"inputs", {{"topic", "ai"}}}, {"webhooks", w}});
    EXPECT_EQ(r.status, 400) << w.dump();
    EXPECT_NE(r.body.find("webhooks"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("stream-secret"), std::string::npos) << r.body;
  }
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
  json nulls = {{"url", rx.url("/e")}, {"events", nullptr}, {"realtime", nullptr}};
  auto id = kickoff(c, {{"inputs", {{"topic", "ai"}}}, {"webhooks", nulls}});
  ASSERT_TRUE(has_event(wait_event(rx, "/e", "task_completed"), "task_completed"));  // paused
  auto r =
      c.post("/resume", json{{"execution_id", id}, {"is_approve", true}, {"webhooks", bad[3]}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(c.get("/status/" + id).json()["state"], "PAUSED");  // a refused resume changes nothing
}

// A paused flow: the signed new_request, and its callback (POST /flows/{id}/feedback).

const std::string kFlowSecret = "fl0w-hmac-k3y";
const json kLead = {{"company", "Acme"}, {"website", "acme.io"}};

json human_hook(const WebhookReceiver& rx, const std::string& path) {
  return {{"url", rx.url(path)},
          {"authentication", {{"strategy", "bearer"}, {"token", "hook-secret"}}}};
}

TEST(SimFlowHitl, PauseSendsASignedNewRequestAndTheCallbackResumes) {
  WebhookReceiver rx;
  SimFixture sim("flow_review", [](sim::ServerOptions& o) { o.flow_webhook_secret = kFlowSecret; });
  auto c = client_for(sim);
  auto id = kickoff(c, {{"inputs", kLead}, {"humanInputWebhook", human_hook(rx, "/flow")}});
  auto hits = rx.wait_for("/flow", 1);
  ASSERT_EQ(hits.size(), 1u);
  const auto& h = hits[0];
  EXPECT_EQ(h.authorization, "Bearer hook-secret");
  EXPECT_EQ(h.body["event"], "new_request");
  EXPECT_EQ(h.body["request"]["execution_id"], id);
  EXPECT_EQ(h.body["request"]["flow_id"], id);
  EXPECT_EQ(h.body["request"]["method"], "score_lead");
  EXPECT_EQ(h.body["request"]["output"], "Acme scored 82");
  EXPECT_FALSE(h.body["request"]["message"].get<std::string>().empty());
  EXPECT_EQ(h.body["callback_url"], sim.base_url() + "/flows/" + id + "/feedback");
  const std::string ts = h.header("x-timestamp"), sig = h.header("x-signature");
  EXPECT_FALSE(ts.empty());
  EXPECT_EQ(sig.rfind("sha256=", 0), 0u) << sig;
  EXPECT_TRUE(protocol::verify_flow_signature(kFlowSecret, ts, h.raw, sig));
  EXPECT_FALSE(protocol::verify_flow_signature("another-k3y", ts, h.raw, sig));
  auto paused = wait_state(c, id, "PAUSED");
  EXPECT_EQ(paused["flow_id"], id);

  auto r = c.post("/flows/" + id + "/feedback", json{{"feedback", "solid"}, {"source", "test"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "resumed");
  auto done = wait_state(c, id, "SUCCESS");
  auto result = json::parse(done["result"].get<std::string>());
  EXPECT_EQ(result["review"], "solid");
  EXPECT_EQ(done["execution_origin"], "hitl-resume");
  EXPECT_TRUE(done["flow_id"].is_null());
  r = c.post("/flows/" + id + "/feedback", json{{"feedback", "again"}});
  EXPECT_EQ(r.status, 400) << r.body;  // not waiting any more
  auto st = sim.stats();
  EXPECT_EQ(st["requests"]["POST /flows/{id}/feedback"], (json{{"200", 1}, {"400", 1}}));
  EXPECT_EQ(st.dump().find(kFlowSecret), std::string::npos);
}

TEST(SimFlowHitl, CallbackRefusesBadBodiesUnknownIdsCrewsAndMissingTokens) {
  SimFixture flows("flow_review");
  auto c = client_for(flows);
  auto id = kickoff(c, {{"inputs", kLead}});
  wait_state(c, id, "PAUSED");
  const std::string path = "/flows/" + id + "/feedback";
  for (const std::string body : {"", "not json", "[1]", R"({"source": "x"})", R"({"feedback": 5})",
                                 R"({"feedback": "ok", "source": 7})"}) {
    auto r = c.post(path, body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  EXPECT_EQ(c.post("/flows/no-such-run/feedback", json{{"feedback", "x"}}).status, 404);
  EXPECT_EQ(c.get(path).status, 405);
  EXPECT_EQ(c.post("/flows/" + id + "/feedback/x", json{{"feedback", "x"}}).status, 404);
  HttpClient anonymous(flows.base_url());
  EXPECT_EQ(anonymous.post(path, json{{"feedback", "x"}}).status, 401);
  HttpClient wrong(flows.base_url());
  wrong.set_token("not-the-token");
  EXPECT_EQ(wrong.post(path, json{{"feedback", "x"}}).status, 401);
  EXPECT_EQ(c.get("/status/" + id).json()["state"], "PAUSED");  // nothing refused changed it
  auto counted = flows.stats()["requests"]["POST /flows/{id}/feedback"];
  EXPECT_EQ(counted, (json{{"400", 6}, {"401", 2}, {"404", 1}, {"405", 1}})) << counted.dump();

  SimFixture crews("approval");  // a crew's pause is answered with /resume, not a callback
  auto cc = client_for(crews);
  auto crew_id = kickoff(cc, {{"inputs", {{"topic", "ai"}}}});
  wait_state(cc, crew_id, "PAUSED");
  auto r = cc.post("/flows/" + crew_id + "/feedback", json{{"feedback", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("/resume"), std::string::npos) << r.body;
}

TEST(SimFlowHitl, WithoutASecretTheRequestIsUnsignedAndResumeAlsoAnswersFlows) {
  WebhookReceiver rx;
  SimFixture sim("flow_review");
  auto c = client_for(sim);
  auto id = kickoff(c, {{"inputs", kLead}, {"humanInputWebhook", {{"url", rx.url("/f")}}}});
  auto hits = rx.wait_for("/f", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_FALSE(hits[0].header("x-timestamp").empty());
  EXPECT_TRUE(hits[0].header("x-signature").empty());
  EXPECT_TRUE(hits[0].authorization.empty());
  wait_state(c, id, "PAUSED");
  auto r =
      c.post("/resume",
             json{{"execution_id", id}, {"is_approve", true}, {"human_feedback", "via resume"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto done = wait_state(c, id, "SUCCESS");
  EXPECT_EQ(json::parse(done["result"].get<std::string>())["review"], "via resume");
}

}  // namespace
}  // namespace crewai::test

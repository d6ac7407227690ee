// The live dialect (AMP-API.md, "Live behaviour that differs from the docs") in the simulator's
// socket-free core: error bodies, status, crew human input and /resume. Stop and flows:
// sim_live_flow_test.cpp.
#include <regex>

#include "unit/sim_live_support.hpp"

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(SimLive, NoRootRouteAndUnknownRoutesAreFastApi404sEvenWithoutAToken) {
  ApiHarness api("research");
  for (const char* target : {"/", "/nope", "/kickoff/extra"}) {
    for (const char* auth : {"Bearer tok", ""}) {
      auto r = api.call("GET", target, {}, auth);
      EXPECT_EQ(r.status, 404) << target;
      EXPECT_EQ(body_of(r), json({{"detail", "Not Found"}})) << target;
    }
  }
  auto wrong_method = api.call("GET", "/kickoff");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(body_of(wrong_method), json({{"detail", "Method Not Allowed"}}));
  ApiHarness amp("research", [](sim::ServerOptions& o) { o.dialect = sim::Dialect::amp; });
  auto health = amp.call("GET", "/");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "Healthy");
}

TEST(SimLive, AuthFailuresSayWhatWasWrong) {
  ApiHarness api("research");
  auto wrong = api.call("GET", "/inputs", {}, "Bearer nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(body_of(wrong), json({{"detail", "Invalid or missing authentication credentials"}}));
  auto none = api.call("GET", "/inputs", {}, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(body_of(none), json({{"detail", "Not authenticated"}}));
  auto ok = api.call("GET", "/inputs");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(body_of(ok), json({{"inputs", {"topic", "current_year"}}}));
}

TEST(SimLive, CrewKickoffMissingInputsIsAPlainDetailString) {
  ApiHarness api("research");
  const json expected = {{"detail", "Missing inputs: topic, current_year"}};
  for (const json& body : {json{{"inputs", json::object()}}, json::object(),
                           json{{"topic", "AI"}, {"current_year", "2025"}}}) {
    auto r = api.post("/kickoff", body);
    EXPECT_EQ(r.status, 422) << body.dump();
    EXPECT_EQ(body_of(r), expected) << body.dump();
  }
  auto one = api.post("/kickoff", json{{"inputs", {{"topic", "AI"}}}});
  EXPECT_EQ(body_of(one), json({{"detail", "Missing inputs: current_year"}}));
  EXPECT_EQ(api.stats()["kickoffs"]["total"], 0);
}

TEST(SimLive, ABodyThatIsNotJsonIsABare500) {
  ApiHarness api("approval");
  for (const char* target : {"/kickoff", "/resume"}) {
    for (const char* body : {"{not json", "", "[1, 2]"}) {
      auto r = api.call("POST", target, body);
      EXPECT_EQ(r.status, 500) << target << " " << body;
      EXPECT_EQ(r.body, "Internal Server Error");
      EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u) << r.content_type;
    }
  }
}

TEST(SimLive, UnknownIdReadsNotFoundWithEveryKeyNull) {
  ApiHarness api("research");
  expect_not_found(api.status("no-such-run"));
}

TEST(SimLive, StatusMessageWhileRunningErrorTextOnFailureNullOnSuccess) {
  ApiHarness api("research");
  auto id = api.kickoff({{"inputs", kResearchInputs}});
  auto fail = api.kickoff({{"inputs", {{"topic", "fail now"}, {"current_year", "2025"}}}});
  api.advance(1s);
  EXPECT_EQ(api.status(id)["status"], "Task is Pending");
  api.advance(2s);
  EXPECT_EQ(api.status(id)["status"], "Task has Started");
  api.advance(5s);
  auto running = api.status(id);
  EXPECT_EQ(running["state"], "RUNNING");
  EXPECT_EQ(running["status"], "Task is Running");
  api.advance(1h);
  auto done = api.status(id);
  EXPECT_EQ(done["state"], "SUCCESS");
  EXPECT_TRUE(done["status"].is_null());
  EXPECT_TRUE(done["result"].is_string());
  auto failed = api.status(fail);
  EXPECT_EQ(failed["state"], "FAILED");
  EXPECT_EQ(failed["status"], "Agent could not research 'fail now': source unavailable");
  EXPECT_TRUE(failed["result"].is_null());
}

// The approval crew: PENDING 1 s, STARTED 1 s, draft_task 20 s (human input), publish_task 10 s.
struct Paused {
  std::string id;
  ApiHarness::Outgoing callback;
};

Paused pause_approval(ApiHarness& api, const json& extra) {
  json body = extra;
  body["inputs"] = {{"topic", "remote work"}};
  body["meta"] = {{"requestId", "r1"}};
  Paused p{api.kickoff(body), {}};
  api.advance(23s);
  auto hooks = api.hooks(p.id);
  EXPECT_EQ(hooks.size(), extra.empty() ? 0u : 1u);
  if (!hooks.empty()) p.callback = hooks.back();
  return p;
}

std::string header(const ApiHarness::Outgoing& o, const std::string& name) {
  for (const auto& [k, v] : o.headers)
    if (k == name) return v;
  return {};
}

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST(SimLive, CrewWaitingForInputCallsBackUnauthenticatedAndReadsNotFound) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {{"humanInputWebhookUrl", "http://hooks.example/hitl"}});
  EXPECT_EQ(p.callback.url, "http://hooks.example/hitl");
  EXPECT_EQ(header(p.callback, "Authorization"), "");
  json cb = json::parse(p.callback.body);
  std::vector<std::string> keys;
  for (auto it = cb.begin(); it != cb.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"execution_id", "kickoff_id", "meta", "task_id",
                                            "task_output"}));
  EXPECT_EQ(cb["kickoff_id"], p.id);
  EXPECT_EQ(cb["execution_id"], p.id);
  EXPECT_TRUE(std::regex_match(cb["task_id"].get<std::string>(), kUuid)) << cb["task_id"];
  EXPECT_EQ(cb["task_output"],
            "Draft post about remote work: remote work is changing how teams work.");
  EXPECT_EQ(cb["meta"], json({{"requestId", "r1"}}));
  expect_not_found(api.status(p.id));
  api.advance(1h);
  expect_not_found(api.status(p.id));  // it waits for good: never PAUSED
}

TEST(SimLive, HumanInputWebhookObjectCarriesItsAuthentication) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {{"humanInputWebhook",
                                 {{"url", "http://hooks.example/obj"},
                                  {"authentication", {{"strategy", "bearer"}, {"token", "s3"}}}}}});
  EXPECT_EQ(p.callback.url, "http://hooks.example/obj");
  EXPECT_EQ(header(p.callback, "Authorization"), "Bearer s3");
  // Both, as the client sends them: one callback, to the URL string, as live delivered it.
  ApiHarness both("approval");
  auto q =
      pause_approval(both, {{"humanInputWebhookUrl", "http://hooks.example/url"},
                            {"humanInputWebhook",
                             {{"url", "http://hooks.example/obj"},
                              {"authentication", {{"strategy", "bearer"}, {"token", "s3"}}}}}});
  EXPECT_EQ(q.callback.url, "http://hooks.example/url");
  EXPECT_EQ(header(q.callback, "Authorization"), "");
}

TEST(SimLive, ResumeRefusesTheDocumentedSnakeCaseBody) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {{"humanInputWebhookUrl", "http://hooks.example/hitl"}});
  auto r = api.post("/resume", {{"execution_id", p.id},
                                {"task_id", "draft_task"},
                                {"human_feedback", "ok"},
                                {"is_approve", true}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(body_of(r), json::parse(R"({"detail": [
              {"type": "missing", "loc": ["body", "executionId"], "msg": "Field required"},
              {"type": "missing", "loc": ["body", "taskId"], "msg": "Field required"}]})"));
  expect_not_found(api.status(p.id));
}

TEST(SimLive, ApprovedResumeRunsUnderANewIdWithOnlyTheResumesWebhooks) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {{"humanInputWebhookUrl", "http://hooks.example/hitl"},
                                {"crewWebhookUrl", "http://hooks.example/kickoff-crew"}});
  const std::string task = json::parse(p.callback.body)["task_id"];
  // Both spellings, as the client sends them: the snake_case ones are ignored, not refused.
  auto r = api.post("/resume", {{"executionId", p.id},
                                {"taskId", task},
                                {"humanFeedback", "ok"},
                                {"isApprove", true},
                                {"execution_id", p.id},
                                {"task_id", task},
                                {"human_feedback", "ok"},
                                {"is_approve", true},
                                {"crewWebhookUrl", "http://hooks.example/resume-crew"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json answer = body_of(r);
  EXPECT_EQ(answer.size(), 1u) << r.body;
  const std::string next = answer.value("kickoff_id", "");
  ASSERT_TRUE(std::regex_match(next, kUuid)) << r.body;
  EXPECT_NE(next, p.id);
  EXPECT_EQ(r.pump.back(), next);
  auto s = api.status(next);
  EXPECT_EQ(s["state"], "RUNNING");
  EXPECT_EQ(s["progress"]["current"], "publish_task");
  EXPECT_EQ(s["execution_origin"], "hitl-resume");
  api.advance(11s);
  s = api.status(next);
  EXPECT_EQ(s["state"], "SUCCESS");
  EXPECT_EQ(s["result"], "Published: remote work is changing how teams work.");
  auto hooks = api.hooks(next);
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].url, "http://hooks.example/resume-crew");
  EXPECT_EQ(json::parse(hooks[0].body)["kickoff_id"], next);
  EXPECT_TRUE(api.hooks(p.id).empty());  // the kickoff's crew webhook is not carried over
  expect_not_found(api.status(p.id));
  // The work was taken over once: resuming the old id again leads nowhere.
  auto again = api.post("/resume", {{"executionId", p.id}, {"taskId", task}, {"isApprove", true}});
  expect_not_found(api.status(ApiHarness::id_of(again)));
  EXPECT_EQ(api.stats()["resumes"], json({{"continued", 1}, {"unmatched", 1}}));
}

TEST(SimLive, RejectedResumeRerunsTheTaskAndCallsBackUnderTheNewId) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {{"humanInputWebhookUrl", "http://hooks.example/hitl"}});
  const std::string task = json::parse(p.callback.body)["task_id"];
  auto r = api.post("/resume", {{"executionId", p.id},
                                {"taskId", task},
                                {"humanFeedback", "make it shorter"},
                                {"isApprove", false},
                                {"humanInputWebhookUrl", "http://hooks.example/hitl-2"}});
  const std::string next = ApiHarness::id_of(r);
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(api.state(next), "RUNNING");
  api.advance(21s);
  expect_not_found(api.status(next));
  auto hooks = api.hooks(next);
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].url, "http://hooks.example/hitl-2");
  json cb = json::parse(hooks[0].body);
  EXPECT_EQ(cb["kickoff_id"], next);
  EXPECT_EQ(cb["execution_id"], next);
  EXPECT_TRUE(std::regex_match(cb["task_id"].get<std::string>(), kUuid));
  EXPECT_NE(cb["task_output"].get<std::string>().find("make it shorter"), std::string::npos);
  // The second pause is answered like the first, with the id and task id of its own callback.
  auto done = ApiHarness::id_of(
      api.post("/resume", {{"executionId", next}, {"taskId", cb["task_id"]}, {"isApprove", true}}));
  api.advance(11s);
  EXPECT_EQ(api.state(done), "SUCCESS");
}

TEST(SimLive, ResumeOfAnUnknownExecutionOrTaskAnswersAnIdThatReadsNotFound) {
  ApiHarness api("approval");
  auto p = pause_approval(api, {});
  for (const json& body :
       {json{{"executionId", "nope"}, {"taskId", "t"}, {"isApprove", true}},
        json{{"executionId", p.id}, {"taskId", "draft_task"}, {"isApprove", true}}}) {
    auto r = api.post("/resume", body);
    const std::string id = ApiHarness::id_of(r);
    EXPECT_TRUE(std::regex_match(id, kUuid)) << r.body;
    EXPECT_NE(id, p.id);
    expect_not_found(api.status(id));
  }
  EXPECT_EQ(api.stats()["resumes"]["unmatched"], 2);
  auto typed = api.post("/resume", {{"executionId", 7}, {"taskId", "t"}, {"isApprove", "yes"}});
  EXPECT_EQ(typed.status, 422);
  auto detail = body_of(typed)["detail"];
  ASSERT_EQ(detail.size(), 2u) << typed.body;
  EXPECT_EQ(detail[0]["loc"], json({"body", "executionId"}));
  EXPECT_EQ(detail[1]["loc"], json({"body", "isApprove"}));
}

}  // namespace
}  // namespace crewai::test

// The client against canned live answers (AMP-API.md, "Live behaviour"): a crew waiting for a human
// reads NOT FOUND, /resume answers a new kickoff id, /status keeps answering 5xx, the status route
// is the old /{id}/status. The same flows against the simulator's dialects: client_live_sim_test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "crewai/client.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

ClientOptions live_options(const RawHttpServer& server) {
  ClientOptions o;
  o.base_url = server.url("");
  o.token = "t";
  o.poll.initial = 1ms;
  o.poll.cap = 2ms;
  o.poll.deadline = 20s;
  o.poll.not_found_grace = 0ms;
  o.retry = RetryPolicy::none();
  o.random_seed = 3;
  return o;
}

RawResponse json(int status, const std::string& body) { return RawResponse{status, {}, body}; }
RawResponse state(const std::string& s) {
  return json(200, Json{{"state", s}, {"status", nullptr}, {"result", nullptr}}.dump());
}

// A scripted run: each GET /status/<id> answers the next state of its script, then the last one.
class ScriptedDeployment {
 public:
  explicit ScriptedDeployment(std::map<std::string, std::vector<std::string>> scripts)
      : scripts_(std::move(scripts)), server_([this](const RawRequest& r) { return answer(r); }) {}
  RawHttpServer& server() { return server_; }
  std::size_t count(const std::string& method, const std::string& target) {
    std::size_t n = 0;
    for (const auto& r : server_.received()) n += r.method == method && r.target == target;
    return n;
  }
  Json last_body(const std::string& target) {
    Json out;
    for (const auto& r : server_.received()) {
      if (r.target == target) out = Json::parse(r.body, nullptr, false);
    }
    return out;
  }

 private:
  RawResponse answer(const RawRequest& r) {
    if (r.method == "GET" && r.target == "/inputs") return json(200, R"({"inputs": ["topic"]})");
    if (r.method == "POST" && r.target == "/kickoff") return json(200, R"({"kickoff_id": "k1"})");
    if (r.method == "POST" && r.target == "/resume") return json(200, R"({"kickoff_id": "k2"})");
    std::lock_guard lock(mu_);
    auto it = scripts_.find(r.target);
    if (it == scripts_.end()) return json(200, R"({"state": "NOT FOUND", "status": null})");
    std::size_t& n = polls_[r.target];
    const auto& script = it->second;
    const std::string& s = script[std::min(n, script.size() - 1)];
    ++n;
    if (s.rfind("HTTP ", 0) == 0) return json(std::stoi(s.substr(5)), "Internal Server Error");
    return state(s);
  }

  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> scripts_;
  std::map<std::string, std::size_t> polls_;
  RawHttpServer server_;  // last: stops before the scripts go
};

KickoffRequest with_hitl() {
  KickoffRequest r;
  r.inputs = {{"topic", "x"}};
  HumanInputWebhook h;
  h.url = "https://hooks.example.com/hitl";
  r.human_input_webhook = h;
  return r;
}

TEST(ClientLive, RunWithHumanInputWebhookThatReadsNotFoundIsPaused) {
  ScriptedDeployment d({{"/status/k1", {"PENDING", "RUNNING", "NOT FOUND"}}});
  auto c = Client::create(live_options(d.server())).value();
  auto r = c.run(with_hitl());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::paused);
  EXPECT_EQ(r->kickoff_id, "k1");
  EXPECT_NE(r->message.find("human-input webhook"), std::string::npos) << r->message;
  auto body = d.last_body("/kickoff");
  EXPECT_EQ(body["humanInputWebhookUrl"], "https://hooks.example.com/hitl");
  EXPECT_EQ(body["humanInputWebhook"]["url"], "https://hooks.example.com/hitl");
}

TEST(ClientLive, WithoutAWebhookARunThatVanishesIsItsOwnError) {
  ScriptedDeployment d({{"/status/k1", {"RUNNING", "NOT FOUND"}}});
  auto c = Client::create(live_options(d.server())).value();
  auto r = c.wait("k1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::vanished);
  EXPECT_EQ(r.error().kickoff_id, "k1");
  EXPECT_NE(r.error().message.find("stopped being visible"), std::string::npos);
  EXPECT_NE(r.error().message.find("possibly waiting for human input"), std::string::npos);
}

TEST(ClientLive, A404AfterRunningIsAlsoOutOfSight) {
  ScriptedDeployment d({{"/status/k1", {"RUNNING", "HTTP 404"}}});
  auto c = Client::create(live_options(d.server())).value();
  WaitOptions w;
  w.human_input_webhook = true;
  auto r = c.wait("k1", w);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::paused);
}

TEST(ClientLive, NeverSeenAliveKeepsGraceThenNotFound) {
  ScriptedDeployment d({{"/status/k1", std::vector<std::string>{"NOT FOUND"}}});
  auto o = live_options(d.server());
  o.poll.not_found_grace = 30ms;
  auto c = Client::create(o).value();
  WaitOptions w;
  w.human_input_webhook = true;
  auto r = c.wait("k1", w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_GT(d.count("GET", "/status/k1"), 1u);  // polled through the grace
}

TEST(ClientLive, ResumeAndWaitFollowsTheNewKickoffId) {
  ScriptedDeployment d({{"/status/k2", {"PENDING", "RUNNING", "SUCCESS"}}});
  auto c = Client::create(live_options(d.server())).value();
  ResumeRequest req;
  req.execution_id = "k1";
  req.task_id = "task-uuid";
  req.human_feedback = "fine";
  req.task_webhook_url = "https://hooks.example.com/task";
  auto r = c.resume_and_wait(req);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_EQ(r->kickoff_id, "k2");
  EXPECT_EQ(r->resumed_from, "k1");
  EXPECT_EQ(d.count("GET", "/status/k1"), 0u);
  auto body = d.last_body("/resume");
  EXPECT_EQ(body["executionId"], "k1");
  EXPECT_EQ(body["execution_id"], "k1");
  EXPECT_EQ(body["taskId"], "task-uuid");
  EXPECT_EQ(body["isApprove"], true);
  EXPECT_EQ(body["taskWebhookUrl"], "https://hooks.example.com/task");
}

TEST(ClientLive, RepeatedServerErrorsOnStatusEndTheWaitEarly) {
  ScriptedDeployment d({{"/status/k1", {"RUNNING", "HTTP 500"}}});
  auto o = live_options(d.server());
  o.poll.max_server_errors = 3;
  o.poll.max_failed_polls = 50;
  auto c = Client::create(o).value();
  auto r = c.wait("k1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  EXPECT_EQ(r.error().kickoff_id, "k1");
  EXPECT_NE(r.error().message.find("3 polls in a row"), std::string::npos) << r.error().message;
  EXPECT_EQ(d.count("GET", "/status/k1"), 4u);  // one RUNNING, then three 500s
}

TEST(ClientLive, MissingStatusRouteTriesTheOldFormOnceAndRemembersIt) {
  std::atomic<int> new_form{0}, old_form{0};
  RawHttpServer server([&](const RawRequest& r) {
    if (r.target.rfind("/status/", 0) == 0) {
      ++new_form;
      return json(404, R"({"detail": "Not Found"})");
    }
    ++old_form;
    return state("SUCCESS");
  });
  auto c = Client::create(live_options(server)).value();
  auto a = c.status("k1");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->state, RunState::success);
  auto b = c.wait("k2");
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(new_form.load(), 1);  // never asked again once the old form answered
  EXPECT_EQ(old_form.load(), 2);
}

TEST(ClientLive, AnUnknownRunOnTheStatusRouteIsNotARouteProblem) {
  std::atomic<int> old_form{0};
  RawHttpServer server([&](const RawRequest& r) {
    if (r.target.rfind("/status/", 0) == 0) return json(404, R"({"detail": "Kickoff k1 not found"})");
    ++old_form;
    return state("SUCCESS");
  });
  auto c = Client::create(live_options(server)).value();
  auto a = c.status("k1");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_EQ(old_form.load(), 0);
}

}  // namespace
}  // namespace crewai::test

// Human in the loop for flows, end to end: a flow pauses on a human_input step, the simulator POSTs
// its signed new_request to the kickoff's humanInputWebhook, the receiver reads it with
// crewai::read_flow_request, and Client::answer_flow POSTs the feedback to the callback URL. The
// bearer token only ever goes to the deployment's own origin: any other callback URL is refused
// before anything is sent. Conditions, not sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "crewai/client.hpp"
#include "crewai/webhooks.hpp"
#include "support/raw_http_server.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kFlowSecret = "fl0w-hmac-k3y";

Client fast_client(const SimFixture& sim, int max_attempts = 6) {
  ClientOptions o;
  o.base_url = sim.base_url();
  o.token = kSimToken;
  o.poll.initial = 5ms;
  o.poll.cap = 20ms;
  o.poll.deadline = 20s;
  o.poll.not_found_grace = 0ms;
  o.retry.max_attempts = max_attempts;
  o.retry.backoff.initial = 1ms;
  o.retry.backoff.max = 5ms;
  o.random_seed = 11;
  return Client::create(std::move(o)).value();
}

KickoffRequest lead(const std::string& hook_url) {
  KickoffRequest r;
  r.inputs = {{"company", "Acme"}, {"website", "acme.io"}};
  if (!hook_url.empty())
    r.human_input_webhook =
        HumanInputWebhook{hook_url, HumanInputWebhook::Auth::bearer, "hook-token", "", ""};
  return r;
}

// Records every request and answers 200, as a user's webhook endpoint would.
RawHttpServer receiver() {
  return RawHttpServer([](const RawRequest&) { return RawResponse{200, {}, "{}"}; });
}

// Kicks off the review flow, waits until it pauses, and reads the request the receiver got.
FlowRequest paused_flow(Client& c, RawHttpServer& rx, std::string& id) {
  auto paused = c.run(lead(rx.url("/flow-hook")));
  EXPECT_TRUE(paused) << paused.error().to_string();
  if (!paused) return {};
  id = paused->kickoff_id;
  EXPECT_EQ(paused->state, RunState::paused);
  EXPECT_EQ(paused->flow_id, id);
  EXPECT_TRUE(rx.wait_for_requests(1, 10s)) << "no flow request arrived";
  auto got = rx.received();
  if (got.empty()) return {};
  EXPECT_EQ(got[0].header("Authorization"), "Bearer hook-token");
  auto f = read_flow_request(got[0].body, got[0].headers, kFlowSecret);
  EXPECT_TRUE(f) << f.error().to_string();
  return f ? *f : FlowRequest{};
}

TEST(FlowHitl, APausedFlowIsAnsweredThroughItsSignedRequest) {
  SimFixture sim("flow_review", [](sim::ServerOptions& o) { o.flow_webhook_secret = kFlowSecret; });
  RawHttpServer rx = receiver();
  auto c = fast_client(sim);
  std::string id;
  FlowRequest f = paused_flow(c, rx, id);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(f.execution_id, id);
  EXPECT_EQ(f.method, "score_lead");
  EXPECT_EQ(f.output, "Acme scored 82");
  EXPECT_EQ(f.callback_url.rfind(sim.base_url() + "/", 0), 0u) << f.callback_url;
  EXPECT_EQ(c.on_webhook(rx.received()[0].body), std::vector<std::string>{id});

  auto forged = read_flow_request(rx.received()[0].body, rx.received()[0].headers, "wrong-k3y");
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, ErrorCode::unauthenticated);

  auto ack = c.answer_flow({f.callback_url, "ship it", "reviewer"});
  ASSERT_TRUE(ack) << ack.error().to_string();
  EXPECT_EQ(ack->status, "resumed");
  auto done = c.wait(id);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->state, RunState::success);
  EXPECT_EQ(done->result_json["review"], "ship it");

  auto again = c.answer_flow_async({f.callback_url, "ship it twice"}).get();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::failed_precondition);
  EXPECT_EQ(again.error().http_status, 400);
  EXPECT_EQ(sim.stats()["requests"]["POST /flows/{id}/feedback"], (json{{"200", 1}, {"400", 1}}));
}

TEST(FlowHitl, ACallbackOffTheDeploymentsOriginIsRefusedWithoutSendingAnything) {
  SimFixture sim("flow_review");
  RawHttpServer other = receiver();
  auto c = fast_client(sim);
  const std::string port = std::to_string(sim.port());
  const std::string other_port = std::to_string(other.port());
  const std::string refused[] = {
      other.url("/flows/x/feedback"),                                        // another port
      "http://localhost:" + port + "/flows/x/feedback",                      // another host name
      "https://127.0.0.1:" + port + "/flows/x/feedback",                     // another scheme
      "http://127.0.0.1:" + port + "@127.0.0.1:" + other_port + "/flows/x",  // user info, not host
      "ftp://127.0.0.1:" + port + "/flows/x/feedback",
      "/flows/x/feedback",
      "http://127.0.0.1:" + port + "/flows/x feedback",
      ""};
  for (const auto& url : refused) {
    std::promise<Result<ResumeResponse>> p;
    c.answer_flow_async({url, "steal the token"}).then([&p](Result<ResumeResponse> r) {
      p.set_value(std::move(r));
    });
    auto r = p.get_future().get();
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << url;
    EXPECT_EQ(r.error().to_string().find(kSimToken), std::string::npos);
  }
  auto named = c.answer_flow({other.url("/cb"), "x"});
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("127.0.0.1:" + other_port), std::string::npos)
      << named.error().message;
  EXPECT_EQ(other.requests(), 0u);
  EXPECT_EQ(c.stats().requests, 0u);
}

TEST(FlowHitl, AnswersAreRetriedOnlyWhileTheAppProvablyRefusedThem) {
  SimFixture sim("flow_review", [](sim::ServerOptions& o) { o.flow_webhook_secret = kFlowSecret; });
  RawHttpServer rx = receiver();
  auto c = fast_client(sim, 3);
  std::string id;
  FlowRequest f = paused_flow(c, rx, id);
  ASSERT_FALSE(id.empty());
  const std::string key = "POST /flows/{id}/feedback";
  // 503 with Retry-After: the app did not act; every attempt is made.
  sim.server().set_faults(
      sim::parse_faults(json{{"feedback", {{"errors", {{"503", 1.0}}}, {"retry_after", 0}}}})
          .value());
  auto refused = c.answer_flow({f.callback_url, "first"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::unavailable);
  EXPECT_EQ(sim.stats()["requests"][key]["503"], 3);
  // 500: the feedback may have been taken; never sent twice.
  sim.server().set_faults(
      sim::parse_faults(json{{"feedback", {{"errors", {{"500", 1.0}}}}}}).value());
  auto unknown = c.answer_flow({f.callback_url, "second"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::ambiguous);
  EXPECT_EQ(sim.stats()["requests"][key]["500"], 1);
  sim.server().set_faults({});
  auto ok = c.answer_flow({f.callback_url, "third"});
  ASSERT_TRUE(ok) << ok.error().to_string();
  auto done = c.wait(id);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->result_json["review"], "third");
}

}  // namespace
}  // namespace crewai::test

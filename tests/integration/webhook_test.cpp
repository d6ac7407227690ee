// Webhooks as wake-up calls: the simulator POSTs its crew/task webhooks to a local receiver, which
// hands each body to Client::on_webhook(); a wait() whose next poll is a minute away ends as soon
// as the run's webhook arrives. A forged webhook only causes a poll: the result comes from /status.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "crewai/client.hpp"
#include "support/raw_http_server.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

// Polls once at the start, then only after an hour: within a test, only a webhook can end a wait.
Client slow_polling_client(const SimFixture& sim,
                           std::function<void(const RequestEvent&)> trace = {}) {
  ClientOptions o;
  o.base_url = sim.base_url();
  o.token = kSimToken;
  o.poll.initial = 1h;
  o.poll.cap = 1h;
  o.poll.deadline = 2h;
  o.poll.not_found_grace = 0ms;
  o.trace = std::move(trace);
  return Client::create(std::move(o)).value();
}

// Forwards every POST body to the client, as a user's webhook endpoint would.
class Receiver {
 public:
  Receiver()
      : server_([this](const RawRequest& req) {
          std::lock_guard lock(mu_);
          bodies_.push_back(req.body);
          if (client_ != nullptr) client_->on_webhook(req.body);
          return RawResponse{200, {}, "{}"};
        }) {}
  void forward_to(Client* c) {
    std::lock_guard lock(mu_);
    client_ = c;
  }
  std::string url() const { return server_.url("/hook"); }
  std::size_t received() {
    std::lock_guard lock(mu_);
    return bodies_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
  Client* client_ = nullptr;
  RawHttpServer server_;  // last: stops (and joins its threads) before the rest goes
};

KickoffRequest research(const std::string& topic, const std::string& crew_hook) {
  KickoffRequest r;
  r.inputs = {{"topic", topic}, {"current_year", "2026"}};
  r.crew_webhook_url = crew_hook;
  return r;
}

TEST(WebhookTest, CrewWebhookEndsTheWaitWithoutWaitingForTheNextPoll) {
  SimFixture sim("research");
  Receiver hooks;
  auto c = slow_polling_client(sim);
  hooks.forward_to(&c);
  auto id = c.kickoff(research("webhooks", hooks.url()));
  ASSERT_TRUE(id) << id.error().to_string();
  auto pending = c.wait_async(*id).future();
  // The run takes well under a second; its next poll is an hour away. (A bound, not a sleep.)
  ASSERT_EQ(pending.wait_for(60s), std::future_status::ready)
      << "the crew webhook did not end the wait";
  auto r = pending.get();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_NE(r->result.value_or("").find("webhooks"), std::string::npos);
  EXPECT_GE(hooks.received(), 1u);
  hooks.forward_to(nullptr);
}

TEST(WebhookTest, StreamingEventsEndTheWaitToo) {
  SimFixture sim("research");
  Receiver hooks;
  auto c = slow_polling_client(sim);
  hooks.forward_to(&c);
  KickoffRequest req = research("streamed", "");
  req.webhooks = StreamingWebhooks{
      {"crew_kickoff_completed", "crew_kickoff_failed"}, hooks.url(), false, "stream-secret"};
  auto id = c.kickoff(req);
  ASSERT_TRUE(id) << id.error().to_string();
  auto pending = c.wait_async(*id).future();
  ASSERT_EQ(pending.wait_for(60s), std::future_status::ready)
      << "the streamed crew_kickoff_completed event did not end the wait";
  auto r = pending.get();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::success);
  hooks.forward_to(nullptr);
}

TEST(WebhookTest, AWebhookNamingNoWaitOrNoRunIsHarmless) {
  SimFixture sim("research");
  auto c = slow_polling_client(sim);
  EXPECT_EQ(c.on_webhook(R"({"kickoff_id": "nobody-waits-for-this"})"),
            std::vector<std::string>{"nobody-waits-for-this"});
  EXPECT_TRUE(c.on_webhook("not json").empty());
  EXPECT_TRUE(c.on_webhook(R"({"events": []})").empty());
  c.notify("");
  EXPECT_TRUE(c.inputs());  // the client is unharmed
}

TEST(WebhookTest, AForgedWebhookCostsAPollNeverAWrongResult) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.faults.stuck = 1.0; });
  std::vector<RequestEvent> trace;
  std::mutex trace_mu;
  auto c = slow_polling_client(sim, [&](const RequestEvent& ev) {
    std::lock_guard lock(trace_mu);
    trace.push_back(ev);
  });
  auto id = c.kickoff(research("stuck", ""));
  ASSERT_TRUE(id);
  WaitOptions w;
  w.deadline = 2s;
  auto pending = c.wait_async(*id, w).future();
  // Claims success; the run is in fact stuck RUNNING. Repeated, as real webhooks can be.
  const std::string forged =
      R"({"kickoff_id": ")" + *id + R"(", "state": "SUCCESS", "result": "forged"})";
  EXPECT_EQ(c.on_webhook(forged), std::vector<std::string>{*id});
  c.on_webhook(forged);
  auto r = pending.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
  EXPECT_NE(r.error().message.find("last state RUNNING"), std::string::npos) << r.error().message;
  std::lock_guard lock(trace_mu);
  std::size_t status_polls = 0;
  for (const auto& ev : trace) status_polls += ev.path.rfind("/status/", 0) == 0;
  // Without the webhook: the first poll and one at the deadline. With it: at least one more.
  EXPECT_GE(status_polls, 3u);
}

}  // namespace
}  // namespace crewai::test

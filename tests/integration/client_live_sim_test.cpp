// The client against the simulator in both the `live` and the `amp` dialect (issue 9 point 8): a
// crew pause answered through /resume (live: followed under the new kickoff id), cancel of a
// running run, of a finished one and on a deployment without /stop, and the error texts.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crewai/client.hpp"
#include "crewai/webhooks.hpp"
#include "support/raw_http_server.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

class LiveAndAmp : public ::testing::TestWithParam<sim::Dialect> {
 protected:
  bool live() const { return GetParam() == sim::Dialect::live; }
  std::function<void(sim::ServerOptions&)> tweak(double time_scale = 0.001, bool stop = true) {
    return [dialect = GetParam(), time_scale, stop](sim::ServerOptions& o) {
      o.dialect = dialect;
      o.time_scale = time_scale;
      o.stop_route = stop;
      o.errors = sim::ErrorStyle::docs;
    };
  }
  static Client client(const SimFixture& sim, const std::string& token = kSimToken) {
    ClientOptions o;
    o.base_url = sim.base_url();
    o.token = token;
    o.poll.initial = 2ms;
    o.poll.cap = 10ms;
    o.poll.deadline = 30s;
    o.poll.not_found_grace = 0ms;
    o.retry.backoff.initial = 1ms;
    o.random_seed = 5;
    return Client::create(std::move(o)).value();
  }
};

TEST_P(LiveAndAmp, CrewPauseThenResumeFollowsTheRunToSuccess) {
  RawHttpServer receiver([](const RawRequest&) { return RawResponse{200, {}, "{}"}; });
  // Slow enough that the first poll sees the run alive before it pauses: a live crew waiting for
  // input reads NOT FOUND, which only a run seen alive turns into a pause.
  SimFixture sim("approval", tweak(0.02));
  auto c = client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "cats"}};
  HumanInputWebhook hook;
  hook.url = receiver.url("/hitl");
  req.human_input_webhook = hook;
  auto paused = c.run(req);
  ASSERT_TRUE(paused) << paused.error().to_string();
  ASSERT_EQ(paused->state, RunState::paused);
  EXPECT_EQ(paused->raw_state, live() ? "NOT FOUND" : "PAUSED");

  ASSERT_TRUE(receiver.wait_for_requests(1, 10s));
  auto hitl = read_human_input(receiver.received().front().body);
  ASSERT_TRUE(hitl) << hitl.error().to_string();
  EXPECT_EQ(hitl->execution_id, paused->kickoff_id);

  ResumeRequest answer;
  answer.execution_id = paused->kickoff_id;
  answer.task_id = hitl->task_id;
  answer.human_feedback = "ship it";
  answer.is_approve = true;
  auto done = c.resume_and_wait(answer);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->state, RunState::success) << done->message;
  EXPECT_EQ(done->resumed_from, paused->kickoff_id);
  if (live()) {
    EXPECT_NE(done->kickoff_id, paused->kickoff_id);  // the work went on under the new id
    EXPECT_EQ(sim.stats()["resumes"]["continued"], 1);
  } else {
    EXPECT_EQ(done->kickoff_id, paused->kickoff_id);
  }
}

TEST_P(LiveAndAmp, CancelARunningRun) {
  SimFixture sim("research", tweak(0.05));
  auto c = client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}, {"current_year", "2026"}};
  auto id = c.kickoff(req);
  ASSERT_TRUE(id) << id.error().to_string();
  auto stopped = c.cancel(*id);
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_TRUE(stopped->stopped);
  auto end = c.wait(*id);
  ASSERT_TRUE(end) << end.error().to_string();
  EXPECT_EQ(end->state, RunState::revoked);
  auto again = c.cancel(*id);  // stopping twice is harmless: the run says how it ended
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(again->stopped);
  EXPECT_EQ(again->state, RunState::revoked);
}

TEST_P(LiveAndAmp, CancelAFinishedRunReportsItsState) {
  SimFixture sim("research", tweak());
  auto c = client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}, {"current_year", "2026"}};
  auto run = c.run(req);
  ASSERT_TRUE(run) << run.error().to_string();
  ASSERT_EQ(run->state, RunState::success);
  auto res = c.cancel(run->kickoff_id);
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_FALSE(res->stopped);
  EXPECT_EQ(res->state, RunState::success);
}

TEST_P(LiveAndAmp, CancelWithoutAStopRouteSaysSo) {
  SimFixture sim("research", tweak(0.05, false));
  auto c = client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}, {"current_year", "2026"}};
  auto id = c.kickoff(req);
  ASSERT_TRUE(id) << id.error().to_string();
  auto res = c.cancel(*id);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::unimplemented);
  EXPECT_NE(res.error().message.find("this deployment cannot cancel runs"), std::string::npos);
  auto unknown = client(sim).cancel("no-such-run");  // no route: no run can be cancelled here
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::unimplemented);
}

TEST_P(LiveAndAmp, CancelAnUnknownRunIsNotFound) {
  SimFixture sim("research", tweak());
  auto res = client(sim).cancel("no-such-run");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::not_found);
}

TEST_P(LiveAndAmp, ErrorTexts) {
  SimFixture sim("research", tweak());
  auto c = client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}};
  auto missing = c.kickoff(req);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(missing.error().missing_inputs, std::vector<std::string>{"current_year"});
  auto denied = client(sim, "wrong-token").inputs();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::unauthenticated);
  if (live()) {
    EXPECT_EQ(denied.error().message, "Invalid or missing authentication credentials");
  }
  auto unknown = c.status("no-such-run");
  if (live()) {
    ASSERT_TRUE(unknown) << unknown.error().to_string();
    EXPECT_EQ(unknown->state, RunState::not_found);
  } else {
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, LiveAndAmp,
                         ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test

// Crews and flows (issue 9 point 3) against the simulator in the live and amp dialects: a flow's
// inputs keep their JSON types and none is required; names its state lacks are a warning (once per
// batch); an `id` input is refused; a crew still gets strings and /inputs enforcement.
#include <gtest/gtest.h>

#include <string>

#include "crewai/batch.hpp"
#include "crewai/client.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

class FlowKind : public ::testing::TestWithParam<sim::Dialect> {
 protected:
  SimFixture sim{"flow_state", [](sim::ServerOptions& o) { o.dialect = GetParam(); }};
  Client client(DeploymentKind kind) {
    ClientOptions o;
    o.base_url = sim.base_url();
    o.token = kSimToken;
    o.kind = kind;
    o.poll.initial = 2ms;
    o.poll.cap = 10ms;
    o.poll.deadline = 30s;
    return Client::create(std::move(o)).value();
  }
  static KickoffRequest typed() {
    KickoffRequest r;
    r.inputs = {{"count", 2}, {"history", {"a"}}};
    return r;
  }
};

TEST_P(FlowKind, TypedValuesAndPartialInputsSucceed) {
  auto c = client(DeploymentKind::flow);
  auto r = c.run(typed());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::success) << r->message;
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_NE(r->result.value_or("").find("2 verses"), std::string::npos) << r->result.value_or("");
}

TEST_P(FlowKind, TheSameValuesAsStringsFailTheFlow) {
  auto r = client(DeploymentKind::crew).kickoff(typed());  // a crew client stringifies them
  ASSERT_TRUE(r) << r.error().to_string();
  auto end = client(DeploymentKind::crew).wait(*r);
  ASSERT_TRUE(end) << end.error().to_string();
  EXPECT_EQ(end->state, RunState::failed);
}

TEST_P(FlowKind, AnUnknownNameIsAWarningAndIdIsRefused) {
  auto c = client(DeploymentKind::flow);
  KickoffRequest r = typed();
  r.inputs["mood"] = "calm";
  auto run = c.run(r);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->state, RunState::success);
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_NE(run->warnings[0].find("\"mood\""), std::string::npos);
  r.inputs["id"] = "abc";
  auto refused = c.kickoff(r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message.find("--restore-from-state-id"), std::string::npos);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 1);
}

TEST_P(FlowKind, BatchKeepsTypesWarnsOnceAndRefusesId) {
  auto c = client(DeploymentKind::flow);
  std::vector<BatchItem> items(4);
  items[0].inputs = {{"count", 3}, {"history", {"x", "y"}}};
  items[1].inputs = {{"topic", "rain"}};  // partial: the rest keeps its defaults
  items[2].inputs = {{"count", 1}, {"mood", "calm"}, {"colour", "red"}};
  items[3].inputs = {{"id", "old"}};
  BatchOptions o;
  auto batch = Batch::create(c, std::move(items), o).value();
  auto report = batch->run();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->records[0].outcome, Outcome::succeeded) << report->records[0].error;
  EXPECT_EQ(report->records[1].outcome, Outcome::succeeded) << report->records[1].error;
  EXPECT_EQ(report->records[2].outcome, Outcome::succeeded) << report->records[2].error;
  EXPECT_EQ(report->records[3].outcome, Outcome::invalid);
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find("colour, mood"), std::string::npos) << report->warnings[0];
}

TEST(CrewKind, CrewsStillEnforceInputs) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.dialect = sim::Dialect::live; });
  ClientOptions o;
  o.base_url = sim.base_url();
  o.token = kSimToken;
  auto c = Client::create(o).value();
  KickoffRequest r;
  r.inputs = {{"topic", "x"}};
  auto run = c.run(r);
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(run.error().missing_inputs, std::vector<std::string>{"current_year"});
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
}

INSTANTIATE_TEST_SUITE_P(Dialects, FlowKind, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test

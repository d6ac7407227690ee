// crewctl against the simulator in the `live` and `amp` dialects (issue 9 point 8): a crew pause
// (exit 3) answered with `resume --wait` that follows the run to SUCCESS (live: under the new
// kickoff id), `cancel` of a running run, a finished one and on a deployment without /stop, and a
// flow's callback URL that names another run.
#include <csignal>

#include "cli/cli_fixture.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

class CliLive : public CliTest, public ::testing::WithParamInterface<sim::Dialect> {
 protected:
  bool live() const { return GetParam() == sim::Dialect::live; }
  std::function<void(sim::ServerOptions&)> tweak(double time_scale = 0.001, bool stop = true) {
    return [time_scale, stop](sim::ServerOptions& o) {
      o.dialect = GetParam();
      o.time_scale = time_scale;
      o.stop_route = stop;
    };
  }
};

TEST_P(CliLive, CrewPauseExitsThreeThenResumeWaitFollowsTheRunToSuccess) {
  RawHttpServer rx([](const RawRequest&) { return RawResponse{200, {}, "{}"}; });
  SimFixture sim("approval", tweak(0.02));  // seen alive before it pauses (~0.4 s)
  auto paused = crewctl(conn(sim, {"kickoff", "-i", "topic=cats", "--wait", "--json", "--poll-interval",
                                   "0.02", "--human-input-webhook", rx.url("/hitl")}));
  ASSERT_EQ(paused.exit_code, 3) << paused.err << paused.out;
  const Json run = Json::parse(paused.out, nullptr, false);
  const std::string id = run.value("kickoff_id", "");
  ASSERT_FALSE(id.empty()) << paused.out;
  if (!live()) {  // a live waiting crew reads NOT FOUND: only the kickoff's wait could tell
    auto text = crewctl(conn(sim, {"wait", id, "--poll-interval", "0.02"}));
    EXPECT_EQ(text.exit_code, 3);
    EXPECT_NE(text.out.find("--task " + run["pause"].value("task_id", "?")), std::string::npos);
  } else {
    EXPECT_EQ(run.value("raw_state", ""), "NOT FOUND");
  }
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  const Json hitl = Json::parse(rx.received().front().body, nullptr, false);
  const std::string task = hitl.value("task_id", "");
  ASSERT_FALSE(task.empty()) << hitl.dump();

  auto done = crewctl(conn(sim, {"resume", id, "--task", task, "--feedback", "fine", "--approve",
                                 "--wait", "--json", "--poll-interval", "0.02"}));
  ASSERT_EQ(done.exit_code, 0) << done.err << done.out;
  const Json end = last_json_line(done.out);
  EXPECT_EQ(end.value("state", ""), "SUCCESS");
  EXPECT_EQ(end.value("resumed_from", ""), id);
  if (live()) {
    EXPECT_NE(end.value("kickoff_id", ""), id) << "the resumed work runs under a new id";
  } else {
    EXPECT_EQ(end.value("kickoff_id", ""), id);
  }
}

TEST_P(CliLive, CancelRunningFinishedAndWithoutStopRoute) {
  SimFixture sim("research", tweak(0.05));
  auto k = crewctl(conn(sim, {"kickoff", "-i", "topic=x", "-i", "current_year=2026", "--json"}));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  const std::string id = Json::parse(k.out).value("kickoff_id", "");
  auto c = crewctl(conn(sim, {"cancel", id, "--wait", "--json", "--poll-interval", "0.02"}));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const Json stopped = last_json_line(c.out);
  EXPECT_EQ(stopped.value("stopped", false), true) << c.out;
  EXPECT_EQ(stopped.value("final_state", ""), "REVOKED") << c.out;
  EXPECT_EQ(sim.stats()["runs"]["by_state"].value("REVOKED", 0), 1);

  auto twice = crewctl(conn(sim, {"cancel", id}));
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_NE(twice.out.find("had already ended: REVOKED"), std::string::npos) << twice.out;

  auto unknown = crewctl(conn(sim, {"cancel", "no-such-run", "--json"}));
  EXPECT_EQ(unknown.exit_code, 5);
  EXPECT_EQ(last_json_line(unknown.out)["error"].value("code", ""), "not_found") << unknown.out;

  SimFixture no_stop("research", tweak(0.05, false));
  auto k2 = crewctl(conn(no_stop, {"kickoff", "-i", "topic=x", "-i", "current_year=2026", "--json"}));
  ASSERT_EQ(k2.exit_code, 0) << k2.err;
  auto refused = crewctl(conn(no_stop, {"cancel", Json::parse(k2.out).value("kickoff_id", "")}));
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_NE(refused.err.find("this deployment cannot cancel runs"), std::string::npos) << refused.err;
}

TEST_P(CliLive, CancelOfAFinishedRunIsNotAnError) {
  SimFixture sim("research", tweak());
  auto k = crewctl(conn(sim, {"kickoff", "-i", "topic=x", "-i", "current_year=2026", "--wait",
                              "--json", "--poll-interval", "0.02"}));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  auto c = crewctl(conn(sim, {"cancel", Json::parse(k.out).value("kickoff_id", ""), "--json"}));
  EXPECT_EQ(c.exit_code, 0) << c.err;
  const Json j = last_json_line(c.out);
  EXPECT_EQ(j.value("stopped", true), false);
  EXPECT_EQ(j.value("state", ""), "SUCCESS");
}

TEST_P(CliLive, ResumeRefusesACallbackUrlOfAnotherRun) {
  SimFixture sim("research", tweak());
  auto r = crewctl(conn(sim, {"resume", "run-a", "--callback-url",
                              sim.base_url() + "/flows/run-b/feedback", "--feedback", "x"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not name run run-a"), std::string::npos) << r.err;
  EXPECT_EQ(sim.stats()["requests"].value("POST /flows/{id}/feedback", Json::object()).size(), 0u);
}

TEST_P(CliLive, APausedFlowShowsTheCallbackForm) {
  SimFixture sim("flow_review", tweak());
  auto paused = crewctl(conn(sim, {"kickoff", "-i", "company=Acme", "-i", "website=acme.example",
                                   "--wait", "--poll-interval", "0.02"}));
  ASSERT_EQ(paused.exit_code, 3) << paused.err;
  EXPECT_NE(paused.out.find("--callback-url URL --feedback TEXT"), std::string::npos) << paused.out;
  EXPECT_EQ(paused.out.find("--task"), std::string::npos) << paused.out;
}

TEST_P(CliLive, FlowKickoffAndBatchKeepTypes) {
  SimFixture sim("flow_state", tweak());
  auto k = crewctl(conn(sim, {"kickoff", "--kind", "flow", "--inputs", R"({"count": 2, "history": ["a"]})",
                              "--wait", "--json", "--poll-interval", "0.02"}));
  ASSERT_EQ(k.exit_code, 0) << k.err << k.out;
  EXPECT_EQ(last_json_line(k.out).value("state", ""), "SUCCESS");
  // The same as a crew: values go out as strings and the flow fails.
  auto crew = crewctl(conn(sim, {"kickoff", "--inputs", R"({"count": 2})", "--wait", "--json",
                                 "--poll-interval", "0.02"}));
  EXPECT_EQ(crew.exit_code, 1) << crew.err;

  std::string csv = write("rows.csv", "count,history,topic,mood\n3,\"[\"\"x\"\"]\",rain,calm\n1,[],007,\n");
  auto b = crewctl(conn(sim, {"batch", csv, "--json", "--no-journal", "--poll-interval", "0.02"}),
                   {{"CREWAI_KIND", "flow"}});
  ASSERT_EQ(b.exit_code, 0) << b.err << b.out;
  auto lines = json_lines(b.out);
  std::size_t ok = 0;
  for (const auto& l : lines) ok += l.value("state", "") == "succeeded";  // a string "3" fails the flow
  EXPECT_EQ(ok, 2u) << b.out;
  EXPECT_NE(b.err.find("warning: inputs not in the flow's state (GET /inputs): mood"), std::string::npos)
      << b.err;
  auto bad = crewctl(conn(sim, {"batch", csv, "--kind", "boat"}));
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_P(CliLive, BatchCancelOnStopCancelsTheRunsInFlightOnTheFirstCtrlC) {
  SimFixture sim("research", tweak(1.0));  // ~22 s a run: only a cancel ends it in time
  std::string rows;
  for (int i = 0; i < 3; ++i) rows += R"({"topic": "t)" + std::to_string(i) + R"(", "current_year": "2026"})" "\n";
  auto in = write("in.jsonl", rows);
  auto out = path("out.jsonl");
  auto child = spawn(conn(sim, {"batch", in, "-o", out, "--cancel-on-stop", "--poll-interval", "0.02",
                                "--concurrency", "3"}));
  auto polled = [&] {
    auto req = sim.stats()["requests"];
    std::int64_t n = 0;
    if (req.contains("GET /status"))
      for (const auto& [code, count] : req["GET /status"].items()) n += count.get<std::int64_t>();
    return n >= 3;
  };
  ASSERT_TRUE(wait_until(polled, 30s));
  child->signal(SIGINT);
  ASSERT_EQ(child->wait(30s), 130);
  auto records = json_lines(read_file(out));
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) EXPECT_EQ(r.value("state", ""), "cancelled") << r.dump();
  EXPECT_EQ(sim.stats()["stops"].value("stopped", 0), 3);
}

INSTANTIATE_TEST_SUITE_P(Dialects, CliLive, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test

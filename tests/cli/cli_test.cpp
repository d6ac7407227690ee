// crewctl single-run commands, configuration precedence, exit codes and help, driven as a subprocess
// against the in-process simulator.
#include <csignal>
#include <regex>

#include "cli/cli_fixture.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

TEST_F(CliTest, HelpListsExamplesAndExitCodes) {
  auto r = crewctl({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  EXPECT_NE(r.out.find("130"), std::string::npos);
  EXPECT_NE(r.out.find("130, 5, 4, 3, 1, 2"), std::string::npos);
  for (const char* cmd : {"inputs", "kickoff", "status", "wait", "resume", "batch", "serve"}) {
    auto h = crewctl({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("Examples"), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, BadFlagIsUsageError) {
  EXPECT_EQ(crewctl({"inputs", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(crewctl({}).exit_code, 2);
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"wait", "x", "--deadline", "soon"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--deadline"), std::string::npos);
}

TEST_F(CliTest, InputsJson) {
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"inputs", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["inputs"], Json({"topic", "current_year"}));
  auto text = crewctl(conn(sim, {"inputs"}));
  EXPECT_EQ(text.out, "topic\ncurrent_year\n");
}

TEST_F(CliTest, KickoffWaitJson) {
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"kickoff", "-i", "topic=Robots", "-i", "current_year=2026", "--wait",
                              "--json", "--poll-interval", "0.05", "--meta", R"({"team":"ops"})"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["state"], "SUCCESS");
  EXPECT_FALSE(j["kickoff_id"].get<std::string>().empty());
  EXPECT_NE(j["result"].get<std::string>().find("Robots"), std::string::npos);
  EXPECT_EQ(j["result_json"]["title"], "Robots in 2026");
  EXPECT_TRUE(j["timings"]["duration_seconds"].is_number());
  EXPECT_TRUE(j.contains("progress"));
  EXPECT_TRUE(j.contains("message"));
}

TEST_F(CliTest, KickoffThenStatusThenWait) {
  SimFixture sim("research");
  auto inputs = write("in.json", R"({"topic": "Tea", "current_year": "2025"})");
  auto k = crewctl(conn(sim, {"kickoff", "--inputs", "@" + inputs, "--json"}));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  std::string id = Json::parse(k.out)["kickoff_id"];
  auto s = crewctl(conn(sim, {"status", id, "--json"}));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto sj = Json::parse(s.out);
  EXPECT_EQ(sj["kickoff_id"], id);
  EXPECT_TRUE(sj["state"].is_string());
  auto w = crewctl(conn(sim, {"wait", id, "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto wj = Json::parse(w.out);
  EXPECT_EQ(wj["state"], "SUCCESS");
  EXPECT_NE(wj["result"].get<std::string>().find("Tea"), std::string::npos);
  auto human = crewctl(conn(sim, {"status", id}));
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("state:      SUCCESS"), std::string::npos);
}

TEST_F(CliTest, PausedThenResumeApprove) {
  SimFixture sim("approval");
  auto k = crewctl(conn(sim, {"kickoff", "-i", "topic=cats", "--wait", "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(k.exit_code, 3) << k.err;
  auto kj = Json::parse(k.out);
  EXPECT_EQ(kj["state"], "PAUSED");
  std::string id = kj["kickoff_id"];
  std::string task = kj["pause"]["task_id"];
  ASSERT_FALSE(task.empty());
  auto rj = crewctl(conn(sim, {"resume", id, "--task", task, "--feedback", "more", "--reject", "--json"}));
  ASSERT_EQ(rj.exit_code, 0) << rj.err;
  EXPECT_TRUE(Json::parse(rj.out)["status"].is_string());
  auto again = crewctl(conn(sim, {"wait", id, "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(again.exit_code, 3) << again.err;
  task = Json::parse(again.out)["pause"]["task_id"];
  auto ok = crewctl(conn(sim, {"resume", id, "--task", task, "--feedback", "fine", "--approve", "--wait",
                               "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Json::parse(ok.out)["state"], "SUCCESS");
  EXPECT_EQ(crewctl(conn(sim, {"resume", id, "--task", task, "--feedback", "x"})).exit_code, 2);
}

TEST_F(CliTest, FailedRunExitsOne) {
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"kickoff", "-i", "topic=fail now", "-i", "current_year=2026", "--wait",
                              "--json", "--poll-interval", "0.05"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(Json::parse(r.out)["state"], "FAILED");
}

TEST_F(CliTest, MissingInputExitsTwo) {
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"kickoff", "-i", "topic=x", "--json"}));
  EXPECT_EQ(r.exit_code, 2);
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], "invalid_input");
}

TEST_F(CliTest, DeadlineExitsFour) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 1.0; });
  auto r = crewctl(conn(sim, {"kickoff", "-i", "topic=x", "-i", "current_year=1", "--wait", "--deadline",
                              "300ms", "--poll-interval", "0.05", "--json"}));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(Json::parse(r.out)["error"]["code"], "deadline_exceeded");
}

TEST_F(CliTest, CallErrorsExitFive) {
  SimFixture sim("research");
  auto bad_token = crewctl({"inputs", "--url", sim.base_url(), "--token", "wrong", "--json"});
  EXPECT_EQ(bad_token.exit_code, 5);
  EXPECT_EQ(Json::parse(bad_token.out)["error"]["code"], "unauthenticated");
  auto unreachable = crewctl({"inputs", "--url", "http://127.0.0.1:1", "--token", "t", "--max-retries", "0"});
  EXPECT_EQ(unreachable.exit_code, 5);
  auto no_url = crewctl({"inputs", "--token", "t"});
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_NE(no_url.err.find("no deployment URL"), std::string::npos);
}

TEST_F(CliTest, WaitInterruptedExitsOneThirty) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 1.0; });
  auto k = crewctl(conn(sim, {"kickoff", "-i", "topic=x", "-i", "current_year=1", "--json"}));
  ASSERT_EQ(k.exit_code, 0);
  std::string id = Json::parse(k.out)["kickoff_id"];
  auto child = spawn(conn(sim, {"wait", id, "--poll-interval", "0.05", "--verbose"}));
  // The first traced poll shows that the wait (and its Ctrl-C watcher) is under way.
  ASSERT_TRUE(wait_until([&] { return read_file(last_err_).find("GET /status") != std::string::npos; }, 20s));
  child->signal(SIGINT);
  EXPECT_EQ(child->wait(20s), 130);
  EXPECT_NE(read_file(last_err_).find("crewctl wait " + id), std::string::npos);
}

TEST_F(CliTest, ConfigPrecedenceFlagOverEnvOverProfile) {
  SimFixture sim("research");
  write("xdg/crewctl/config.toml", "");
  std::filesystem::create_directories(path("xdg/crewctl"));
  write("xdg/crewctl/config.toml",
        "[default]\nbase_url = \"http://127.0.0.1:1\"\ntoken = \"wrong\"\nmax_retries = 0\n\n"
        "[good]\nbase_url = \"" + sim.base_url() + "\"\ntoken = \"" + kSimToken + "\"\n");
  auto good_token = write("token.txt", std::string(kSimToken) + "\n");
  std::map<std::string, std::string> good_env{{"CREWAI_BASE_URL", sim.base_url()},
                                              {"CREWAI_TOKEN", kSimToken}};
  // The profile alone.
  EXPECT_EQ(crewctl({"inputs", "--profile", "good"}).exit_code, 0);
  EXPECT_EQ(crewctl({"inputs"}).exit_code, 5);  // [default] points nowhere
  // Environment beats the profile, both ways.
  EXPECT_EQ(crewctl({"inputs"}, good_env).exit_code, 0);
  EXPECT_EQ(crewctl({"inputs", "--profile", "good"}, {{"CREWAI_TOKEN", "wrong"}}).exit_code, 5);
  EXPECT_EQ(crewctl({"inputs", "--profile", "good"}, {{"CREWAI_DEPLOYMENT_TOKEN", "wrong"}}).exit_code, 5);
  // Flags beat the environment, both ways.
  EXPECT_EQ(crewctl({"inputs", "--profile", "good", "--token-file", good_token}, {{"CREWAI_TOKEN", "wrong"}})
                .exit_code, 0);
  EXPECT_EQ(crewctl({"inputs", "--url", "http://127.0.0.1:1", "--max-retries", "0"}, good_env).exit_code, 5);
  EXPECT_EQ(crewctl({"inputs", "--token-stdin"}, {{"CREWAI_BASE_URL", sim.base_url()}, {"CREWAI_TOKEN", "wrong"}},
                    std::string(kSimToken) + "\n").exit_code, 0);
  // --config PATH, and errors naming the file or profile.
  auto other = write("other.toml", "[default]\nbase_url = \"" + sim.base_url() + "\"\ntoken_file = \"" +
                                       good_token + "\"\n");
  EXPECT_EQ(crewctl({"inputs", "--config", other}).exit_code, 0);
  auto missing = crewctl({"inputs", "--profile", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("[nope]"), std::string::npos);
  EXPECT_EQ(crewctl({"inputs", "--profile", "good"}, {{"CREWAI_TIMEOUT", "soon"}}).exit_code, 2);
}

TEST_F(CliTest, SimKickoffAndInputs) {
  auto r = crewctl({"kickoff", "--sim", crew("research"), "--sim-time-scale", "0.001", "-i", "topic=Owls",
                    "-i", "current_year=2026", "--wait", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["state"], "SUCCESS");
  EXPECT_NE(j["result"].get<std::string>().find("Owls"), std::string::npos);
  auto in = crewctl({"inputs", "--sim", crew("approval"), "--json"});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(Json::parse(in.out)["inputs"], Json({"topic"}));
}

TEST_F(CliTest, SimDialectPicksTheEmbeddedSimulatorsDialect) {
  // flow.json declares no state model: amp requires both inputs, live none.
  for (const char* dialect : {"live", "amp"}) {
    auto r = crewctl({"kickoff", "--sim", crew("flow"), "--sim-dialect", dialect, "--sim-time-scale",
                      "0.001", "-i", "company=Acme", "--wait", "--json"});
    EXPECT_EQ(r.exit_code, std::string(dialect) == "live" ? 0 : 2) << dialect << ": " << r.err;
  }
  auto bad = crewctl({"inputs", "--sim", crew("flow"), "--sim-dialect", "docs"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--sim-dialect"), std::string::npos) << bad.err;
}

TEST_F(CliTest, ServeRunsTheSimulator) {
  auto child = spawn({"serve", "--crew", crew("research"), "--token", "serve-token", "--port", "0",
                      "--time-scale", "0.001"});
  std::string out_path = last_out_;
  ASSERT_TRUE(wait_until([&] { return read_file(out_path).find('\n') != std::string::npos; }, 20s));
  std::smatch m;
  std::string first = read_file(out_path);
  ASSERT_TRUE(std::regex_search(first, m, std::regex("listening on ([0-9.]+:[0-9]+)"))) << first;
  auto r = crewctl({"inputs", "--url", "http://" + m[1].str(), "--token", "serve-token", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  child->signal(SIGTERM);
  EXPECT_EQ(child->wait(20s), 0);
}

TEST_F(CliTest, VerboseKickoffNeverPrintsSecrets) {
  const std::string token = "tok-Zq9-distinctive-7731";
  const std::string hitl = "hitl-Secret-4242";
  SimFixture sim("research", [&](sim::ServerOptions& o) { o.tokens = {token}; });
  auto r = crewctl({"kickoff", "--url", sim.base_url(), "-i", "topic=x", "-i", "current_year=1", "--wait",
                    "--verbose", "--poll-interval", "0.05", "--human-input-webhook", "http://127.0.0.1:9/h",
                    "--human-input-bearer", hitl},
                   {{"CREWAI_TOKEN", token}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("POST /kickoff -> 200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GET /status/"), std::string::npos);
  for (const auto& s : {token, hitl}) {
    EXPECT_EQ(r.out.find(s), std::string::npos);
    EXPECT_EQ(r.err.find(s), std::string::npos);
  }
}

TEST_F(CliTest, KickoffStreamsEventsWithTheirBearerAndNeverPrintsIt) {
  const std::string secret = "events-Secret-5150";
  RawHttpServer rx([](const RawRequest&) { return RawResponse{200, {}, "{}"}; });
  SimFixture sim("research");
  auto r = crewctl(
      conn(sim, {"kickoff", "-i", "topic=x", "-i", "current_year=1", "--wait", "--json",
                 "--verbose", "--poll-interval", "0.05", "--events-webhook", rx.url("/events"),
                 "--events", "task_completed,crew_kickoff_completed", "--events-bearer", secret}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = Json::parse(r.out, nullptr, false).value("kickoff_id", std::string());
  ASSERT_FALSE(id.empty()) << r.out;
  auto events = [&rx] {
    std::vector<Json> all;
    for (const auto& req : rx.received()) {
      for (const auto& e : Json::parse(req.body, nullptr, false).value("events", Json::array()))
        all.push_back(e);
    }
    return all;
  };
  auto has_final = [&] {
    for (const auto& e : events())
      if (e.value("type", "") == "crew_kickoff_completed") return true;
    return false;
  };
  ASSERT_TRUE(wait_until(has_final, 10s)) << "no crew_kickoff_completed event arrived";
  std::size_t tasks = 0;
  for (const auto& e : events()) {
    EXPECT_EQ(e.value("execution_id", ""), id);
    const std::string type = e.value("type", "");
    EXPECT_TRUE(type == "task_completed" || type == "crew_kickoff_completed") << type;
    tasks += type == "task_completed";
  }
  EXPECT_EQ(tasks, 3u);  // the research crew's three tasks; the filter dropped the *_started events
  for (const auto& req : rx.received()) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/events");
    EXPECT_EQ(req.header("authorization"), "Bearer " + secret);
  }
  EXPECT_EQ(r.out.find(secret), std::string::npos);
  EXPECT_EQ(r.err.find(secret), std::string::npos);

  auto alone = crewctl(conn(
      sim, {"kickoff", "-i", "topic=x", "-i", "current_year=1", "--events", "task_completed"}));
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("--events-webhook"), std::string::npos) << alone.err;
}

TEST_F(CliTest, ResumeAnswersAPausedFlowAtItsCallbackUrl) {
  RawHttpServer rx([](const RawRequest&) { return RawResponse{200, {}, "{}"}; });
  SimFixture sim("flow_review");
  auto paused = crewctl(
      conn(sim, {"kickoff", "-i", "company=Acme", "-i", "website=acme.example", "--wait", "--json",
                 "--poll-interval", "0.05", "--human-input-webhook", rx.url("/hitl")}));
  ASSERT_EQ(paused.exit_code, 3) << paused.err;  // paused for human input
  const Json run = Json::parse(paused.out, nullptr, false);
  const std::string id = run.value("kickoff_id", std::string());
  ASSERT_FALSE(id.empty()) << paused.out;
  std::string callback;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& req : rx.received()) {
          auto body = Json::parse(req.body, nullptr, false);
          if (body.is_object() && body.value("event", "") == "new_request")
            callback = body.value("callback_url", "");
        }
        return !callback.empty();
      },
      10s))
      << "no feedback request arrived";

  // Off the deployment's origin: refused, nothing sent. Crew-only flags: refused.
  auto elsewhere = crewctl(conn(sim, {"resume", id, "--callback-url",
                                      rx.url("/flows/" + id + "/feedback"), "--feedback", "x"}));
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("refusing"), std::string::npos) << elsewhere.err;
  EXPECT_EQ(
      crewctl(conn(sim, {"resume", id, "--callback-url", callback, "--feedback", "x", "--approve"}))
          .exit_code,
      2);
  EXPECT_EQ(crewctl(conn(sim, {"resume", id, "--feedback", "x", "--approve"})).exit_code, 2);

  auto done = crewctl(conn(sim, {"resume", id, "--callback-url", callback, "--feedback", "ship it",
                                 "--wait", "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const Json result = Json::parse(done.out, nullptr, false);
  EXPECT_EQ(result.value("state", ""), "SUCCESS") << done.out;
  EXPECT_NE(done.out.find("ship it"), std::string::npos)
      << done.out;  // the review reached the flow
  auto again =
      crewctl(conn(sim, {"resume", id, "--callback-url", callback, "--feedback", "twice"}));
  EXPECT_NE(again.exit_code, 0);  // no longer waiting for feedback
}

}  // namespace
}  // namespace crewai::test

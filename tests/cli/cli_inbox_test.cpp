// Issue 12 point 7: crewctl --listen and the inbox against the simulator, in the live and amp
// dialects. A 200-item batch with a review step pauses every item (the task id from the
// human-input webhook), `inbox answer --all --approve` + `batch --resume` finishes all 200 with
// exactly 200 resumes and no duplicate kickoff; SIGKILL during `inbox answer` then a rerun answers
// each item once; kickoff --wait --listen prints the exact resume command; webhooks shorten waits
// (fewer polls, counted by the simulator).
#include <csignal>
#include <map>
#include <regex>
#include <set>

#include "cli/cli_fixture.hpp"

namespace crewai::test {
namespace {

class CliInbox : public CliTest, public ::testing::WithParamInterface<sim::Dialect> {
 protected:
  bool live() const { return GetParam() == sim::Dialect::live; }
  std::function<void(sim::ServerOptions&)> tweak(double time_scale = 0.001) {
    return [time_scale](sim::ServerOptions& o) {
      o.dialect = GetParam();
      o.time_scale = time_scale;
    };
  }
  std::string rows(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
      text += R"({"id": "row-)" + std::to_string(i) + R"(", "inputs": {"topic": "t)" + std::to_string(i) + "\"}}\n";
    }
    return write("rows.jsonl", text);
  }
  // Successful resumes the simulator took (live: runs continued under a new id; amp: 200 answers).
  std::int64_t resumes(const Json& stats) const {
    return live() ? stats["resumes"].value("continued", 0) : count_requests(stats, "POST /resume", "200");
  }
  static void expect_one_kickoff_per_item(const Json& stats, std::size_t n) {
    EXPECT_EQ(stats["kickoffs"].value("total", 0), static_cast<std::int64_t>(n));
    for (const auto& [id, k] : stats["kickoffs"]["by_request_id"].items()) EXPECT_EQ(k, 1) << id;
  }
};

TEST_P(CliInbox, TwoHundredPausesAnsweredFromTheInboxFinishWithOneResumeEach) {
  SimFixture sim("approval", tweak());
  const auto in = rows(200);
  const auto out = path("results.jsonl"), journal = path("results.jsonl.journal");
  auto first = crewctl(conn(sim, {"batch", in, "-o", out, "--listen", "127.0.0.1:0", "--concurrency", "64",
                                  "--poll-interval", "0.05"}));
  ASSERT_EQ(first.exit_code, 3) << first.err;  // every item paused
  EXPECT_NE(first.err.find("listening for webhooks on 127.0.0.1:"), std::string::npos) << first.err;
  auto list = crewctl({"inbox", "list", "--journal", journal, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const Json inbox = Json::parse(list.out, nullptr, false)["inbox"];
  ASSERT_EQ(inbox.size(), 200u) << list.out.substr(0, 500);
  for (const auto& e : inbox) {
    EXPECT_TRUE(e["task_id"].is_string()) << e.dump();  // from the human-input webhook
    EXPECT_EQ(e.value("answer", ""), "open");
  }
  auto show = crewctl({"inbox", "show", "--journal", journal, "7"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Draft post about t7"), std::string::npos) << show.out;

  auto answer = crewctl(conn(sim, {"inbox", "answer", "--journal", journal, "--all", "--feedback", "ok", "--approve"}));
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  auto again = crewctl(conn(sim, {"inbox", "answer", "--journal", journal, "--all", "--feedback", "ok", "--approve"}));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 answered, 200 already answered"), std::string::npos) << again.err;
  EXPECT_EQ(resumes(sim.stats()), 200);

  auto rest = crewctl(conn(sim, {"batch", in, "-o", out, "--resume", "--poll-interval", "0.05"}));
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  std::size_t ok = 0;
  for (const auto& r : json_lines(read_file(out))) ok += r.value("state", "") == "succeeded";
  EXPECT_EQ(ok, 200u);
  const Json stats = sim.stats();
  EXPECT_EQ(resumes(stats), 200);
  if (live()) {
    EXPECT_EQ(stats["resumes"].value("unmatched", 0), 0);
  }
  expect_one_kickoff_per_item(stats, 200);
}

TEST_P(CliInbox, KilledDuringInboxAnswerThenRerunAnswersEachItemOnce) {
  SimFixture sim("approval", [](sim::ServerOptions& o) {
    o.dialect = GetParam();
    o.time_scale = 0.001;
    o.faults.endpoints["resume"].latency_min_ms = 5;
    o.faults.endpoints["resume"].latency_max_ms = 15;
  });
  const auto in = rows(60);
  const auto out = path("results.jsonl"), journal = path("results.jsonl.journal");
  auto first = crewctl(conn(sim, {"batch", in, "-o", out, "--listen", "127.0.0.1:0", "--poll-interval", "0.05"}));
  ASSERT_EQ(first.exit_code, 3) << first.err;

  auto child = spawn(conn(sim, {"inbox", "answer", "--journal", journal, "--all", "--feedback", "ok", "--approve"}));
  ASSERT_TRUE(wait_until([&] { return count_requests(sim.stats(), "POST /resume") >= 20; }, 30s));
  child->signal(SIGKILL);
  child->wait(10s);
  auto rerun = crewctl(conn(sim, {"inbox", "answer", "--journal", journal, "--all", "--feedback", "ok", "--approve"}));
  // amp: the one answer that was out is settled from /status; live hides the run, so it may stay
  // unknown (exit 5, never sent twice).
  auto inbox = Json::parse(crewctl({"inbox", "list", "--journal", journal, "--json"}).out, nullptr, false)["inbox"];
  std::size_t answered = 0, unknown = 0;
  for (const auto& e : inbox) {
    const std::string state = e.value("answer", "");
    answered += state.rfind("approved", 0) == 0;
    unknown += state == "sent, outcome unknown";
  }
  const Json stats = sim.stats();
  if (!live()) {
    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(answered, 60u);
    EXPECT_EQ(count_requests(stats, "POST /resume"), 60) << stats["requests"].dump();  // each exactly once
  } else {
    EXPECT_LE(unknown, 1u) << rerun.err;  // answers go one at a time
    EXPECT_EQ(answered + unknown, 60u) << rerun.err;
    EXPECT_EQ(stats["resumes"].value("unmatched", 0), 0) << "an answer was sent twice";
    EXPECT_GE(resumes(stats), static_cast<std::int64_t>(answered));
    EXPECT_LE(resumes(stats), static_cast<std::int64_t>(answered + unknown));
  }
}

TEST_P(CliInbox, KickoffWaitListenPrintsTheExactResumeCommand) {
  SimFixture sim("approval", tweak(0.005));
  auto paused = crewctl(conn(sim, {"kickoff", "-i", "topic=cats", "--wait", "--listen", "127.0.0.1:0", "-v"}));
  ASSERT_EQ(paused.exit_code, 3) << paused.err << paused.out;
  // The webhook secrets (64 hex digits, made in the process) appear nowhere, not even with -v.
  const std::regex secret("[0-9a-f]{64}");
  EXPECT_FALSE(std::regex_search(paused.out + paused.err, secret)) << paused.err;
  auto at = paused.out.find("crewctl resume ");
  ASSERT_NE(at, std::string::npos) << paused.out;
  std::string line = paused.out.substr(at, paused.out.find('\n', at) - at);
  line = line.substr(0, line.find("   ("));  // the hint's "(or --reject)"
  std::vector<std::string> args;
  for (std::size_t pos = std::string("crewctl ").size(); pos < line.size();) {
    auto end = line.find(' ', pos);
    if (end == std::string::npos) end = line.size();
    if (end > pos) args.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  ASSERT_GE(args.size(), 6u) << line;
  EXPECT_EQ(args[2], "--task");
  EXPECT_NE(args[3], "TASK_ID") << "the task id comes from the human-input webhook";
  args.insert(args.end(), {"--wait", "--poll-interval", "0.02"});
  auto done = crewctl(conn(sim, args));
  EXPECT_EQ(done.exit_code, 0) << done.err << done.out;
}

TEST_P(CliInbox, WebhooksShortenWaitsWithFewerPolls) {
  // A one-task crew whose runs take ~3.75 s: polled from 1 s on growing 1.5x (about 1, 2.5, 4.75 s
  // after the first), each needs about four polls. With --listen (polling slowed to a fallback) a run is polled
  // at once, then on its task webhook and on its crew webhook: at most three. (Every task webhook
  // costs one poll, so the gap narrows for crews of many short tasks and widens with run length.)
  Json crew = Json::parse(read_file(crew_path("research")));
  crew["tasks"] = Json::array({crew["tasks"][0]});
  crew["tasks"][0]["duration"] = 120;  // + 5 s pending and started: 125 crew-seconds
  SimFixture sim(write("one-task.json", crew.dump()), tweak(0.03));
  const auto in = write("rows.jsonl", [] {
    std::string t;
    for (int i = 0; i < 10; ++i) t += R"({"topic": "t)" + std::to_string(i) + R"(", "current_year": "2026"})" "\n";
    return t;
  }());
  auto plain = crewctl(conn(sim, {"batch", in, "--no-journal", "-o", path("a.jsonl")}));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto polls_plain = count_requests(sim.stats(), "GET /status");
  sim.server().reset_stats();
  auto listened = crewctl(conn(sim, {"batch", in, "--no-journal", "-o", path("b.jsonl"), "--listen", "127.0.0.1:0"}));
  ASSERT_EQ(listened.exit_code, 0) << listened.err;
  const auto polls_listen = count_requests(sim.stats(), "GET /status");
  EXPECT_LT(polls_listen, polls_plain) << "plain " << polls_plain << ", with --listen " << polls_listen;
  std::cerr << "polls for 10 runs: " << polls_plain << " plain, " << polls_listen << " with --listen\n";
  EXPECT_LE(polls_listen, 10 * 3);  // the first poll, and one per task and crew webhook at most
}

TEST_P(CliInbox, EventsOutHoldsEveryStreamedEventOnceInOrderPerRun) {
  SimFixture sim("research", tweak());
  const auto in = write("rows.jsonl", R"({"id": "a", "inputs": {"topic": "x", "current_year": "2026"}}
{"id": "b", "inputs": {"topic": "y", "current_year": "2026"}}
)");
  const auto events = path("events.jsonl");
  auto r = crewctl(conn(sim, {"batch", in, "--no-journal", "-o", path("out.jsonl"), "--listen", "127.0.0.1:0",
                              "--events", "all", "--events-out", events, "--poll-interval", "0.05"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::vector<Json>> by_run;
  std::set<std::string> seen;
  for (const auto& line : json_lines(read_file(events))) {
    ASSERT_TRUE(line["index"].is_number()) << line.dump();
    const std::string item = line.value("id", "");
    EXPECT_EQ(item, line["index"] == 0 ? "a" : "b");
    EXPECT_TRUE(seen.insert(line.value("execution_id", "") + "/" + line["event"].value("id", "")).second)
        << "twice: " << line.dump();
    by_run[line.value("execution_id", "")].push_back(line["event"]);
  }
  ASSERT_EQ(by_run.size(), 2u) << read_file(events);
  for (const auto& [run, list] : by_run) {
    EXPECT_EQ(list.front().value("type", ""), "crew_kickoff_started") << run;
    EXPECT_EQ(list.back().value("type", ""), "crew_kickoff_completed") << run;
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1].value("timestamp", ""), list[i].value("timestamp", "")) << run;
    }
  }
}

TEST_P(CliInbox, PausedFlowsAreAnsweredAtTheirCallbackUrl) {
  SimFixture sim("flow_review", tweak());
  const auto in = write("rows.jsonl", R"({"company": "Acme", "website": "acme.example"}
{"company": "Initech", "website": "initech.example"}
)");
  const auto out = path("results.jsonl"), journal = path("results.jsonl.journal");
  auto first = crewctl(conn(sim, {"batch", in, "-o", out, "--kind", "flow", "--listen", "127.0.0.1:0",
                                  "--poll-interval", "0.05"}));
  ASSERT_EQ(first.exit_code, 3) << first.err;
  auto inbox = Json::parse(crewctl({"inbox", "list", "--journal", journal, "--json"}).out, nullptr, false)["inbox"];
  ASSERT_EQ(inbox.size(), 2u);
  for (const auto& e : inbox) EXPECT_NE(e.value("callback_url", "").find("/feedback"), std::string::npos) << e.dump();
  auto answer = crewctl(conn(sim, {"inbox", "answer", "--journal", journal, "--all", "--feedback", "go", "--approve",
                                   "--kind", "flow"}));
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  auto rest = crewctl(conn(sim, {"batch", in, "-o", out, "--kind", "flow", "--resume", "--poll-interval", "0.05"}));
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(count_requests(sim.stats(), "POST /flows/{id}/feedback", "200"), 2);
}

INSTANTIATE_TEST_SUITE_P(Dialects, CliInbox, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test

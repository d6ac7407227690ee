// The docs run as written (issue 10, point 11): global options before the subcommand, timings from
// the service in status/wait, a short not-found grace for `wait`, hints that name --resume, --sim
// with --url refused, and help examples that do what they say.
#include "cli/cli_fixture.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

class CliUsageTest : public CliTest {};

TEST_F(CliUsageTest, ConnectionOptionsGoBeforeTheSubcommandToo) {
  SimFixture sim("research");
  auto token = write("token", kSimToken);
  auto r = crewctl({"--url", sim.base_url(), "--token-file", token, "inputs", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out, nullptr, false)["inputs"], Json({"topic", "current_year"}));
  auto k = crewctl({"--token-file", token, "--json", "kickoff", "-i", "topic=a", "-i",
                    "current_year=1", "--wait", "--poll-interval", "0.05"},
                   {{"CREWAI_BASE_URL", sim.base_url()}});
  EXPECT_EQ(k.exit_code, 0) << k.err;
}

TEST_F(CliUsageTest, StatusAndWaitFillTimingsFromTheService) {
  SimFixture sim("research");
  auto k = crewctl(conn(sim, {"kickoff", "-i", "topic=a", "-i", "current_year=1", "--wait",
                              "--json", "--poll-interval", "0.05"}));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  std::string id = Json::parse(k.out, nullptr, false).value("kickoff_id", "");
  for (auto cmd : {"status", "wait"}) {
    auto r = crewctl(conn(sim, {cmd, id, "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto t = Json::parse(r.out, nullptr, false)["timings"];
    EXPECT_TRUE(t["started_at"].is_number()) << cmd << " " << r.out;
    EXPECT_TRUE(t["duration_seconds"].is_number()) << cmd << " " << r.out;
    EXPECT_TRUE(t["finished_at"].is_number()) << cmd << " " << r.out;
  }
}

TEST_F(CliUsageTest, WaitOnAnUnknownIdEndsAfterAShortGrace) {
  SimFixture sim("research");
  auto child = spawn(conn(sim, {"wait", "no-such-run", "--poll-interval", "0.2"}));
  // 10 s of grace (docs/cli.md); the test bound is far above it and under the old 30 s.
  EXPECT_EQ(child->wait(25s), 5) << read_file(last_err_);
  EXPECT_NE(read_file(last_err_).find("not_found"), std::string::npos) << read_file(last_err_);
}

TEST_F(CliUsageTest, SimWithUrlIsRefused) {
  SimFixture sim("research");
  auto r = crewctl({"inputs", "--sim", crew("research"), "--url", sim.base_url()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--sim"), std::string::npos) << r.err;
}

TEST_F(CliUsageTest, SkippedRecordsSayHowToRunThem) {
  RawHttpServer server([](const RawRequest& r) {
    if (r.target == "/inputs") return RawResponse{200, {}, R"({"inputs":["topic"]})"};
    return RawResponse{401, {}, R"({"error":"bad token"})"};  // stops the batch
  });
  auto in = write("in.jsonl", "{\"topic\":\"a\"}\n{\"topic\":\"b\"}\n{\"topic\":\"c\"}\n");
  auto r = crewctl({"batch", in, "-o", path("out.jsonl"), "--concurrency", "1", "--url",
                    server.url(""), "--token", "t0k3n", "--ordered"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  auto records = json_lines(read_file(path("out.jsonl")));
  ASSERT_EQ(records.size(), 3u) << r.err;
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(records[i].value("state", ""), "skipped");
    EXPECT_NE(records[i].value("error", "").find("--resume"), std::string::npos) << records[i];
  }
}

TEST_F(CliUsageTest, BatchHelpStdinExampleKeepsTheResultsFileClean) {
  auto h = crewctl({"batch", "--help"});
  ASSERT_EQ(h.exit_code, 0);
  EXPECT_EQ(h.out.find("--json > results.jsonl"), std::string::npos) << h.out;
  // The example as printed: results only on stdout, no journal left in the working directory.
  auto in = write("rows.jsonl", "{\"topic\":\"a\",\"current_year\":\"1\"}\n");
  SimFixture sim("research");
  auto r = crewctl(conn(sim, {"batch", "-", "--no-journal", "--poll-interval", "0.05"}), {},
                   read_file(in));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0].value("state", ""), "succeeded");
}

}  // namespace
}  // namespace crewai::test

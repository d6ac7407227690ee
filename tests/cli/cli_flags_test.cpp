// Flags are validated like the environment (issue 10, point 7): each bad number is refused with
// exit 2, naming the flag, variable or profile key, before any request is sent.
#include "cli/cli_fixture.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

class CliFlagsTest : public CliTest {
 protected:
  // Every request counts: a refused flag must cost none.
  RawHttpServer server_{[](const RawRequest&) {
    return RawResponse{200, {}, R"({"inputs":["topic"]})"};
  }};
  std::vector<std::string> at(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", server_.url(""), "--token", "t0k3n"});
    return args;
  }
  void expect_refused(const std::vector<std::string>& args, const std::string& names,
                      const std::map<std::string, std::string>& env = {}) {
    auto r = crewctl(at(args), env);
    EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args) << "\n" << r.err;
    EXPECT_NE(r.err.find(names), std::string::npos)
        << testing::PrintToString(args) << " should name " << names << ":\n" << r.err;
    EXPECT_EQ(server_.requests(), 0u) << testing::PrintToString(args);
  }
};

TEST_F(CliFlagsTest, PollIntervalOutOfBoundsIsRefused) {
  for (const char* v : {"inf", "1e-9", "-1", "nan", "0", "7200"}) {
    expect_refused({"wait", "abc", "--poll-interval", v}, "--poll-interval");
  }
}

TEST_F(CliFlagsTest, TimeoutsAndRetriesOutOfBoundsAreRefused) {
  for (const char* v : {"-1", "0", "inf", "nan", "1e12"}) {
    expect_refused({"inputs", "--timeout", v}, "--timeout");
  }
  for (const char* v : {"-1", "1000"}) expect_refused({"inputs", "--max-retries", v}, "--max-retries");
}

TEST_F(CliFlagsTest, DeadlinesThatWouldOverflowOrMeanNothingAreRefused) {
  auto input = write("in.jsonl", "{\"topic\":\"a\"}\n");
  for (const char* v : {"9999999999", "3000000h", "0", "-5m", "inf"}) {
    expect_refused({"wait", "abc", "--deadline", v}, "--deadline");
    expect_refused({"kickoff", "-i", "topic=a", "--wait", "--deadline", v}, "--deadline");
    expect_refused({"batch", input, "--no-journal", "--deadline", v}, "--deadline");
  }
}

TEST_F(CliFlagsTest, BatchNumbersAreRefused) {
  auto input = write("in.jsonl", "{\"topic\":\"a\"}\n");
  expect_refused({"batch", input, "--no-journal", "--concurrency", "0"}, "--concurrency");
  expect_refused({"batch", input, "--no-journal", "--rate", "0"}, "--rate");
  expect_refused({"batch", input, "--no-journal", "--rate", "inf"}, "--rate");
  expect_refused({"batch", input, "--no-journal", "--retry-failed", "-1"}, "--retry-failed");
  expect_refused({"batch", input, "--no-journal", "--max-error-rate", "nan"}, "--max-error-rate");
}

TEST_F(CliFlagsTest, EnvironmentAndProfileGoThroughTheSameRules) {
  expect_refused({"inputs"}, "CREWAI_POLL_INTERVAL", {{"CREWAI_POLL_INTERVAL", "inf"}});
  expect_refused({"inputs"}, "CREWAI_TIMEOUT", {{"CREWAI_TIMEOUT", "0"}});
  expect_refused({"inputs"}, "CREWAI_MAX_RETRIES", {{"CREWAI_MAX_RETRIES", "-1"}});
  // Named as the variable that holds it, not as the flag (--concurrency) it stands in for.
  auto input = write("in.jsonl", "{\"topic\":\"a\"}\n");
  expect_refused({"batch", input, "--no-journal"}, "CREWAI_MAX_CONCURRENT",
                 {{"CREWAI_MAX_CONCURRENT", "0"}});
  std::filesystem::create_directories(path("xdg/crewctl"));
  write("xdg/crewctl/config.toml", "[default]\npoll_interval = 0.001\n");
  expect_refused({"inputs"}, "poll_interval");
  write("xdg/crewctl/config.toml", "[default]\nmax_concurrent = 0\n");
  expect_refused({"inputs"}, "max_concurrent");
}

TEST_F(CliFlagsTest, GoodValuesStillWork) {
  auto r = crewctl(at({"inputs", "--timeout", "5", "--max-retries", "0"}),
                   {{"CREWAI_POLL_INTERVAL", "0.5"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "topic\n");
}

}  // namespace
}  // namespace crewai::test

// Every wait of crewctl can be bounded and interrupted (issue 10, point 6), against a server that
// never answers: --timeout bounds the first request too, one Ctrl-C ends a single-run command's
// request in flight (exit 130), and a second Ctrl-C makes `batch` leave at once, resumable.
// The deadlines below are test bounds far under the old behaviour (120 s first-call timeout, a
// kickoff held until its timeout), not speed assertions.
#include <csignal>

#include "cli/cli_fixture.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

// Answers /inputs; holds every other request (kickoff, status, resume) until the test ends.
RawResponse hold_all_but_inputs(const RawRequest& r) {
  if (r.target == "/inputs") return RawResponse{200, {}, R"({"inputs":["topic"]})"};
  RawResponse held;
  held.hold = true;
  return held;
}

RawResponse hold_everything(const RawRequest&) {
  RawResponse held;
  held.hold = true;
  return held;
}

class CliInterruptTest : public CliTest {
 protected:
  std::vector<std::string> at(const RawHttpServer& s, std::vector<std::string> args) {
    args.insert(args.end(), {"--url", s.url(""), "--token", "t0k3n"});
    return args;
  }
};

TEST_F(CliInterruptTest, TimeoutBoundsTheFirstRequestToo) {
  RawHttpServer server(hold_everything);
  auto child = spawn(at(server, {"inputs", "--timeout", "1", "--max-retries", "0"}));
  int code = child->wait(30s);  // was 120 s: the first request ignored --timeout
  EXPECT_EQ(code, 5) << read_file(last_err_);
  EXPECT_NE(read_file(last_err_).find("timed out"), std::string::npos) << read_file(last_err_);
}

// One Ctrl-C while the only request is out: exit 130 at once, saying so.
void expect_interrupted(const RawHttpServer& server, Child& child, const std::string& err_path) {
  ASSERT_TRUE(server.wait_for_requests(1, 20s)) << read_file(err_path);
  // The request is out; the watcher was installed before it was sent.
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(20s), 130) << read_file(err_path);
  EXPECT_NE(read_file(err_path).find("interrupted"), std::string::npos) << read_file(err_path);
}

TEST_F(CliInterruptTest, CtrlCEndsInputs) {
  RawHttpServer server(hold_everything);
  auto child = spawn(at(server, {"inputs"}));
  expect_interrupted(server, *child, last_err_);
}

TEST_F(CliInterruptTest, CtrlCEndsStatus) {
  RawHttpServer server(hold_everything);
  auto child = spawn(at(server, {"status", "abc-123"}));
  expect_interrupted(server, *child, last_err_);
}

TEST_F(CliInterruptTest, CtrlCDuringKickoffSaysTheOutcomeIsUnknown) {
  RawHttpServer server(hold_everything);
  auto child = spawn(at(server, {"kickoff", "-i", "topic=x", "--json"}));
  expect_interrupted(server, *child, last_err_);
  // The POST was on the wire: a run may exist, and the user is told so (not "nothing happened").
  EXPECT_NE(read_file(last_err_).find("ambiguous"), std::string::npos) << read_file(last_err_);
  auto j = last_json_line(read_file(last_out_));
  EXPECT_EQ(j["error"]["code"], "ambiguous") << read_file(last_out_);
  EXPECT_EQ(j["interrupted"], true);
}

TEST_F(CliInterruptTest, SecondCtrlCEndsBatchAtOnceAndItStaysResumable) {
  RawHttpServer server(hold_all_but_inputs);
  auto input = write("in.jsonl", "{\"id\":\"a\",\"inputs\":{\"topic\":\"a\"}}\n"
                                 "{\"id\":\"b\",\"inputs\":{\"topic\":\"b\"}}\n");
  auto journal = path("in.journal");
  auto child = spawn(at(server, {"batch", input, "-o", path("out.jsonl"), "--journal", journal,
                                 "--concurrency", "2"}));
  // Both kickoffs are on the wire (after GET /inputs) and will never be answered.
  ASSERT_TRUE(server.wait_for_requests(3, 20s)) << read_file(last_err_);
  child->signal(SIGINT);
  ASSERT_TRUE(wait_until([&] { return read_file(last_err_).find("stopping") != std::string::npos; },
                         10s));
  child->signal(SIGINT);
  EXPECT_EQ(child->wait(10s), 130) << read_file(last_err_);  // was: held until the kickoffs timed out
  EXPECT_NE(read_file(last_err_).find("--resume"), std::string::npos) << read_file(last_err_);
  EXPECT_TRUE(std::filesystem::exists(journal));
  // Both kickoffs were sent, so both items are ambiguous: recorded, never silently re-sent.
  auto records = json_lines(read_file(path("out.jsonl")));
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) EXPECT_EQ(r.value("state", ""), "ambiguous") << r.dump();
}

TEST_F(CliInterruptTest, CtrlCEndsABatchStillReadingTheInputs) {
  RawHttpServer server(hold_everything);  // GET /inputs (the preflight) never answers
  auto input = write("in.jsonl", "{\"topic\":\"a\"}\n");
  auto child = spawn(at(server, {"batch", input, "-o", path("out.jsonl"), "--no-journal"}));
  expect_interrupted(server, *child, last_err_);
  EXPECT_EQ(server.requests(), 1u);  // nothing was kicked off
}

}  // namespace
}  // namespace crewai::test

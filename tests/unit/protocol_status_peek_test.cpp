// The polls' fast path (peek_running_state): it reads a run still going in every dialect, and for
// any other body it steps aside so that parse_status decides. Whenever it answers, parse_status
// must read the same state.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/status.hpp"

namespace crewai::protocol {
namespace {

// Asserts the one property the waits rely on, then returns what the peek said.
std::optional<RunState> peek(const std::string& body) {
  auto going = peek_running_state(body);
  if (going) {
    auto full = parse_status(body, "k");
    EXPECT_TRUE(full) << body;
    if (full) {
      EXPECT_EQ(full->state, *going) << body;
    }
  }
  return going;
}

TEST(PeekRunningState, EveryDialectOfARunGoingOn) {
  // Live: every key present, most null; `status` a message.
  EXPECT_EQ(peek(R"({"state":"RUNNING","status":"Task is Running","result":null,"result_json":null,)"
                 R"("progress":{"unit":"task","completed":1,"total":3},"events":[{"type":"task_started"}],)"
                 R"("last_step":{"state":"x"},"last_executed_task":"research"})"),
            RunState::running);
  EXPECT_EQ(peek(R"({"state":"PENDING","status":null})"), RunState::pending);
  EXPECT_EQ(peek(R"({"state":" started "})"), RunState::started);
  // The docs' dialect: lower-case state in `status`, `state` absent or null.
  EXPECT_EQ(peek(R"({"status":"running","progress":{"completed_tasks":1,"total_tasks":2}})"),
            RunState::running);
  EXPECT_EQ(peek(R"({"state":null,"status":"pending"})"), RunState::pending);
}

TEST(PeekRunningState, EscapesAndUnicodeAreLeftToTheFullParseOrReadExactly) {
  // A state or a top-level key spelled with escapes: the full parse decodes it.
  EXPECT_FALSE(peek(R"({"state":"RUNN\u0049NG"})"));
  EXPECT_EQ(parse_status(R"({"state":"RUNN\u0049NG"})", "k")->state, RunState::running);
  EXPECT_FALSE(peek(R"({"state":"RUNNING","st\u0061te":"SUCCESS"})"));
  // Escapes and UTF-8 elsewhere are read through.
  EXPECT_EQ(peek(R"({"status":"T\u00e2che \"en cours\" \\ ok","state":"RUNNING","x":"\ud83d\ude00"})"),
            std::nullopt);  // a surrogate pair: left to the full parse
  EXPECT_EQ(peek("{\"status\":\"T\u00e2che \\\"x\\\" \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\",\"state\":\"RUNNING\",\"n\":-0.5}"),
            RunState::running);
  // Malformed UTF-8, a control character, a lone surrogate, an exponent: never read as running.
  for (const std::string& body : std::vector<std::string>{
           "{\"status\":\"\xc3\",\"state\":\"RUNNING\"}",
           "{\"status\":\"\xed\xa0\x80\",\"state\":\"RUNNING\"}",
           "{\"status\":\"a\tb\",\"state\":\"RUNNING\"}",
           R"({"status":"\udc00","state":"RUNNING"})",
           R"({"n":1e400,"state":"RUNNING"})",
       }) {
    EXPECT_FALSE(peek(body)) << body;
  }
}

TEST(PeekRunningState, StepsAsideForEndsPausesAndErrors) {
  for (const char* body : {
           R"({"state":"SUCCESS","status":null,"result":"done"})",
           R"({"state":"FAILED","status":"boom"})",
           R"({"state":"PAUSED"})",
           R"({"state":"NOT FOUND"})",
           R"({"status":"completed","result":{"output":"x"}})",
           R"({"state":"WEIRD","status":"running"})",  // an unknown state is an error
           R"({"state":5,"status":"running"})",        // so is a mistyped one
           R"({"state":null,"status":"Task is Running"})",
           R"({})",
       }) {
    EXPECT_FALSE(peek(body)) << body;
  }
}

TEST(PeekRunningState, OnlyTheTopLevelStateCounts) {
  // The state word inside a nested string, a nested object or an array is not the run's.
  EXPECT_FALSE(peek(R"({"result":"{\"state\":\"RUNNING\"}","state":"SUCCESS"})"));
  EXPECT_FALSE(peek(R"({"last_step":{"state":"RUNNING"},"state":"SUCCESS"})"));
  EXPECT_FALSE(peek(R"({"events":[{"state":"RUNNING"}],"state":"FAILED","status":"x"})"));
  EXPECT_FALSE(peek(R"({"status":"Task is \"state\":\"RUNNING\"","state":"SUCCESS"})"));
  EXPECT_EQ(peek(R"({"last_step":{"state":"SUCCESS"},"status":"x \"state\":\"FAILED\"","state":"RUNNING"})"),
            RunState::running);
  // A repeated key: the last one wins, as in the parsed object.
  EXPECT_FALSE(peek(R"({"state":"RUNNING","state":"SUCCESS"})"));
  EXPECT_EQ(peek(R"({"state":"SUCCESS","state":"RUNNING"})"), RunState::running);
}

TEST(PeekRunningState, BodiesTheFullParseRefusesAreNotRunning) {
  std::string deep = R"({"state":"RUNNING","x":)" + std::string(200, '[') + std::string(200, ']') + "}";
  for (const std::string& body : std::vector<std::string>{
           R"({"state":"RUNNING")",              // cut short
           R"({"state":"RUNNING"} trailing)",    // more after the object
           R"({"state":"RUNNING","n":1e400})",   // a number out of range
           R"([{"state":"RUNNING"}])",           // not an object
           R"("RUNNING")",
           "RUNNING",
           "",
           deep,
       }) {
    EXPECT_FALSE(peek(body)) << body.substr(0, 60);
    EXPECT_FALSE(parse_status(body, "k")) << body.substr(0, 60);
  }
}

}  // namespace
}  // namespace crewai::protocol

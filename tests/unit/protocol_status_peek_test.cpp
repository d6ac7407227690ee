// The polls' fast path (peek_running_state): it reads a run still going in every dialect, and for
// any other body it steps aside so that parse_status decides. Whenever it answers, parse_status
// must read the same state; read_poll, one scan for both, reads every body as the two do. And the
// final read of a caller that keeps no body (RawBody::drop): every field but raw as the whole
// parse reads it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/json_util.hpp"
#include "protocol/status.hpp"
#include "support/status_reading.hpp"

namespace crewai::protocol {
namespace {

// What a poll reads, the long way: the peek's state for a run still going, else parse_status.
Result<RunResult> peek_then_parse(const std::string& body, RawBody raw) {
  if (auto going = peek_running_state(body)) {
    RunResult r;
    r.kickoff_id = "k";
    r.state = *going;
    return r;
  }
  return parse_status(body, "k", raw);
}

// read_poll, which scans the body once for both, reads every body as the long way does, and keeps
// the raw body exactly when asked to.
void expect_read_poll_reads_the_same(const std::string& body) {
  for (RawBody raw : {RawBody::keep, RawBody::drop}) {
    auto once = read_poll(body, "k", raw);
    auto twice = peek_then_parse(body, raw);
    EXPECT_EQ(test_support::reading(once), test_support::reading(twice)) << body.substr(0, 80);
    if (once && twice) {
      EXPECT_EQ(once->raw.is_null(), twice->raw.is_null()) << body.substr(0, 80);
    }
  }
}

// Asserts the properties the waits rely on, then returns what the peek said.
std::optional<RunState> peek(const std::string& body) {
  expect_read_poll_reads_the_same(body);
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

// Each body makes one or more of the members parse_status reads count, in the dialect and state
// where it is read: a member left out of the list RawBody::drop parses changes some reading here.
TEST(ParseStatusDroppingRaw, ReadsEveryFieldButRawAsTheWholeParse) {
  const std::string deep = R"({"state":"SUCCESS","x":)" + std::string(200, '[') + std::string(200, ']') + "}";
  for (const std::string& body : std::vector<std::string>{
           // Live: the events, last_event and triggered_by are not read; the rest is.
           R"({"events":[{"task":null,"type":"crew_kickoff_started"}],"events_by_type":{"a":1},)"
           R"("progress":{"completed":3,"current":null,"current_agent":"w","duration_seconds":0.0615,)"
           R"("remaining":0,"started_at":"2026-11-30T18:21:19.261Z","total":3,"unit":"task"},)"
           R"("result":"# x\n\nDone.","result_json":{"sections":["a","b"],"title":"x"},)"
           R"("state":"SUCCESS","status":null,"usage_metrics":{"total_tokens":9710},)"
           R"("last_executed_task":"reporting_task","flow_id":null,"last_step":{"state":"x"}})",
           R"({"state":"SUCCESS","result":"{\"a\": [1, 2.5, true, null]}"})",  // JSON text in result
           R"({"state":"SUCCESS","result_json":"{\"k\":\"v\"}","flow_id":"f-1"})",
           R"({"status":"completed","result":{"output":{"k":[1,2]}},"execution_time":4.5,)"
           R"("current_task":"write","progress":{"completed_tasks":1,"total_tasks":2}})",
           // Failures: the status message, else error / error_message, else the result.
           R"({"state":"FAILED","status":"the LLM refused","error":"ignored"})",
           R"({"state":"FAILURE","status":null,"error":{"message":"boom","code":7}})",
           R"({"status":"error","error_message":"it broke","result":"partial"})",
           R"({"state":"FAILED","result":"only the result"})",
           // Pauses: the task and its output, from the body or from last_executed_task.
           R"({"state":"PAUSED","pause_task_id":"t1","pause_task_output":"draft"})",
           R"({"state":"PAUSED","task_id":"t2","task_output":"d2"})",
           R"({"state":"PAUSED","taskId":"t3","taskOutput":"d3"})",
           R"({"state":"PAUSED","last_executed_task":{"id":"t4","output":"d4"},"result":"r4"})",
           R"({"state":"RUNNING","message":"working","status":null})",
           R"({"status":"running","message":"docs dialect"})",
           // A repeated key (the last wins), escapes and UTF-8 in values, a key spelled with an
           // escape and an exponent (both read whole), nested state words.
           R"({"state":"RUNNING","state":"SUCCESS","result":"a","result":"b \"q\" \u00e9"})",
           "{\"state\":\"SUCCESS\",\"result\":\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\"}",
           R"({"st\u0061te":"FAILED","state":"SUCCESS","result":"x"})",
           R"({"state":"SUCCESS","usage_metrics":{"cost":1.5e-3},"result":"x"})",
           R"({"events":[{"state":"FAILED"}],"state":"SUCCESS","result":"{\"state\":1}"})",
           // Refused alike: no state, an unknown one, not an object, not JSON, too deep.
           R"({"result":"x"})", R"({"state":"WEIRD"})", R"({"state":5})", R"([1])", "{", deep,
       }) {
    expect_read_poll_reads_the_same(body);
    auto whole = parse_status(body, "k");
    auto lean = parse_status(body, "k", RawBody::drop);
    EXPECT_EQ(test_support::reading(whole), test_support::reading(lean)) << body.substr(0, 80);
    if (whole && lean) {
      EXPECT_TRUE(whole->raw.is_object()) << body.substr(0, 80);
      EXPECT_TRUE(lean->raw.is_null()) << body.substr(0, 80);
    }
  }
}

// More top-level members than the scan keeps in place (status_peek.cpp, MemberList), the state
// last: every reading as with a few.
TEST(ParseStatusDroppingRaw, ABodyWithManyMembersReadsAsWithAFew) {
  std::string members;
  for (int i = 0; i < 40; ++i)
    members += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  for (const std::string state : {"SUCCESS", "RUNNING", "PAUSED"}) {
    const std::string body = "{" + members + R"("result":"r","usage_metrics":{"total_tokens":1},)" +
                             R"("pause_task_id":"t","state":")" + state + "\"}";
    expect_read_poll_reads_the_same(body);
    auto lean = parse_status(body, "k", RawBody::drop);
    ASSERT_TRUE(lean) << state;
    EXPECT_EQ(test_support::reading(parse_status(body, "k")), test_support::reading(lean)) << state;
    EXPECT_EQ(to_string(lean->state), state);
    EXPECT_EQ(lean->result.value_or(""), "r");
  }
}

// Only the members read are built: the events of a live body are not in the object it reads from.
TEST(ParseStatusDroppingRaw, BuildsOnlyTheMembersItReads) {
  const std::string_view wanted[] = {"state", "result"};
  auto members = object_members(
      R"({"events":[{"type":"task_started"}],"state":"SUCCESS","result":"x","progress":{}})",
      wanted);
  ASSERT_TRUE(members);
  EXPECT_EQ(*members, (Json{{"state", "SUCCESS"}, {"result", "x"}}));
  EXPECT_FALSE(
      object_members(R"({"state":"SUCCESS","n":1e3})", wanted));  // left to the whole parse
  EXPECT_FALSE(object_members("[]", wanted));
}

// Same value and same types, all the way down (nlohmann compares 1u and 1 as equal).
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type() || a != b) return false;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !same(it.value(), b.at(it.key()))) return false;
    }
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i])) return false;
    }
  }
  return a.dump() == b.dump();
}

// The members are built without nlohmann's parser where they read the same (status_peek.cpp,
// Builder), and go to it otherwise: either way each reads exactly as in the whole parse.
TEST(ParseStatusDroppingRaw, EachMemberReadsExactlyAsInTheWholeParse) {
  const std::string_view wanted[] = {"state", "progress"};
  const std::string values[] = {
      "0", "-0", "7", "-7", "123456789012345678", "-123456789012345678",
      "1234567890123456789", "-1234567890123456789", "9223372036854775807", "-9223372036854775808",
      "18446744073709551615", "18446744073709551616", "99999999999999999999999",
      "0.1", "-0.0", "1.5", "2.5000", "0.30000000000000004", "3.141592653589793238462643383279",
      "123456789012345678901234567890.5", "true", "false", "null", R"("plain")",
      "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", R"("a\nb")", R"("\u00e9")", R"("")", "{}", "[]",
      R"({"a":1,"a":2})", R"([1,"x",{"k":[null,true,-2.5]}])", R"({ "a" : [ 1 , 2 ] , "b" : { } })",
      R"({"k\u0041":1,"n":2})", R"({"completed":3,"current":null,"duration_seconds":0.0615})",
      R"([[[[]]],{"":""}])", R"("a\"b\\c\/d\b\f\n\r\tz")",
      R"("\u0000x\u007f\u0080\u07FF\u0800\uffff\u00e9")", R"({"\n":"\t","e\u0301":[]})"};
  for (const auto& v : values) {
    const std::string body = R"({"state":"SUCCESS","progress":)" + v + "}";
    auto whole = try_parse(body);
    ASSERT_TRUE(whole) << v;
    auto members = object_members(body, wanted);
    ASSERT_TRUE(members) << v;
    ASSERT_TRUE(members->contains("progress")) << v;
    EXPECT_TRUE(same(members->at("progress"), whole->at("progress")))
        << v << ": " << members->at("progress").dump() << " vs " << whole->at("progress").dump();
  }
}

}  // namespace
}  // namespace crewai::protocol

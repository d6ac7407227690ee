// Status bodies in every dialect, error bodies, request bodies, HTTP error mapping. Webhook
// payloads (HITL, flow requests, signatures) are in protocol_hitl_test.cpp, part of this binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "protocol/errors.hpp"
#include "protocol/json_util.hpp"
#include "protocol/requests.hpp"
#include "protocol/status.hpp"

namespace crewai::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

RunResult ok_status(const std::string& body) {
  auto r = parse_status(body, "k-1");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? *r : RunResult{};
}

Error bad_status(const std::string& body) {
  auto r = parse_status(body, "k-1");
  EXPECT_FALSE(r.has_value());
  return r ? Error{} : r.error();
}

constexpr const char* kAmpRunning = R"({
  "state": "RUNNING", "status": "Working on task 2", "result": null, "result_json": null,
  "usage_metrics": null, "last_event": null, "events": null, "events_count": null,
  "events_by_type": null, "triggered_by": null, "execution_origin": "api", "last_step": null,
  "last_executed_task": null, "flow_id": null, "source": "memory",
  "progress": {"unit": "task", "completed": 1, "total": 3, "remaining": 2, "current": "write",
               "current_agent": "Writer", "started_at": "2026-01-01T00:00:00Z",
               "updated_at": "2026-01-01T00:00:05Z", "duration_seconds": 5.5}})";

TEST(ParseState, EverySpellingCaseInsensitively) {
  EXPECT_EQ(parse_state("PENDING"), RunState::pending);
  EXPECT_EQ(parse_state("STARTED"), RunState::started);
  EXPECT_EQ(parse_state("RUNNING"), RunState::running);
  EXPECT_EQ(parse_state("PAUSED"), RunState::paused);
  EXPECT_EQ(parse_state("SUCCESS"), RunState::success);
  EXPECT_EQ(parse_state("FAILED"), RunState::failed);
  EXPECT_EQ(parse_state("FAILURE"), RunState::failed);
  EXPECT_EQ(parse_state("REVOKED"), RunState::revoked);
  EXPECT_EQ(parse_state("NOT FOUND"), RunState::not_found);
  EXPECT_EQ(parse_state("pending"), RunState::pending);
  EXPECT_EQ(parse_state("running"), RunState::running);
  EXPECT_EQ(parse_state("completed"), RunState::success);
  EXPECT_EQ(parse_state("error"), RunState::failed);
  EXPECT_EQ(parse_state("Success"), RunState::success);
  EXPECT_EQ(parse_state("paused"), RunState::paused);
  EXPECT_EQ(parse_state("DONE"), std::nullopt);
  EXPECT_EQ(parse_state(""), std::nullopt);
}

TEST(RunStateNames, TerminalAndStopsPolling) {
  EXPECT_EQ(to_string(RunState::not_found), "NOT FOUND");
  EXPECT_EQ(to_string(RunState::success), "SUCCESS");
  for (auto s : {RunState::success, RunState::failed, RunState::revoked, RunState::not_found}) {
    EXPECT_TRUE(is_terminal(s));
    EXPECT_TRUE(stops_polling(s));
  }
  for (auto s : {RunState::pending, RunState::started, RunState::running}) {
    EXPECT_FALSE(is_terminal(s));
    EXPECT_FALSE(stops_polling(s));
  }
  EXPECT_FALSE(is_terminal(RunState::paused));
  EXPECT_TRUE(stops_polling(RunState::paused));
}

TEST(ParseStatus, AmpRunningWithProgress) {
  RunResult r = ok_status(kAmpRunning);
  EXPECT_EQ(r.kickoff_id, "k-1");
  EXPECT_EQ(r.state, RunState::running);
  EXPECT_EQ(r.raw_state, "RUNNING");
  EXPECT_EQ(r.message, "Working on task 2");
  EXPECT_FALSE(r.result);
  EXPECT_TRUE(r.result_json.is_null());
  ASSERT_TRUE(r.progress);
  EXPECT_EQ(r.progress->unit, "task");
  EXPECT_EQ(r.progress->completed, 1);
  EXPECT_EQ(r.progress->total, 3);
  EXPECT_EQ(r.progress->remaining, 2);
  EXPECT_EQ(r.progress->current, "write");
  EXPECT_EQ(r.progress->current_agent, "Writer");
  EXPECT_EQ(r.progress->updated_at, "2026-01-01T00:00:05Z");
  EXPECT_DOUBLE_EQ(*r.progress->duration_seconds, 5.5);
  EXPECT_EQ(r.raw["execution_origin"], "api");
}

TEST(ParseStatus, SuccessWithResultJson) {
  RunResult r = ok_status(
      R"({"state":"SUCCESS","status":"done","result":"{\"a\":1}","result_json":{"a":1},
          "usage_metrics":{"total_tokens":42},"progress":null,"last_executed_task":"Write the report"})");
  EXPECT_TRUE(r.is_success());
  EXPECT_EQ(r.result, "{\"a\":1}");
  EXPECT_EQ(r.result_json, Json({{"a", 1}}));
  EXPECT_EQ(r.usage_metrics["total_tokens"], 42);
  EXPECT_FALSE(r.progress);
  EXPECT_EQ(r.last_executed_task, "Write the report");
}

TEST(ParseStatus, ResultJsonTextIsDecoded) {
  RunResult r = ok_status(R"({"state":"SUCCESS","status":null,"result":"[1,2,3]","result_json":null})");
  EXPECT_EQ(r.result_json, Json::array({1, 2, 3}));
  RunResult plain = ok_status(R"({"state":"SUCCESS","result":"The answer is 42"})");
  EXPECT_EQ(plain.result, "The answer is 42");
  EXPECT_TRUE(plain.result_json.is_null());
  RunResult scalar = ok_status(R"({"state":"SUCCESS","result":"42"})");
  EXPECT_TRUE(scalar.result_json.is_null());
  // JSON text after whitespace is still JSON text; Markdown that holds JSON is not (json() finds it).
  RunResult spaced = ok_status(R"({"state":"SUCCESS","result":" \n\t{\"k\": [1]}\r\n"})");
  EXPECT_EQ(spaced.result_json, Json({{"k", Json::array({1})}}));
  RunResult twice = ok_status(R"({"state":"SUCCESS","result":"  \"\\n[true]\""})");
  EXPECT_EQ(twice.result_json, Json::array({true}));
  RunResult markdown = ok_status(R"({"state":"SUCCESS","result":"# Title\n```json\n{\"k\":1}\n```"})");
  EXPECT_TRUE(markdown.result_json.is_null());
}

TEST(ParseStatus, FlowResultIsAJsonStringNeedingASecondDecode) {
  Json inner = {{"title", "x"}, {"score", 7}};
  Json once = inner.dump();       // what a flow returns as its result
  Json body = {{"state", "SUCCESS"}, {"result", once.dump()}};  // and the service encodes it again
  RunResult r = ok_status(body.dump());
  EXPECT_EQ(r.result_json, inner);
}

TEST(ParseStatus, LastExecutedTaskAsObject) {
  RunResult r = ok_status(
      R"({"state":"RUNNING","status":"","last_executed_task":{"id":"t1","name":"research","output":"notes"}})");
  EXPECT_EQ(r.last_executed_task["name"], "research");
  EXPECT_FALSE(r.pause_task_id);  // only read for a pause
}

TEST(ParseStatus, ProgressWithWrongTypesIsIgnoredNotThrown) {
  RunResult r = ok_status(
      R"({"state":"RUNNING","progress":{"unit":7,"completed":"x","total":[1],"remaining":null,
          "current":{"a":1},"duration_seconds":"long"},"usage_metrics":null})");
  ASSERT_TRUE(r.progress);
  EXPECT_EQ(r.progress->unit, "");
  EXPECT_FALSE(r.progress->completed);
  EXPECT_FALSE(r.progress->total);
  EXPECT_FALSE(r.progress->current);
  EXPECT_FALSE(r.progress->duration_seconds);
  RunResult s = ok_status(R"({"state":"RUNNING","progress":"half","flow_id":12,"result":5})");
  EXPECT_FALSE(s.progress);
  EXPECT_FALSE(s.flow_id);
  EXPECT_EQ(s.result, "5");
}

TEST(ParseStatus, DocsDialectLowerCaseStatus) {
  RunResult r = ok_status(
      R"({"status":"running","progress":{"completed_tasks":2,"total_tasks":5},"current_task":"Analyse",
          "execution_time":12.5})");
  EXPECT_EQ(r.state, RunState::running);
  EXPECT_EQ(r.raw_state, "running");
  ASSERT_TRUE(r.progress);
  EXPECT_EQ(r.progress->unit, "task");
  EXPECT_EQ(r.progress->completed, 2);
  EXPECT_EQ(r.progress->total, 5);
  EXPECT_EQ(r.progress->current, "Analyse");
  EXPECT_DOUBLE_EQ(*r.progress->duration_seconds, 12.5);
  EXPECT_EQ(ok_status(R"({"status":"pending"})").state, RunState::pending);
}

TEST(ParseStatus, SeedShapeCompletedWithResultOutput) {
  RunResult r = ok_status(
      R"({"status":"completed","result":{"output":"{\"k\":true}","tasks":[{"task_id":"a","output":"x"}]},
          "error_message":null,"progress":{"completed_tasks":3,"total_tasks":3},"current_task":null,
          "execution_time":30})");
  EXPECT_TRUE(r.is_success());
  EXPECT_EQ(r.result, "{\"k\":true}");
  EXPECT_EQ(r.result_json, Json({{"k", true}}));
  EXPECT_EQ(r.message, "");
  RunResult text = ok_status(R"({"status":"completed","result":{"output":"plain words"}})");
  EXPECT_EQ(text.result, "plain words");
  EXPECT_TRUE(text.result_json.is_null());
}

TEST(ParseStatus, DocsDialectErrorMessage) {
  RunResult r = ok_status(R"({"status":"error","error_message":"LLM quota exceeded","result":null})");
  EXPECT_EQ(r.state, RunState::failed);
  EXPECT_EQ(r.message, "LLM quota exceeded");
  RunResult e = ok_status(R"({"status":"error","error":"boom"})");
  EXPECT_EQ(e.message, "boom");
  RunResult obj = ok_status(R"({"status":"error","error":{"message":"nested boom"}})");
  EXPECT_EQ(obj.message, "nested boom");
}

TEST(ParseStatus, FailedMessageFromStatusElseErrorElseResult) {
  EXPECT_EQ(ok_status(R"({"state":"FAILED","status":"Tool crashed","error":"x"})").message, "Tool crashed");
  EXPECT_EQ(ok_status(R"({"state":"FAILED","status":null,"error":"x"})").message, "x");
  EXPECT_EQ(ok_status(R"({"state":"FAILED","status":"","error_message":"y"})").message, "y");
  EXPECT_EQ(ok_status(R"({"state":"FAILED","status":null,"result":"Traceback ..."})").message, "Traceback ...");
}

TEST(ParseStatus, CeleryFailureRevokedNotFound) {
  RunResult f = ok_status(R"({"state":"FAILURE","status":"ValueError: bad","result":null})");
  EXPECT_EQ(f.state, RunState::failed);
  EXPECT_EQ(f.raw_state, "FAILURE");
  EXPECT_EQ(f.message, "ValueError: bad");
  EXPECT_EQ(ok_status(R"({"state":"REVOKED","status":"cancelled"})").state, RunState::revoked);
  RunResult nf = ok_status(R"({"state":"NOT FOUND","status":null,"result":null})");
  EXPECT_EQ(nf.state, RunState::not_found);
  EXPECT_TRUE(nf.is_terminal());
}

TEST(ParseStatus, PausedWithTaskInfo) {
  RunResult r = ok_status(
      R"({"state":"PAUSED","status":"Waiting for human input",
          "last_executed_task":{"id":"task-7","name":"draft","output":"Draft v1"},"flow_id":null})");
  EXPECT_TRUE(r.is_paused());
  EXPECT_EQ(r.pause_task_id, "task-7");
  EXPECT_EQ(r.pause_task_output, "Draft v1");
  RunResult top = ok_status(R"({"state":"PAUSED","task_id":"t-9","task_output":"out","last_executed_task":"draft"})");
  EXPECT_EQ(top.pause_task_id, "t-9");
  EXPECT_EQ(top.pause_task_output, "out");
  RunResult named = ok_status(R"({"state":"PAUSED","last_executed_task":{"name":"review"}})");
  EXPECT_EQ(named.pause_task_id, "review");
  EXPECT_FALSE(named.pause_task_output);
  RunResult flow = ok_status(R"({"state":"PAUSED","flow_id":"flow-1"})");
  EXPECT_EQ(flow.flow_id, "flow-1");
  EXPECT_FALSE(flow.pause_task_id);
}

TEST(ParseStatus, UnknownStateIsAProtocolErrorNamingIt) {
  Error e = bad_status(R"({"state":"EXPLODED","status":null})");
  EXPECT_EQ(e.code, ErrorCode::protocol);
  EXPECT_THAT(e.message, HasSubstr("EXPLODED"));
  EXPECT_EQ(e.kickoff_id, "k-1");
  Error lower = bad_status(R"({"status":"thinking"})");
  EXPECT_THAT(lower.message, HasSubstr("thinking"));
  Error typed = bad_status(R"({"state":7})");
  EXPECT_THAT(typed.message, HasSubstr("7"));
  Error missing = bad_status(R"({"result":"x"})");
  EXPECT_EQ(missing.code, ErrorCode::protocol);
  EXPECT_THAT(missing.message, HasSubstr("no state"));
}

TEST(ParseStatus, NonJsonTruncatedAndArrayBodies) {
  Error html = bad_status("<html><body>502 Bad Gateway</body></html>");
  EXPECT_EQ(html.code, ErrorCode::protocol);
  EXPECT_THAT(html.message, HasSubstr("502 Bad Gateway"));
  Error cut = bad_status(R"({"state":"RUNNING","status":"wor)");
  EXPECT_EQ(cut.code, ErrorCode::protocol);
  Error arr = bad_status(R"([{"state":"RUNNING"}])");
  EXPECT_THAT(arr.message, HasSubstr("not a JSON object"));
  EXPECT_EQ(bad_status("").code, ErrorCode::protocol);
  Error big = bad_status(std::string(5000, 'x'));
  EXPECT_LT(big.message.size(), 300u);
}

TEST(ParseStatus, OverflowingNumbersAndDeepNestingAreProtocolErrorsNotCrashes) {
  Error huge = bad_status(R"({"state":"SUCCESS","result":1e400})");
  EXPECT_EQ(huge.code, ErrorCode::protocol);
  const std::string deep = R"({"state":"SUCCESS","result_json":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  EXPECT_EQ(bad_status(deep).code, ErrorCode::protocol);
  EXPECT_EQ(parse_json(std::string(200, '[')).error(), "nested deeper than 128 levels");
  EXPECT_TRUE(parse_json(std::string(128, '[') + std::string(128, ']')).has_value());
  EXPECT_EQ(parse_json("[1e400]").error(), "number overflow parsing '1e400'");
}

TEST(ParseStatus, ErrorMessagesStayValidUtf8) {
  Error e = bad_status("\xff\xfe\xc3 not json \xe2\x82");
  EXPECT_NO_THROW((void)Json(e.message).dump());
  EXPECT_THAT(e.message, HasSubstr("not json"));
  Error body = error_from_http(CallKind::status, 500, "caf\xc3\xa9 \xc0\x80 down");
  EXPECT_NO_THROW((void)Json(body.message).dump());
  EXPECT_THAT(body.message, HasSubstr("caf\xc3\xa9"));
}

TEST(ErrorBody, EveryDialect) {
  auto documented = parse_error_body(
      R"({"error":"Missing inputs","message":"topic is required","details":{"missing_inputs":["topic","year"]}})");
  EXPECT_EQ(documented.message, "Missing inputs: topic is required");
  EXPECT_THAT(documented.missing_inputs, ElementsAre("topic", "year"));
  EXPECT_EQ(parse_error_body(R"({"detail":"Not authenticated"})").message, "Not authenticated");
  EXPECT_EQ(parse_error_body(R"({"message":"only a message"})").message, "only a message");
  EXPECT_EQ(parse_error_body(R"({"error":"only a title"})").message, "only a title");
  EXPECT_EQ(parse_error_body("  upstream connect error  \n").message, "upstream connect error");
  EXPECT_EQ(parse_error_body("").message, "");
  EXPECT_EQ(parse_error_body(R"("quoted")").message, "quoted");
  EXPECT_EQ(parse_error_body(R"({"unexpected":1})").message, R"({"unexpected":1})");
  EXPECT_LE(parse_error_body(std::string(4000, 'e')).message.size(), 503u);
}

TEST(ErrorBody, FastApiValidationList) {
  auto m = parse_error_body(R"({"detail":[
      {"loc":["body","inputs","topic"],"msg":"field required","type":"value_error.missing"},
      {"loc":["body","inputs","year"],"msg":"Field required","type":"missing"},
      {"loc":["body","meta"],"msg":"value is not a valid dict","type":"type_error.dict"}]})");
  EXPECT_THAT(m.missing_inputs, ElementsAre("topic", "year"));
  EXPECT_THAT(m.message, HasSubstr("body.inputs.topic: field required"));
  EXPECT_THAT(m.message, HasSubstr("body.meta: value is not a valid dict"));
  auto whole = parse_error_body(R"({"detail":[{"loc":["body","inputs"],"msg":"field required","type":"missing"}]})");
  EXPECT_TRUE(whole.missing_inputs.empty());
  EXPECT_THAT(whole.message, HasSubstr("body.inputs"));
}

TEST(ErrorFromHttp, MissingInputs422) {
  Error e = error_from_http(CallKind::kickoff, 422,
                            R"({"error":"Unprocessable","message":"","details":{"missing_inputs":["topic"]}})");
  EXPECT_EQ(e.code, ErrorCode::invalid_input);
  EXPECT_EQ(e.http_status, 422);
  EXPECT_THAT(e.missing_inputs, ElementsAre("topic"));
  EXPECT_FALSE(e.retry_safe);
  Error bare = error_from_http(CallKind::kickoff, 422, R"({"details":{"missing_inputs":["a","b"]}})");
  EXPECT_EQ(bare.message, "missing inputs: a b");
}

TEST(ErrorFromHttp, MessageFallsBackToReasonPhrase) {
  Error e = error_from_http(CallKind::status, 503, "", "k-9");
  EXPECT_EQ(e.message, "Service Unavailable");
  EXPECT_EQ(e.kickoff_id, "k-9");
  EXPECT_EQ(e.to_string(), "unavailable (HTTP 503): Service Unavailable [kickoff_id=k-9]");
  EXPECT_EQ(error_from_http(CallKind::status, 404, R"({"detail":"Execution not found"})").message,
            "Execution not found");
  EXPECT_EQ(error_from_http(CallKind::status, 599, "").message, "HTTP 599");
}

TEST(ErrorToString, OmitsAbsentParts) {
  Error e;
  e.code = ErrorCode::deadline_exceeded;
  EXPECT_EQ(e.to_string(), "deadline_exceeded");
  e.message = "waited 10s";
  EXPECT_EQ(e.to_string(), "deadline_exceeded: waited 10s");
  e.kickoff_id = "abc";
  EXPECT_EQ(e.to_string(), "deadline_exceeded: waited 10s [kickoff_id=abc]");
  e.http_status = 401;
  e.code = ErrorCode::unauthenticated;
  e.message.clear();
  EXPECT_EQ(e.to_string(), "unauthenticated (HTTP 401) [kickoff_id=abc]");
  EXPECT_EQ(to_string(ErrorCode::schema_violation), "schema_violation");
  EXPECT_EQ(to_string(ErrorCode::invalid_input), "invalid_input");
}

TEST(ErrorToString, CarriesNoRequestMaterial) {
  Error e = error_from_http(CallKind::kickoff, 401, R"({"detail":"Invalid token"})", "k");
  std::string s = e.to_string();
  EXPECT_EQ(s, "unauthenticated (HTTP 401): Invalid token [kickoff_id=k]");
  EXPECT_THAT(s, Not(HasSubstr("Bearer")));
  EXPECT_THAT(s, Not(HasSubstr("Authorization")));
}

TEST(KickoffBody, FieldsTopLevelAndInputsAsText) {
  KickoffRequest r;
  r.inputs = {{"topic", "AI"}, {"year", 2026}, {"flags", {{"deep", true}}}, {"list", {1, 2}}, {"none", nullptr}};
  r.meta = {{"requestId", "b-1"}};
  r.task_webhook_url = "https://hooks/task";
  r.crew_webhook_url = "https://hooks/crew";
  r.restore_from_state_id = "state-1";
  Json j = kickoff_body(r);
  EXPECT_EQ(j["inputs"]["topic"], "AI");
  EXPECT_EQ(j["inputs"]["year"], "2026");
  EXPECT_EQ(j["inputs"]["flags"], R"({"deep":true})");
  EXPECT_EQ(j["inputs"]["list"], "[1,2]");
  EXPECT_EQ(j["inputs"]["none"], "null");
  EXPECT_EQ(j["meta"]["requestId"], "b-1");
  EXPECT_EQ(j["taskWebhookUrl"], "https://hooks/task");
  EXPECT_EQ(j["crewWebhookUrl"], "https://hooks/crew");
  EXPECT_FALSE(j.contains("stepWebhookUrl"));
  EXPECT_EQ(j["restoreFromStateId"], "state-1");
  EXPECT_FALSE(j["inputs"].contains("meta"));
  EXPECT_FALSE(j.contains("humanInputWebhook"));
  EXPECT_FALSE(j.contains("webhooks"));
}

TEST(KickoffBody, MinimalHasOnlyInputs) {
  KickoffRequest r;
  EXPECT_EQ(kickoff_body(r), Json({{"inputs", Json::object()}}));
}

TEST(KickoffBody, WebhookAuthShapes) {
  KickoffRequest r;
  r.human_input_webhook = HumanInputWebhook{"https://me/hitl", HumanInputWebhook::Auth::bearer, "tok", "", ""};
  EXPECT_EQ(kickoff_body(r)["humanInputWebhook"],
            Json::parse(R"({"url":"https://me/hitl","authentication":{"strategy":"bearer","token":"tok"}})"));
  r.human_input_webhook = HumanInputWebhook{"https://me/hitl", HumanInputWebhook::Auth::basic, "", "u", "p"};
  EXPECT_EQ(kickoff_body(r)["humanInputWebhook"],
            Json::parse(R"({"url":"https://me/hitl","authentication":{"strategy":"basic","username":"u","password":"p"}})"));
  r.human_input_webhook = HumanInputWebhook{"https://me/hitl", HumanInputWebhook::Auth::none, "", "", ""};
  EXPECT_EQ(kickoff_body(r)["humanInputWebhook"], Json::parse(R"({"url":"https://me/hitl"})"));
  StreamingWebhooks w;
  w.events = {"task_completed", "crew_kickoff_completed"};
  w.url = "https://me/events";
  w.realtime = true;
  w.bearer_token = "s3";
  r.webhooks = w;
  EXPECT_EQ(kickoff_body(r)["webhooks"], Json::parse(R"({"events":["task_completed","crew_kickoff_completed"],
      "url":"https://me/events","realtime":true,"authentication":{"strategy":"bearer","token":"s3"}})"));
  r.webhooks->bearer_token.clear();
  EXPECT_FALSE(kickoff_body(r)["webhooks"].contains("authentication"));
}

TEST(ResumeBody, FieldsAndWebhooksResent) {
  ResumeRequest r;
  r.execution_id = "k-1";
  r.task_id = "t-1";
  r.human_feedback = "Looks good";
  r.is_approve = false;
  r.step_webhook_url = "https://hooks/step";
  Json j = resume_body(r);
  EXPECT_EQ(j, Json::parse(R"({"execution_id":"k-1","task_id":"t-1","human_feedback":"Looks good",
                               "is_approve":false,"executionId":"k-1","taskId":"t-1",
                               "humanFeedback":"Looks good","isApprove":false,
                               "stepWebhookUrl":"https://hooks/step"})"));
}

// The kickoff answer is read from its one member without a DOM where the strict scan accepts the
// body, and parsed whole otherwise: either way as the whole parse reads it.
TEST(Responses, KickoffAnswerInEveryShape) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"kickoff_id":"abc-123"})", "abc-123"},
      {" {\"kickoff_id\" : \"k-3\"}\n", "k-3"},
      {R"({"status":"queued","kickoff_id":"k-1","extra":[1,2.5,{"x":null}],"ok":true})", "k-1"},
      {R"({"kickoff_id":"a\"b\u00e9"})", "a\"b\xc3\xa9"},
      {R"({"kickoff_id":"first","kickoff_id":"last"})", "last"},
      {R"({"kickoff\u005fid":"k-2"})", "k-2"},     // an escaped key: parsed whole
      {R"({"kickoff_id":"k-4","n":1e3})", "k-4"},  // an exponent: parsed whole
      {R"({"kickoff_id":7})", "error: kickoff answer has no kickoff_id"},
      {R"({"kickoff_id":null})", "error: kickoff answer has no kickoff_id"},
      {R"({"kickoff_id":""})", "error: kickoff answer has no kickoff_id"},
      {R"(["k"])", "error: kickoff answer is not a JSON object"},
      {R"({"kickoff_id":"k")", "error: kickoff answer is not JSON"},
      {"Healthy", "error: kickoff answer is not JSON"},
  };
  for (const auto& [body, want] : cases) {
    auto id = parse_kickoff_response(body);
    if (want.rfind("error: ", 0) == 0) {
      ASSERT_FALSE(id) << body;
      EXPECT_EQ(id.error().code, ErrorCode::protocol) << body;
      EXPECT_THAT(id.error().message, HasSubstr(want.substr(7))) << body;
    } else {
      ASSERT_TRUE(id) << body << ": " << id.error().message;
      EXPECT_EQ(*id, want) << body;
    }
  }
}

TEST(Responses, KickoffInputsResume) {
  EXPECT_EQ(parse_kickoff_response(R"({"kickoff_id":"abc-123"})").value(), "abc-123");
  auto no_id = parse_kickoff_response(R"({"id":"abc"})");
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().code, ErrorCode::protocol);
  EXPECT_THAT(no_id.error().message, HasSubstr(R"({"id":"abc"})"));
  EXPECT_FALSE(parse_kickoff_response(R"({"kickoff_id":""})"));
  EXPECT_FALSE(parse_kickoff_response("Healthy"));
  EXPECT_THAT(parse_inputs_response(R"({"inputs":["topic","current_year"]})").value(),
              ElementsAre("topic", "current_year"));
  EXPECT_TRUE(parse_inputs_response(R"({"inputs":[]})").value().empty());
  EXPECT_FALSE(parse_inputs_response(R"({"inputs":"topic"})"));
  EXPECT_FALSE(parse_inputs_response(R"({"inputs":[1]})"));
  auto resumed = parse_resume_response(R"({"status":"resumed","message":"Execution resumed"})");
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, "resumed");
  EXPECT_EQ(resumed->message, "Execution resumed");
  EXPECT_FALSE(parse_resume_response("[1]"));
}

TEST(MissingInputs, NamesNotInTheObject) {
  EXPECT_THAT(missing_inputs({"topic", "year", "lang"}, Json{{"year", 1}}), ElementsAre("topic", "lang"));
  EXPECT_TRUE(missing_inputs({"topic"}, Json{{"topic", ""}}).empty());
  EXPECT_THAT(missing_inputs({"topic"}, Json()), ElementsAre("topic"));
}

}  // namespace
}  // namespace crewai::protocol

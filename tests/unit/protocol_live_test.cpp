// The live service's answers (AMP-API.md, "Live behaviour that differs from the docs"): error
// bodies, the /resume request and answer shapes, the /stop refusal, and a missing route.
// Part of protocol_test. Table-driven: each row is one body as the service sent it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/errors.hpp"
#include "protocol/requests.hpp"

namespace crewai::protocol {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct ErrorRow {
  const char* name;
  CallKind call;
  int status;
  std::string body;
  ErrorCode code;
  std::string message_has;
  std::vector<std::string> missing;
};

TEST(LiveErrors, EveryLiveErrorBodyReads) {
  const std::vector<ErrorRow> rows = {
      {"422 missing inputs as a detail string", CallKind::kickoff, 422,
       R"({"detail": "Missing inputs: audience, topic"})", ErrorCode::invalid_input,
       "Missing inputs: audience, topic", {"audience", "topic"}},
      {"docs' details.missing_inputs still read", CallKind::kickoff, 422,
       R"({"error": "Missing inputs", "message": "x", "details": {"missing_inputs": ["a"]}})",
       ErrorCode::invalid_input, "x", {"a"}},
      {"401 wrong token", CallKind::status, 401,
       R"({"detail": "Invalid or missing authentication credentials"})",
       ErrorCode::unauthenticated, "Invalid or missing authentication credentials", {}},
      {"401 no header", CallKind::inputs, 401, R"({"detail": "Not authenticated"})",
       ErrorCode::unauthenticated, "Not authenticated", {}},
      {"500 plain text on a GET", CallKind::status, 500, "Internal Server Error",
       ErrorCode::unavailable, "Internal Server Error", {}},
      {"500 plain text on a kickoff", CallKind::kickoff, 500, "Internal Server Error",
       ErrorCode::ambiguous, "Internal Server Error", {}},
      {"422 on /resume names fields, not inputs", CallKind::resume, 422,
       R"({"detail": [{"type": "missing", "loc": ["body", "executionId"], "msg": "Field required"},
                      {"type": "missing", "loc": ["body", "taskId"], "msg": "Field required"}]})",
       ErrorCode::invalid_argument, "resume refused: the deployment requires the fields executionId, taskId",
       {}},
      {"400 on /stop of a finished run", CallKind::cancel, 400,
       R"({"detail": "Cannot stop execution. Current state: SUCCESS"})",
       ErrorCode::failed_precondition, "Current state: SUCCESS", {}},
      {"405 on /stop", CallKind::cancel, 405, R"({"detail": "Method Not Allowed"})",
       ErrorCode::unimplemented, "Method Not Allowed", {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Error e = error_from_http(row.call, row.status, row.body, "k-1");
    EXPECT_EQ(e.code, row.code) << to_string(e.code);
    EXPECT_THAT(e.message, HasSubstr(row.message_has));
    EXPECT_THAT(e.missing_inputs, ElementsAreArray(row.missing));
    EXPECT_THAT(e.message, ::testing::Not(HasSubstr("missing inputs: executionId")));
  }
}

TEST(LiveErrors, MissingRouteIsFastApisExactNotFound) {
  struct Row { int status; const char* body; bool missing; };
  const std::vector<Row> rows = {
      {404, R"({"detail": "Not Found"})", true},
      {404, R"({"detail":"Not Found"} )", true},
      {405, R"({"detail": "Method Not Allowed"})", true},
      {404, R"({"detail": "Kickoff abc not found"})", false},
      {404, R"({"error": "Not Found", "message": "No route"})", false},
      {404, "Not Found", false},
      {400, R"({"detail": "Not Found"})", false},
  };
  for (const auto& r : rows) EXPECT_EQ(is_missing_route(r.status, r.body), r.missing) << r.body;
}

TEST(LiveStop, StateNamedInARefusal) {
  struct Row { const char* text; std::optional<RunState> state; const char* raw; };
  const std::vector<Row> rows = {
      {"Cannot stop execution. Current state: SUCCESS", RunState::success, "SUCCESS"},
      {"Cannot stop execution. Current state: FAILED.", RunState::failed, "FAILED"},
      {"current state: 'REVOKED'", RunState::revoked, "REVOKED"},
      {"Cannot stop execution", std::nullopt, ""},
      {"state: banana", std::nullopt, ""},
  };
  for (const auto& r : rows) {
    auto got = state_named_in(r.text);
    ASSERT_EQ(got.has_value(), r.state.has_value()) << r.text;
    if (got) {
      EXPECT_EQ(got->first, *r.state) << r.text;
      EXPECT_EQ(got->second, r.raw);
    }
  }
  auto ok = parse_stop_response(R"({"status": "stopped", "kickoffId": "k"})", "k");
  EXPECT_TRUE(ok.stopped);
  EXPECT_EQ(ok.message, "stopped");
  EXPECT_EQ(parse_stop_response("", "k").message, "stopped");
}

TEST(LiveResume, BodyCarriesBothSpellingsAndEveryWebhook) {
  ResumeRequest r;
  r.execution_id = "k-1";
  r.task_id = "3f1c-uuid";
  r.human_feedback = "ok";
  r.is_approve = true;
  r.task_webhook_url = "https://h/task";
  r.crew_webhook_url = "https://h/crew";
  HumanInputWebhook h;
  h.url = "https://h/hitl";
  h.auth = HumanInputWebhook::Auth::bearer;
  h.token = "tok";
  r.human_input_webhook = h;
  StreamingWebhooks w;
  w.url = "https://h/events";
  w.events = {"task_completed"};
  r.webhooks = w;
  Json j = resume_body(r);
  for (auto [snake, camel] : {std::pair{"execution_id", "executionId"}, {"task_id", "taskId"},
                              {"human_feedback", "humanFeedback"}, {"is_approve", "isApprove"}}) {
    EXPECT_TRUE(j.contains(snake)) << snake;
    EXPECT_EQ(j[snake], j[camel]) << camel;
  }
  EXPECT_EQ(j["taskWebhookUrl"], "https://h/task");
  EXPECT_EQ(j["crewWebhookUrl"], "https://h/crew");
  EXPECT_FALSE(j.contains("stepWebhookUrl"));
  EXPECT_EQ(j["humanInputWebhookUrl"], "https://h/hitl");
  EXPECT_EQ(j["humanInputWebhook"]["authentication"]["strategy"], "bearer");
  EXPECT_EQ(j["webhooks"]["url"], "https://h/events");
}

TEST(LiveResume, KickoffSendsTheHumanInputWebhookInBothForms) {
  KickoffRequest r;
  HumanInputWebhook h;
  h.url = "https://h/hitl";
  r.human_input_webhook = h;
  Json j = kickoff_body(r);
  EXPECT_EQ(j["humanInputWebhookUrl"], "https://h/hitl");
  EXPECT_EQ(j["humanInputWebhook"]["url"], "https://h/hitl");
}

TEST(LiveResume, AnswerInEitherShape) {
  struct Row { const char* body; const char* status; const char* kickoff_id; };
  const std::vector<Row> rows = {
      {R"({"kickoff_id": "new-1"})", "", "new-1"},
      {R"({"kickoffId": "new-2"})", "", "new-2"},
      {R"({"status": "resumed", "message": "Execution resumed"})", "resumed", ""},
      {"", "", ""},
  };
  for (const auto& r : rows) {
    auto got = parse_resume_response(r.body);
    ASSERT_TRUE(got) << r.body;
    EXPECT_EQ(got->status, r.status);
    EXPECT_EQ(got->kickoff_id, r.kickoff_id);
  }
}

}  // namespace
}  // namespace crewai::protocol

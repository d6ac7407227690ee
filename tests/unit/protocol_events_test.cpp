// The bodies a deployment POSTs, as the live service sent them (crewai/webhooks.hpp): human-input,
// task, crew and streaming payloads, and streamed events deduped and put in order. Part of
// protocol_test; table-driven.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crewai/webhooks.hpp"

namespace crewai {
namespace {

using ::testing::ElementsAre;

TEST(LiveWebhooks, HumanInputPayloads) {
  struct Row { const char* body; const char* kickoff; const char* execution; const char* task; };
  const std::vector<Row> rows = {
      {R"({"kickoff_id": "k", "execution_id": "e", "task_id": "5b0c-uuid", "task_output": "draft",
           "meta": {"requestId": "r1"}})", "k", "e", "5b0c-uuid"},
      {R"({"kickoff_id": "k", "task_id": "t"})", "k", "k", "t"},
      {R"({"executionId": "e", "taskId": "t"})", "e", "e", "t"},
  };
  for (const auto& r : rows) {
    auto h = read_human_input(r.body);
    ASSERT_TRUE(h) << r.body;
    EXPECT_EQ(h->kickoff_id, r.kickoff) << r.body;
    EXPECT_EQ(h->execution_id, r.execution) << r.body;
    EXPECT_EQ(h->task_id, r.task) << r.body;
  }
  auto full = read_human_input(rows[0].body);
  EXPECT_EQ(full->task_output, "draft");
  EXPECT_EQ(full->meta["requestId"], "r1");
  for (const char* bad : {R"({"kickoff_id": "k"})", "not json", "[]"}) {
    auto h = read_human_input(bad);
    ASSERT_FALSE(h) << bad;
    EXPECT_EQ(h.error().code, ErrorCode::protocol);
  }
}

TEST(LiveWebhooks, TaskAndCrewPayloads) {
  auto t = read_task_webhook(R"({"name": "draft_task", "description": "Draft", "expected_output":
      "A post", "agent": "Writer", "output": "text", "output_json": {"a": 1}, "summary": "s",
      "kickoff_id": "k", "meta": {"m": 1}})");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->kickoff_id, "k");
  EXPECT_EQ(t->name, "draft_task");
  EXPECT_EQ(t->agent, "Writer");
  EXPECT_EQ(t->output, "text");
  EXPECT_EQ(t->output_json["a"], 1);
  EXPECT_EQ(t->meta["m"], 1);
  EXPECT_FALSE(read_task_webhook(R"({"name": "x"})"));

  struct Row { const char* body; std::optional<std::string> result; Json result_json; };
  const std::vector<Row> rows = {
      {R"({"kickoff_id": "k", "result": "done", "result_json": {"x": 1},
           "token_usage": {"total_tokens": 3}, "meta": null})", "done", Json{{"x", 1}}},
      {R"({"kickoff_id": "k", "result": "{\"x\": 2}", "result_json": "{\"x\": 2}"})", "{\"x\": 2}",
       Json{{"x", 2}}},
      {R"({"kickoff_id": "k", "result": null, "result_json": null})", std::nullopt, Json()},
  };
  for (const auto& r : rows) {
    auto c = read_crew_webhook(r.body);
    ASSERT_TRUE(c) << r.body;
    EXPECT_EQ(c->kickoff_id, "k");
    EXPECT_EQ(c->result, r.result) << r.body;
    EXPECT_EQ(c->result_json, r.result_json) << r.body;
  }
  EXPECT_EQ(read_crew_webhook(rows[0].body)->token_usage["total_tokens"], 3);
}

std::vector<std::string> ids(const std::vector<StreamEvent>& log) {
  std::vector<std::string> out;
  for (const auto& e : log) out.push_back(e.execution_id + "/" + e.id);
  return out;
}

TEST(LiveWebhooks, StreamedEventsDedupedAndOrdered) {
  // Two batched deliveries, out of order, one event delivered twice, one repeated id in another run.
  const char* first = R"({"events": [
    {"id": "3", "execution_id": "k", "timestamp": "2026-10-01T12:00:02Z", "type": "task_completed",
     "data": {"emission_sequence": 3}},
    {"id": "1", "execution_id": "k", "timestamp": "2026-10-01T12:00:00.500Z", "type": "crew_kickoff_started",
     "data": {"emission_sequence": 1}}]})";
  const char* second = R"({"events": [
    {"id": "3", "execution_id": "k", "timestamp": "2026-10-01T12:00:02Z", "type": "task_completed",
     "data": {"emission_sequence": 3}},
    {"id": "2b", "execution_id": "k", "timestamp": "2026-10-01T14:00:01+02:00", "type": "task_started",
     "data": {"emission_sequence": 2}},
    {"id": "2a", "execution_id": "k", "timestamp": "2026-10-01T14:00:01+02:00", "type": "llm_call_started",
     "data": {"emission_sequence": 1.5}},
    {"id": "1", "execution_id": "other", "timestamp": "2026-10-01T12:00:05Z", "type": "crew_kickoff_started"}]})";
  std::vector<StreamEvent> log;
  auto a = read_stream_events(first);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(merge_events(log, *a), 2u);
  auto b = read_stream_events(second);
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(merge_events(log, *b), 3u);  // "k/3" again is dropped; "other/1" is another run's
  EXPECT_THAT(ids(log), ElementsAre("k/1", "k/2a", "k/2b", "k/3", "other/1"));
  EXPECT_EQ(merge_events(log, *b), 0u);
  EXPECT_EQ(log[0].type, "crew_kickoff_started");
}

TEST(LiveWebhooks, RealtimeDeliveryIsOneEvent) {
  auto one = read_stream_events(
      R"({"id": "9", "timestamp": 1790000000.25, "type": "flow_started", "data": {"kickoff_id": "k"}})");
  ASSERT_TRUE(one) << one.error().to_string();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].execution_id, "k");
  EXPECT_FALSE(read_stream_events(R"({"nothing": true})"));
  auto no_ids = read_stream_events(R"({"events": [{"type": "x"}, 3]})");
  ASSERT_TRUE(no_ids);
  EXPECT_TRUE(no_ids->empty());
}

}  // namespace
}  // namespace crewai

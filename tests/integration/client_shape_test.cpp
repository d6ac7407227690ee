// The shape of the Client's calls: one Pending result per call (get, then, future, ready), and the
// one classification of answers as the wait and the send loop see it, against canned answers.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <atomic>

#include "crewai/client.hpp"
#include "support/canned_client.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

Client fast_client(const RawHttpServer& server) {
  return test::client_for(server, [](ClientOptions& o) {
    o.poll.initial = 1ms;
    o.poll.cap = 5ms;
  });
}

RawHttpServer inputs_server() {
  return RawHttpServer([](const RawRequest&) { return json(200, R"({"inputs": ["topic"]})"); });
}

TEST(PendingTest, GetThenFutureAndReady) {
  auto server = inputs_server();
  auto c = fast_client(server);
  auto got = c.inputs_async().get();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::vector<std::string>{"topic"});

  auto f = c.inputs_async().future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(f.get());

  std::promise<bool> called;
  c.inputs_async().then([&](Result<std::vector<std::string>> r) { called.set_value(r.has_value()); });
  auto cf = called.get_future();
  ASSERT_EQ(cf.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(cf.get());
  EXPECT_EQ(count(server, "GET", "/inputs"), 3u);
}

TEST(PendingTest, ThenOnAResultAlreadyInRunsAtOnceOnTheCallersThread) {
  auto server = inputs_server();
  auto c = fast_client(server);
  auto p = c.inputs_async();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!p.ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(p.ready());
  std::thread::id ran_on;
  p.then([&](Result<std::vector<std::string>>) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(PendingTest, ASyncCallFromACallbackIsRefusedAndNotSent) {
  auto server = inputs_server();
  auto c = fast_client(server);
  std::promise<ErrorCode> code;
  c.inputs_async().then([&](Result<std::vector<std::string>>) {
    auto inner = c.kickoff(KickoffRequest{});
    code.set_value(inner ? ErrorCode::internal : inner.error().code);
  });
  auto f = code.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), ErrorCode::internal);
  // The engine runs its tasks in order: once a later call is done, the refused one had its turn.
  ASSERT_TRUE(c.inputs());
  EXPECT_EQ(c.stats().requests, 2u);  // the two GET /inputs, no POST /kickoff
  EXPECT_EQ(count(server, "POST", "/kickoff"), 0u);
}

TEST(PendingTest, ADroppedPendingStillRunsItsCall) {
  auto server = inputs_server();
  auto c = fast_client(server);
  (void)c.inputs_async();
  ASSERT_TRUE(c.inputs());
  // The engine starts calls in order: the dropped one was sent before the second.
  EXPECT_EQ(c.stats().requests, 2u);
}

// docs/protocol-notes.md, "Answers": 501 and 505 are not transient. A wait used to poll them again
// (every status >= 500 counted as transient) until max_server_errors.
TEST(ClassifyTest, AWaitEndsAtOnceOnANotImplementedStatus) {
  for (int status : {501, 505}) {
    RawHttpServer server([status](const RawRequest&) { return json(status, "nope"); });
    auto c = fast_client(server);
    auto r = c.wait("k1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    EXPECT_EQ(r.error().http_status, status);
    EXPECT_EQ(count(server, "GET", "/status/k1"), 1u) << status;
  }
}

TEST(ClassifyTest, AWaitPollsAgainOnATransientStatus) {
  std::atomic<int> n{0};
  RawHttpServer server([&n](const RawRequest&) {
    if (++n <= 2) return json(502, "busy");
    return json(200, R"({"state": "SUCCESS", "result": "done"})");
  });
  auto c = fast_client(server);
  auto r = c.wait("k1");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_EQ(count(server, "GET", "/status/k1"), 3u);
}

// WaitOptions::keep_raw: a caller that keeps no body gets every field but raw, and raw stays null.
TEST(WaitShapeTest, AWaitThatKeepsNoBodyReadsTheSameResultWithoutRaw) {
  RawHttpServer server([](const RawRequest&) {
    return json(200, R"({"events":[{"type":"task_completed"}],"state":"SUCCESS","status":null,)"
                     R"("result":"{\"k\": 1}","usage_metrics":{"total_tokens":9},)"
                     R"("last_executed_task":"t1"})");
  });
  auto c = fast_client(server);
  auto whole = c.wait("k1");
  WaitOptions lean;
  lean.keep_raw = false;
  auto r = c.wait("k1", lean);
  ASSERT_TRUE(whole && r);
  EXPECT_EQ(whole->raw["events"].size(), 1u);
  EXPECT_TRUE(r->raw.is_null());
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_EQ(r->result, whole->result);
  EXPECT_EQ(r->result_json, (Json{{"k", 1}}));
  EXPECT_EQ(r->usage_metrics, whole->usage_metrics);
  EXPECT_EQ(r->last_executed_task, "t1");
}

}  // namespace
}  // namespace crewai::test

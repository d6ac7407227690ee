// Client::cancel (POST /stop/{id}) against canned live answers: stopped, already ended (400 with
// the run's state), no /stop route (404 {"detail": "Not Found"} for a run the deployment knows),
// an unknown run, and a retried 503. Simulator runs in both dialects: client_live_sim_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "crewai/client.hpp"
#include "support/canned_client.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

TEST(CancelTest, StoppedRun) {
  RawHttpServer server([](const RawRequest& r) {
    if (r.method == "POST" && r.target == "/stop/k1")
      return json(200, R"({"status": "stopped", "kickoffId": "k1"})");
    return json(500, "unexpected");
  });
  auto c = client_for(server);
  auto res = c.cancel("k1");
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_TRUE(res->stopped);
  EXPECT_EQ(res->kickoff_id, "k1");
  EXPECT_EQ(res->message, "stopped");
  EXPECT_EQ(count(server, "POST", "/stop/k1"), 1u);
}

TEST(CancelTest, FinishedRunIsAValueWithItsState) {
  RawHttpServer server([](const RawRequest&) {
    return json(400, R"({"detail": "Cannot stop execution. Current state: SUCCESS"})");
  });
  auto c = client_for(server);
  auto res = c.cancel_async("k1").get();
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_FALSE(res->stopped);
  ASSERT_TRUE(res->state);
  EXPECT_EQ(*res->state, RunState::success);
  EXPECT_EQ(res->raw_state, "SUCCESS");
  EXPECT_EQ(server.requests(), 1u);  // the state was in the refusal: no GET /status
}

TEST(CancelTest, RefusalWithoutStateAsksStatus) {
  RawHttpServer server([](const RawRequest& r) {
    if (r.method == "GET") return json(200, R"({"state": "FAILED", "status": "boom"})");
    return json(400, R"({"detail": "Cannot stop execution"})");
  });
  auto c = client_for(server);
  std::promise<Result<CancelResult>> p;
  c.cancel_async("k1").then([&p](Result<CancelResult> r) { p.set_value(std::move(r)); });
  auto res = p.get_future().get();
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_FALSE(res->stopped);
  EXPECT_EQ(res->state, RunState::failed);
  EXPECT_EQ(count(server, "GET", "/status/k1"), 1u);
}

TEST(CancelTest, MissingRouteIsUnimplemented) {
  RawHttpServer server([](const RawRequest& r) {
    if (r.method == "GET") return json(200, R"({"state": "RUNNING", "status": "Task is Running"})");
    return json(404, R"({"detail": "Not Found"})");
  });
  auto c = client_for(server);
  auto res = c.cancel("k1");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::unimplemented);
  EXPECT_NE(res.error().message.find("this deployment cannot cancel runs"), std::string::npos)
      << res.error().message;
  EXPECT_EQ(res.error().kickoff_id, "k1");
}

TEST(CancelTest, MethodNotAllowedIsUnimplemented) {
  RawHttpServer server([](const RawRequest&) { return json(405, R"({"detail": "Method Not Allowed"})"); });
  auto c = client_for(server);
  auto res = c.cancel("k1");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::unimplemented);
}

TEST(CancelTest, UnknownRunIsNotFound) {
  RawHttpServer server([](const RawRequest& r) {
    if (r.method == "GET") return json(200, R"({"state": "NOT FOUND", "status": null})");
    return json(404, R"({"detail": "Execution not found"})");
  });
  auto c = client_for(server);
  auto res = c.cancel("k1");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::not_found);
  EXPECT_NE(res.error().message.find("unknown to the deployment"), std::string::npos);
}

TEST(CancelTest, RetriedLikeAGet) {
  std::atomic<int> n{0};
  RawHttpServer server([&n](const RawRequest&) {
    if (++n == 1) return json(503, "busy");
    return json(200, R"({"status": "stopped"})");
  });
  auto c = client_for(server);
  auto res = c.cancel("k1");
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_TRUE(res->stopped);
  EXPECT_EQ(server.requests(), 2u);
}

}  // namespace
}  // namespace crewai::test

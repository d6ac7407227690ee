// A single call's std::stop_token (issue 10, point 6): request_stop() ends the call at once with
// `cancelled`, or `ambiguous` for a POST already on the wire; the client stays usable. The server
// holds its first answer forever, so only the stop can end the call (the timeout is 10 minutes).
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "crewai/client.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;

class ClientCancelTest : public ::testing::Test {
 protected:
  // The first request is held; later ones are answered.
  RawHttpServer server_{[this](const RawRequest& r) {
    if (++seen_ == 1) {
      RawResponse held;
      held.hold = true;
      return held;
    }
    if (r.target == "/inputs") return RawResponse{200, {}, R"({"inputs":["topic"]})"};
    return RawResponse{200, {}, R"({"kickoff_id":"k-1"})"};
  }};
  std::atomic<int> seen_{0};

  Client client() {
    ClientOptions o;
    o.base_url = server_.url("");
    o.token = "t0k3n";
    o.request_timeout = o.first_call_timeout = Millis(600'000);
    o.retry.max_attempts = 1;
    return Client::create(std::move(o)).value();
  }

  // Stops `source` once the server holds the first request.
  std::thread stop_when_held(std::stop_source& source) {
    return std::thread([this, &source] {
      EXPECT_TRUE(server_.wait_for_requests(1, 20s));
      source.request_stop();
    });
  }
};

TEST_F(ClientCancelTest, AReadEndsCancelledAndTheClientGoesOn) {
  auto c = client();
  std::stop_source stop;
  auto stopper = stop_when_held(stop);
  auto started = std::chrono::steady_clock::now();
  auto r = c.inputs(stop.get_token());
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);  // a test bound, not a speed claim
  auto again = c.inputs();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(*again, std::vector<std::string>{"topic"});
}

TEST_F(ClientCancelTest, AKickoffOnTheWireEndsAmbiguous) {
  auto c = client();
  std::stop_source stop;
  auto stopper = stop_when_held(stop);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}};
  auto r = c.kickoff(req, stop.get_token());
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::ambiguous) << r.error().to_string();
  EXPECT_FALSE(r.error().retry_safe);
  EXPECT_NE(r.error().message.find("POST /kickoff"), std::string::npos) << r.error().message;
}

TEST_F(ClientCancelTest, AStopRequestedBeforeTheCallSendsNothing) {
  auto c = client();
  std::stop_source stop;
  stop.request_stop();
  KickoffRequest req;
  auto r = c.kickoff(req, stop.get_token());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  EXPECT_EQ(server_.requests(), 0u);
}

}  // namespace
}  // namespace crewai::test

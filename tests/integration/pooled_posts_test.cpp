// Kickoffs on pooled connections (issue 13, point 3). A kickoff or resume whose reused connection
// dies before any answer ends `ambiguous` and reaches the server once; POST /stop is still re-sent;
// a batch opens about as many connections as it has runs in flight, not one per item.
#include <gtest/gtest.h>

#include <set>

#include "integration/batch_support.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {
namespace {

// Answers the first request of each connection; on the second, reads it and closes unanswered.
RawHttpServer dying_server() {
  return RawHttpServer([](const RawRequest& req) {
    RawResponse r;
    if (req.on_connection >= 2) {
      r.reset = true;
    } else if (req.target == "/inputs") {
      r.body = R"({"inputs":["topic"]})";
    } else if (req.target.starts_with("/stop/")) {
      r.body = R"({"status":"stopped"})";
    } else {
      r.body = R"({"kickoff_id":"k-1","status":"resumed"})";
    }
    return r;
  });
}

Client client_of(const RawHttpServer& server) {
  ClientOptions o;
  o.base_url = server.url("");
  o.token = "t0k3n";
  o.retry.backoff.initial = 5ms;
  o.retry.backoff.max = 20ms;
  o.retry.max_attempts = 5;
  return Client::create(std::move(o)).value();
}

std::vector<RawRequest> posts_to(const RawHttpServer& server, std::string_view prefix) {
  std::vector<RawRequest> out;
  for (auto& r : server.received()) {
    if (r.method == "POST" && r.target.starts_with(prefix)) out.push_back(r);
  }
  return out;
}

TEST(PooledPosts, AKickoffOnADeadReusedConnectionEndsAmbiguousAndIsSentOnce) {
  auto server = dying_server();
  auto c = client_of(server);
  ASSERT_TRUE(c.inputs());  // warms a pooled connection
  KickoffRequest req;
  req.inputs = {{"topic", "x"}};
  auto r = c.kickoff(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::ambiguous) << r.error().to_string();
  EXPECT_FALSE(r.error().retry_safe);
  const auto kickoffs = posts_to(server, "/kickoff");
  ASSERT_EQ(kickoffs.size(), 1u);                     // the server's own count
  EXPECT_EQ(kickoffs[0].on_connection, 2u);           // it rode the reused connection
  EXPECT_EQ(c.stats().retries, 0u);
}

TEST(PooledPosts, AResumeOnADeadReusedConnectionEndsAmbiguousAndIsSentOnce) {
  auto server = dying_server();
  auto c = client_of(server);
  ASSERT_TRUE(c.inputs());
  ResumeRequest req;
  req.execution_id = "k-1";
  req.task_id = "t";
  req.human_feedback = "fine";
  auto r = c.resume(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::ambiguous) << r.error().to_string();
  EXPECT_EQ(posts_to(server, "/resume").size(), 1u);
}

TEST(PooledPosts, AStopOnADeadReusedConnectionIsStillSentAgain) {
  auto server = dying_server();
  auto c = client_of(server);
  ASSERT_TRUE(c.inputs());
  auto r = c.cancel("k-1");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(posts_to(server, "/stop/").size(), 2u);  // repeating a stop cannot start a run
}

TEST(PooledPosts, ABatchOpensAboutItsConcurrencyInConnections) {
  SimFixture sim(write_crew(crew_json(1)));
  auto c = make_client(sim);
  constexpr int kItems = 300;
  constexpr int kConcurrency = 16;
  BatchOptions o;
  o.max_concurrent = kConcurrency;
  auto report = run(c, topics(kItems), o);
  std::set<std::string> request_ids;
  for (const auto& rec : report.records) {
    EXPECT_EQ(rec.outcome, Outcome::succeeded) << rec.error;
    request_ids.insert(rec.request_id);
  }
  EXPECT_EQ(request_ids.size(), static_cast<std::size_t>(kItems));
  EXPECT_EQ(kickoffs(sim), kItems);
  expect_no_duplicate_kickoffs(sim);
  // About one per run in flight (each run has one request out at a time) plus /inputs. The bound
  // is twice that: a run's last poll and the next run's kickoff can briefly overlap, and a loaded
  // machine makes that more likely. A fresh connection per kickoff would be over kItems (300).
  const auto opened = report.final_snapshot.connections;
  EXPECT_GE(opened, 1u);
  EXPECT_LE(opened, static_cast<std::uint64_t>(2 * kConcurrency + 2));
  EXPECT_EQ(c.stats().connections, opened);  // a fresh client: the batch opened them all
}

}  // namespace
}  // namespace crewai::test

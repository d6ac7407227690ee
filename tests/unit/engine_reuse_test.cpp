// Pooled connections and libcurl's silent re-send (issue 13, point 3). The server answers the first
// request on each connection with keep-alive and, on the second, reads the whole request and closes
// without answering: the race a kept-alive connection loses when the far end drops it. A
// refuse_resend POST must then fail (the server saw it exactly once); a GET (and a plain POST) is
// re-sent by curl on a new connection as before.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include <memory>

#include "support/raw_http_server.hpp"
#include "transport/engine.hpp"
#include "transport/transfer.hpp"

namespace crewai::transport {
namespace {

using crewai::test::RawHttpServer;
using crewai::test::RawRequest;
using crewai::test::RawResponse;
using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;

Response fetch(Engine& engine, Request req) {
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  engine.submit(std::move(req), [promise](Response r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kDeadline) != std::future_status::ready) {
    ADD_FAILURE() << "no response before the deadline";
    return {};
  }
  return future.get();
}

Request make(std::string method, std::string url, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

// Answers the first request of each connection; drops the connection on the second.
RawResponse dies_on_second(const RawRequest& req) {
  RawResponse r;
  if (req.on_connection >= 2) {
    r.reset = true;
    return r;
  }
  r.body = "ok:" + req.body;
  return r;
}

std::size_t count(const RawHttpServer& server, const std::string& method) {
  std::size_t n = 0;
  for (const auto& r : server.received()) n += r.method == method ? 1 : 0;
  return n;
}

TEST(EngineReuse, ARefuseResendPostOnADeadReusedConnectionIsSentOnce) {
  RawHttpServer server(dies_on_second);
  Engine engine;
  const Response warm = fetch(engine, make("GET", server.url("/inputs")));
  ASSERT_EQ(warm.failure, Failure::none) << warm.error;

  Request post = make("POST", server.url("/kickoff"), R"({"inputs":{"topic":"x"}})");
  post.refuse_resend = true;
  const Response r = fetch(engine, post);

  EXPECT_EQ(r.failure, Failure::send) << r.error;
  EXPECT_NE(r.error.find("not re-sent"), std::string::npos) << r.error;
  EXPECT_EQ(count(server, "POST"), 1u);  // the server's own count: never re-sent
  // It rode the pooled connection. (curl opens a new one for its retry before it finds that it
  // cannot rewind the body, but sends nothing on it.)
  const auto seen = server.received();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].connection, seen[0].connection);
  EXPECT_EQ(seen[1].body, post.body);  // the read callback sent the whole body...
  EXPECT_EQ(seen[1].header("Content-Length"), std::to_string(post.body.size()));  // ...not chunked
  EXPECT_TRUE(seen[1].header("Transfer-Encoding").empty());
  EXPECT_GE(engine.stats().connections_opened, 1u);
}

TEST(EngineReuse, ARefuseResendPostOnALiveReusedConnectionIsAnswered) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r;
    r.body = "ok:" + req.body;
    return r;
  });
  Engine engine;
  for (int i = 0; i < 3; ++i) {
    Request post = make("POST", server.url("/kickoff"), "body-" + std::to_string(i));
    post.refuse_resend = true;
    const Response r = fetch(engine, post);
    EXPECT_EQ(r.failure, Failure::none) << r.error;
    EXPECT_EQ(r.body, "ok:body-" + std::to_string(i));
    if (i > 0) {
      EXPECT_TRUE(r.connection_reused);
    }
  }
  Request empty = make("POST", server.url("/stop/k1"));
  empty.refuse_resend = true;
  EXPECT_EQ(fetch(engine, empty).body, "ok:");
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(engine.stats().connections_opened, 1u);
}

// A refuse_resend body goes out through curl's upload buffer, which the engine keeps at 16 KiB
// (transfer.cpp): a body several times that size arrives whole, with its Content-Length.
TEST(EngineReuse, ARefuseResendPostLargerThanTheUploadBufferArrivesWhole) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r;
    r.body = std::to_string(req.body.size()) + ":" + req.body.substr(req.body.size() - 8);
    return r;
  });
  Engine engine;
  std::string body(100'000, 'x');
  body.replace(body.size() - 8, 8, "-the-end");
  Request post = make("POST", server.url("/kickoff"), body);
  post.refuse_resend = true;
  const Response r = fetch(engine, post);
  EXPECT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.body, "100000:-the-end");
  const auto seen = server.received();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].header("Content-Length"), "100000");
}

// What refuse_resend guards against: without it curl sends the same POST a second time.
TEST(EngineReuse, APlainPostOnADeadReusedConnectionIsResentByCurl) {
  RawHttpServer server(dies_on_second);
  Engine engine;
  ASSERT_EQ(fetch(engine, make("GET", server.url("/inputs"))).failure, Failure::none);
  const Response r = fetch(engine, make("POST", server.url("/stop/k1"), "{}"));
  EXPECT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.body, "ok:{}");
  EXPECT_EQ(count(server, "POST"), 2u);
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(engine.stats().connections_opened, 2u);
}

TEST(EngineReuse, AGetOnADeadReusedConnectionIsStillRetried) {
  RawHttpServer server(dies_on_second);
  Engine engine;
  ASSERT_EQ(fetch(engine, make("GET", server.url("/status/1"))).failure, Failure::none);
  const Response r = fetch(engine, make("GET", server.url("/status/1")));
  EXPECT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.body, "ok:");
  EXPECT_EQ(count(server, "GET"), 3u);
  EXPECT_EQ(server.connections(), 2u);
}

// libcurl sizes its idle-connection cache to 4 × the transfers in the multi unless told otherwise,
// so a lull (one transfer in flight) closes pooled connections that the next burst must reopen:
// at 100 concurrent runs a batch opened ~1,100 connections for 4,000 items instead of its 64.
TEST(EngineReuse, APoolKeepsItsIdleConnectionsThroughALull) {
  constexpr std::size_t kPool = 8;
  std::mutex m;
  std::condition_variable cv;
  std::map<std::string, std::size_t> arrived;
  RawHttpServer server([&](const RawRequest& req) {
    RawResponse r;
    if (req.target.rfind("/burst", 0) != 0) return r;
    // Each burst's requests are answered only once all of them are in, on kPool connections.
    std::unique_lock lock(m);
    ++arrived[req.target];
    cv.notify_all();
    cv.wait_for(lock, kDeadline, [&] { return arrived[req.target] >= kPool; });
    return r;
  });
  EngineOptions opts;
  opts.max_host_connections = static_cast<long>(kPool);
  Engine engine(opts);
  auto burst = [&](const std::string& path) {
    std::vector<std::future<Response>> answers;
    for (std::size_t i = 0; i < kPool; ++i) {
      auto promise = std::make_shared<std::promise<Response>>();
      answers.push_back(promise->get_future());
      engine.submit(make("GET", server.url(path)),
                    [promise](Response r) { promise->set_value(std::move(r)); });
    }
    for (auto& a : answers) {
      ASSERT_EQ(a.wait_for(kDeadline), std::future_status::ready);
      EXPECT_EQ(a.get().failure, Failure::none);
    }
  };
  burst("/burst1");
  ASSERT_EQ(server.connections(), kPool);
  for (int i = 0; i < 10; ++i) {  // the lull: one transfer at a time
    ASSERT_EQ(fetch(engine, make("GET", server.url("/one"))).failure, Failure::none);
  }
  burst("/burst2");
  EXPECT_EQ(server.connections(), kPool);  // every burst rode the same kPool connections
  EXPECT_EQ(engine.stats().connections_opened, kPool);
}

TEST(EngineReuse, ARefusedRewindIsASendFailure) {
  EXPECT_EQ(classify(CURLE_SEND_FAIL_REWIND, true), Failure::send);
}

}  // namespace
}  // namespace crewai::transport

#include "transport/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "support/latch.hpp"
#include "support/raw_http_server.hpp"
#include "support/thread_names.hpp"
#include "transport/transfer.hpp"

namespace crewai::transport {
namespace {

using crewai::test::RawHttpServer;
using crewai::test::RawRequest;
using crewai::test::RawResponse;
using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;

RawResponse ok(std::string body) {
  RawResponse r;
  r.body = std::move(body);
  return r;
}

// The promise is shared with the callback so it outlives set_value even if the waiter returns first.
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

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

using crewai::test::Latch;

EngineOptions with(void (*edit)(EngineOptions&)) {
  EngineOptions o;
  edit(o);
  return o;
}

TEST(EngineHttp, GetRoundTripCapturesStatusAndHeaders) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r = ok("{\"path\":\"" + req.target + "\"}");
    r.headers = {{"content-TYPE", "application/json"}, {"X-Other", "1"}};
    return r;
  });
  Engine engine(with([](EngineOptions& o) { o.user_agent = "crewai-test/1"; }));
  Request req = get(server.url("/inputs"));
  req.headers = {"Authorization: Bearer secret-token", "Accept: application/json"};
  const Response r = fetch(engine, req);

  EXPECT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"path\":\"/inputs\"}");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_FALSE(r.retry_after.has_value());
  const auto seen = server.received();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].header("authorization"), "Bearer secret-token");
  EXPECT_EQ(seen[0].header("User-Agent"), "crewai-test/1");
  EXPECT_FALSE(seen[0].header("Accept-Encoding").empty());
  EXPECT_TRUE(seen[0].header("Expect").empty());
}

TEST(EngineHttp, PostSendsBodyAndHeaders) {
  RawHttpServer server([](const RawRequest& req) { return ok("echo:" + req.body); });
  Engine engine;
  Request req;
  req.method = "POST";
  req.url = server.url("/kickoff");
  req.headers = {"Authorization: Bearer t0k", "Content-Type: application/json"};
  req.body = std::string(5000, 'x');  // large enough that curl would otherwise send Expect
  const Response r = fetch(engine, req);

  EXPECT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.body, "echo:" + req.body);
  const auto seen = server.received();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/kickoff");
  EXPECT_EQ(seen[0].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[0].header("Authorization"), "Bearer t0k");
}

TEST(EngineHttp, ErrorStatusesAreAnswersWithRetryAfter) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r;
    if (req.target == "/missing") {
      r.status = 404;
      r.body = "{\"detail\":\"Not Found\"}";
    } else {
      r.status = 503;
      r.headers = {{"retry-after", "7"}, {"Content-Type", "text/plain"}};
      r.body = "busy";
    }
    return r;
  });
  Engine engine;
  const Response missing = fetch(engine, get(server.url("/missing")));
  EXPECT_EQ(missing.failure, Failure::none);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{\"detail\":\"Not Found\"}");

  const Response busy = fetch(engine, get(server.url("/busy")));
  EXPECT_EQ(busy.failure, Failure::none);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.retry_after, std::optional<std::string>("7"));
  EXPECT_EQ(busy.content_type, "text/plain");
  EXPECT_EQ(busy.body, "busy");
  EXPECT_TRUE(busy.connection_reused);
}

TEST(EngineHttp, ClosedPortIsConnectFailure) {
  Engine engine;
  const auto port = std::to_string(crewai::test::unused_loopback_port());
  const Response r = fetch(engine, get("http://127.0.0.1:" + port + "/"));
  EXPECT_EQ(r.failure, Failure::connect);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

TEST(EngineHttp, CloseWithoutAnswerIsReceiveFailure) {
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.reset = true;
    return r;
  });
  Engine engine;
  const Response r = fetch(engine, get(server.url("/status/1")));
  EXPECT_EQ(r.failure, Failure::receive) << r.error;
}

TEST(EngineHttp, SilentServerIsTimeout) {
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.hold = true;
    return r;
  });
  Engine engine;
  Request req = get(server.url("/slow"));
  req.timeout = 200ms;
  const Response r = fetch(engine, req);
  EXPECT_EQ(r.failure, Failure::timeout) << r.error;
}

TEST(EngineHttp, BodyOverCapIsTooLarge) {
  RawHttpServer server([](const RawRequest& req) {
    return ok(std::string(req.target == "/big" ? 4000 : 1000, 'b'));
  });
  Engine engine(with([](EngineOptions& o) { o.max_response_bytes = 1000; }));
  const Response big = fetch(engine, get(server.url("/big")));
  EXPECT_EQ(big.failure, Failure::too_large);
  EXPECT_TRUE(big.body.empty());
  const Response fits = fetch(engine, get(server.url("/fits")));
  EXPECT_EQ(fits.failure, Failure::none) << fits.error;
  EXPECT_EQ(fits.body.size(), 1000u);
}

// `count` GETs submitted at once; every one must come back 200 with its own path, and the server
// must never see more than `connections` sockets.
void run_concurrent(std::size_t count, long connections) {
  RawHttpServer server([](const RawRequest& req) { return ok(req.target); });
  EngineOptions options;
  options.max_host_connections = connections;
  Engine engine(options);
  Latch latch(count);
  std::atomic<std::size_t> good{0};
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = "/status/" + std::to_string(i);
    engine.submit(get(server.url(path)), [&, path](Response r) {
      if (r.failure == Failure::none && r.status == 200 && r.body == path) good.fetch_add(1);
      latch.count_down();
    });
  }
  ASSERT_TRUE(latch.wait());
  EXPECT_EQ(good.load(), count);
  EXPECT_LE(server.max_open_connections(), static_cast<std::size_t>(connections));
  EXPECT_LE(server.connections(), static_cast<std::size_t>(connections));
  EXPECT_EQ(server.requests(), count);
  const auto stats = engine.stats();
  EXPECT_EQ(stats.submitted, count);
  EXPECT_EQ(stats.completed, count);
  EXPECT_EQ(stats.active, 0u);
}

TEST(EngineHttp, ThousandConcurrentRequestsShareEightConnections) { run_concurrent(1000, 8); }

TEST(EngineHttp, TenThousandInFlightOnSixtyFourConnections) { run_concurrent(10'000, 64); }

TEST(EngineCancel, CancelRunningRequestCompletesOnceWithCancelled) {
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.hold = true;
    return r;
  });
  Engine engine;
  std::atomic<int> calls{0};
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  const RequestId id = engine.submit(get(server.url("/hang")), [&calls, promise](Response r) {
    if (calls.fetch_add(1) == 0) promise->set_value(std::move(r));
  });
  ASSERT_TRUE(server.wait_for_requests(1, kDeadline));
  engine.cancel(id);
  ASSERT_EQ(future.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(future.get().failure, Failure::cancelled);
  engine.cancel(id);  // already done: no second callback
  engine.shutdown();
  EXPECT_EQ(calls.load(), 1);
}

TEST(EngineCancel, ShutdownCancelsEveryTransferExactlyOnce) {
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.hold = true;
    return r;
  });
  constexpr std::size_t kCount = 50;
  std::vector<std::atomic<int>> calls(kCount);
  std::atomic<int> cancelled{0};
  std::atomic<bool> on_engine_thread{true};
  {
    Engine engine(with([](EngineOptions& o) { o.max_host_connections = 4; }));
    for (std::size_t i = 0; i < kCount; ++i) {
      engine.submit(get(server.url("/hang")), [&, i](Response r) {
        calls[i].fetch_add(1);
        if (r.failure == Failure::cancelled) cancelled.fetch_add(1);
        if (!engine.on_engine_thread()) on_engine_thread = false;
      });
    }
    ASSERT_TRUE(server.wait_for_requests(4, kDeadline));
    engine.shutdown();
    engine.shutdown();  // idempotent
    EXPECT_EQ(engine.stats().active, 0u);
  }
  for (const auto& c : calls) EXPECT_EQ(c.load(), 1);
  EXPECT_EQ(cancelled.load(), static_cast<int>(kCount));
  EXPECT_TRUE(on_engine_thread.load());
}

TEST(EngineCancel, SubmitAfterShutdownCompletesWithCancelled) {
  Engine engine;
  engine.shutdown();
  int calls = 0;
  engine.submit(get("http://127.0.0.1:1/"), [&](Response r) {
    ++calls;
    EXPECT_EQ(r.failure, Failure::cancelled);
  });
  EXPECT_EQ(calls, 1);
}

TEST(EngineCancel, ShutdownFromEngineThreadDoesNotDeadlock) {
  Engine engine;
  Latch done(1);
  engine.post([&] {
    engine.shutdown();
    done.count_down();
  });
  ASSERT_TRUE(done.wait());
  engine.shutdown();
}

TEST(EngineCancel, CancelRequestQueuedBehindConnectionCap) {
  RawHttpServer server([](const RawRequest&) {
    RawResponse r;
    r.hold = true;
    return r;
  });
  EngineOptions options;
  options.max_host_connections = 1;
  Engine engine(options);
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  std::atomic<int> first_calls{0};
  engine.submit(get(server.url("/first")), [&first_calls](Response) { first_calls.fetch_add(1); });
  ASSERT_TRUE(server.wait_for_requests(1, kDeadline));
  const RequestId second = engine.submit(get(server.url("/second")),
                                         [promise](Response r) { promise->set_value(std::move(r)); });
  engine.cancel(second);
  ASSERT_EQ(future.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(future.get().failure, Failure::cancelled);
  EXPECT_EQ(server.requests(), 1u);
  engine.shutdown();
  EXPECT_EQ(first_calls.load(), 1);
}

TEST(EngineCancel, WorkSubmittedWhileStoppingIsCancelledOnEngineThread) {
  Engine engine;
  Latch done(1);
  std::atomic<bool> cancelled_on_engine{false};
  std::atomic<int> timer_fired{0};
  engine.post([&] {
    engine.shutdown();
    engine.add_timer(0ms, [&] { timer_fired.fetch_add(1); });
    engine.submit(get("http://127.0.0.1:1/"), [&](Response r) {
      cancelled_on_engine = r.failure == Failure::cancelled && engine.on_engine_thread();
      done.count_down();
    });
  });
  ASSERT_TRUE(done.wait());
  engine.shutdown();
  EXPECT_TRUE(cancelled_on_engine.load());
  EXPECT_EQ(timer_fired.load(), 0);
  EXPECT_EQ(engine.stats().queued_timers, 0u);
}

TEST(EngineClassify, CurlCodesMapToFailures) {
  EXPECT_EQ(classify(CURLE_OK, true), Failure::none);
  EXPECT_EQ(classify(CURLE_COULDNT_RESOLVE_HOST, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_COULDNT_RESOLVE_PROXY, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_COULDNT_CONNECT, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_SSL_CONNECT_ERROR, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_PEER_FAILED_VERIFICATION, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_SSL_CERTPROBLEM, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_SSL_CACERT_BADFILE, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_OPERATION_TIMEDOUT, true), Failure::timeout);
  EXPECT_EQ(classify(CURLE_OPERATION_TIMEDOUT, false), Failure::connect);
  EXPECT_EQ(classify(CURLE_SEND_ERROR, true), Failure::send);
  EXPECT_EQ(classify(CURLE_SEND_ERROR, false), Failure::send);
  EXPECT_EQ(classify(CURLE_RECV_ERROR, true), Failure::receive);
  EXPECT_EQ(classify(CURLE_GOT_NOTHING, true), Failure::receive);
  EXPECT_EQ(classify(CURLE_PARTIAL_FILE, true), Failure::receive);
  EXPECT_EQ(classify(CURLE_WEIRD_SERVER_REPLY, true), Failure::receive);
  EXPECT_EQ(classify(CURLE_ABORTED_BY_CALLBACK, true), Failure::cancelled);
  EXPECT_EQ(classify(CURLE_WRITE_ERROR, true), Failure::other);  // too_large is decided by the cap
  EXPECT_EQ(classify(CURLE_URL_MALFORMAT, false), Failure::other);
}

TEST(EngineTimers, FireInDeadlineOrder) {
  Engine engine;
  std::vector<int> order;  // touched only on the engine thread
  Latch done(1);
  const auto base = std::chrono::steady_clock::now() + 20ms;
  const int offsets[] = {30, 10, 20, 0, 20, 5};
  for (int i = 0; i < 6; ++i) {
    engine.add_timer(base + std::chrono::milliseconds(offsets[i]), [&order, i] { order.push_back(i); });
  }
  engine.add_timer(base + 40ms, [&] { done.count_down(); });
  ASSERT_TRUE(done.wait());
  engine.shutdown();
  EXPECT_EQ(order, (std::vector<int>{3, 5, 1, 2, 4, 0}));  // ties keep insertion order
}

TEST(EngineTimers, CancelledTimersDoNotFire) {
  Engine engine;
  std::atomic<int> fired{0};
  Latch done(1);
  const TimerId early = engine.add_timer(5ms, [&] { fired.fetch_add(1); });
  engine.cancel_timer(early);
  engine.add_timer(30ms, [&] { done.count_down(); });
  ASSERT_TRUE(done.wait());
  EXPECT_EQ(fired.load(), 0);
  engine.cancel_timer(early);  // cancelling twice, or after the fact, is harmless
}

TEST(EngineTimers, TimersAddedAndCancelledFromCallbacks) {
  Engine engine;
  std::vector<std::string> log;  // engine thread only
  Latch done(1);
  engine.post([&] {
    EXPECT_TRUE(engine.on_engine_thread());
    const TimerId doomed = engine.add_timer(1ms, [&] { log.push_back("doomed"); });
    engine.cancel_timer(doomed);
    engine.add_timer(1ms, [&] {
      log.push_back("first");
      engine.add_timer(1ms, [&] {
        log.push_back("second");
        engine.add_timer(0ms, [&] {
          log.push_back("third");
          done.count_down();
        });
      });
    });
  });
  ASSERT_TRUE(done.wait());
  engine.shutdown();
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_FALSE(engine.on_engine_thread());
}

// The engine thread is parked on a gate while the timers and cancels pile up in its inbox, so
// none can fire before its cancel arrives.
TEST(EngineTimers, ManyTimersWithHalfCancelled) {
  Engine engine;
  constexpr int kCount = 100'000;
  Latch parked(1);
  Latch gate(1);
  engine.post([&] {
    parked.count_down();
    gate.wait();
  });
  ASSERT_TRUE(parked.wait());
  std::vector<TimerId> ids;
  ids.reserve(kCount);
  std::atomic<int> fired{0};
  const auto when = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(engine.add_timer(when + std::chrono::microseconds(i), [&] { fired.fetch_add(1); }));
  }
  for (int i = 0; i < kCount; i += 2) engine.cancel_timer(ids[static_cast<std::size_t>(i)]);
  Latch done(1);
  engine.add_timer(when + std::chrono::microseconds(kCount) + 1ms, [&] { done.count_down(); });
  gate.count_down();
  ASSERT_TRUE(done.wait());
  EXPECT_EQ(fired.load(), kCount / 2);
  EXPECT_EQ(engine.stats().queued_timers, 0u);
}

TEST(EngineTimers, DestroyFromOtherThreadDropsPendingTimers) {
  auto engine = std::make_unique<Engine>();
  std::atomic<int> fired{0};
  for (int i = 0; i < 100; ++i) engine->add_timer(1h, [&] { fired.fetch_add(1); });
  Latch posted(1);
  engine->post([&] { posted.count_down(); });
  ASSERT_TRUE(posted.wait());
  EXPECT_EQ(engine->stats().queued_timers, 100u);
  std::thread([&] { engine.reset(); }).join();
  EXPECT_EQ(fired.load(), 0);
}

TEST(EnginePost, PostsFromManyThreadsRunInOrderPerThread) {
  Engine engine;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  std::vector<int> last(kThreads, -1);  // engine thread only
  int total = 0;                        // engine thread only
  bool in_order = true;                 // engine thread only
  Latch latch(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        engine.post([&, t, i] {
          in_order = in_order && last[static_cast<std::size_t>(t)] == i - 1;
          last[static_cast<std::size_t>(t)] = i;
          ++total;
          latch.count_down();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(latch.wait());
  auto result = std::make_shared<std::promise<std::pair<int, bool>>>();
  auto future = result->get_future();
  engine.post([&, result] { result->set_value({total, in_order}); });
  ASSERT_EQ(future.wait_for(kDeadline), std::future_status::ready);
  const auto [count, ordered] = future.get();
  EXPECT_EQ(count, kThreads * kPerThread);
  EXPECT_TRUE(ordered);
}

// Profilers, top -H and gdb list the engine's thread by name; the name is set before the thread
// runs anything, so once a post has run on it, it is there.
TEST(EngineThread, IsNamedForToolsThatListThreads) {
  Engine engine;
  std::promise<void> ran;
  engine.post([&] { ran.set_value(); });
  ASSERT_EQ(ran.get_future().wait_for(kDeadline), std::future_status::ready);
  const auto names = crewai::test::thread_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "crewai-engine"), names.end());
}

TEST(EnginePost, DestroyFromOwnCallbackIsSafe) {
  auto engine = std::make_shared<std::unique_ptr<Engine>>(std::make_unique<Engine>());
  auto destroyed = std::make_shared<Latch>(1);
  (*engine)->post([engine, destroyed] {
    engine->reset();
    destroyed->count_down();
  });
  ASSERT_TRUE(destroyed->wait());
}

}  // namespace
}  // namespace crewai::transport

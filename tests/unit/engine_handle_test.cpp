// The engine keeps its curl easy handles between requests without curl_easy_reset (issue 13,
// point 2): nothing one request set may reach the next one on the same handle. With one connection
// allowed the engine has one handle, so every request here runs on the same handle (and, but for
// the fresh_connection one, on the same connection): the server must see each request's own
// method, headers and body, and nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "support/raw_http_server.hpp"
#include "transport/engine.hpp"

namespace crewai::transport {
namespace {

using crewai::test::RawHttpServer;
using crewai::test::RawRequest;
using crewai::test::RawResponse;
using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;

std::future<Response> submit(Engine& engine, Request req) {
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  engine.submit(std::move(req), [promise](Response r) { promise->set_value(std::move(r)); });
  return future;
}

Response fetch(Engine& engine, Request req) {
  auto future = submit(engine, std::move(req));
  if (future.wait_for(kDeadline) != std::future_status::ready) {
    ADD_FAILURE() << "no response before the deadline";
    return {};
  }
  return future.get();
}

Request make(std::string method, std::string url, std::vector<std::string> headers,
             std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

// The request's headers as "name: value" (name lowercased), sorted, without the ones curl adds to
// every request (Host, Accept, Accept-Encoding, User-Agent: checked separately).
std::vector<std::string> own_headers(const RawRequest& req) {
  std::vector<std::string> out;
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "host" || lower == "accept" || lower == "accept-encoding" || lower == "user-agent")
      continue;
    out.push_back(lower + ": " + value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct Expected {
  std::string method;
  std::string target;
  std::vector<std::string> headers;  // "lowercase-name: value"
  std::string body;
  std::size_t connection;
};

void expect_request(const RawRequest& got, const Expected& want) {
  SCOPED_TRACE(want.method + " " + want.target);
  EXPECT_EQ(got.method, want.method);
  EXPECT_EQ(got.target, want.target);
  EXPECT_EQ(own_headers(got), sorted(want.headers));
  EXPECT_EQ(got.body, want.body);
  EXPECT_EQ(got.connection, want.connection);
  EXPECT_EQ(got.header("User-Agent"), "crewai-test/1");  // engine-wide, set once per handle
}

EngineOptions one_connection() {
  EngineOptions o;
  o.max_host_connections = 1;
  o.user_agent = "crewai-test/1";
  return o;
}

TEST(EngineHandle, NoOptionOrHeaderOfOneRequestReachesTheNextOnTheSameHandle) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r;
    r.body = "ok:" + req.target;
    return r;
  });
  Engine engine(one_connection());
  const std::string auth1 = "Authorization: Bearer one";
  const std::string auth2 = "Authorization: Bearer two";

  std::vector<Request> requests;
  requests.push_back(make("POST", server.url("/post"),
                          {auth1, "Content-Type: application/json", "X-One: 1"}, "{\"a\":1}"));
  Request guarded = make("POST", server.url("/guarded"), {auth1, "Content-Type: text/plain"}, "two");
  guarded.refuse_resend = true;
  requests.push_back(guarded);
  requests.push_back(make("GET", server.url("/get"), {auth1}));
  requests.push_back(make("PUT", server.url("/put"), {auth2, "Content-Type: text/plain"}, "put!"));
  requests.push_back(make("DELETE", server.url("/delete"), {auth2, "X-Two: 2"}));
  requests.push_back(make("GET", server.url("/again"), {auth2, "X-Two: 2"}));  // same list kept
  requests.push_back(make("GET", server.url("/other"), {"X-Three: 3"}));
  Request fresh = make("POST", server.url("/fresh"), {auth1}, "fresh");
  fresh.fresh_connection = true;
  requests.push_back(fresh);
  requests.push_back(make("GET", server.url("/pooled"), {auth1}));

  for (auto& req : requests) {
    const std::string target = req.url.substr(req.url.rfind('/'));
    const Response r = fetch(engine, std::move(req));
    ASSERT_EQ(r.failure, Failure::none) << target << ": " << r.error;
    EXPECT_EQ(r.body, "ok:" + target);
  }

  const std::vector<Expected> want = {
      {"POST", "/post", {"authorization: Bearer one", "content-type: application/json", "x-one: 1",
                         "content-length: 7"}, "{\"a\":1}", 1},
      {"POST", "/guarded", {"authorization: Bearer one", "content-type: text/plain",
                            "content-length: 3"}, "two", 1},
      {"GET", "/get", {"authorization: Bearer one"}, "", 1},
      {"PUT", "/put", {"authorization: Bearer two", "content-type: text/plain",
                       "content-length: 4"}, "put!", 1},
      {"DELETE", "/delete", {"authorization: Bearer two", "x-two: 2"}, "", 1},
      {"GET", "/again", {"authorization: Bearer two", "x-two: 2"}, "", 1},
      {"GET", "/other", {"x-three: 3"}, "", 1},
      {"POST", "/fresh", {"authorization: Bearer one", "content-length: 5",
                          "content-type: application/x-www-form-urlencoded"}, "fresh", 2},
      // fresh_connection is not carried over: the next request rides the pool again.
      {"GET", "/pooled", {"authorization: Bearer one"}, "", 2},
  };
  const auto got = server.received();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) expect_request(got[i], want[i]);
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(engine.stats().connections_opened, 2u);
}

TEST(EngineHandle, AnErrorTextIsNotCarriedIntoTheNextRequest) {
  RawHttpServer server([](const RawRequest& req) {
    RawResponse r;
    r.reset = req.target == "/reset";
    return r;
  });
  Engine engine(one_connection());
  const std::string port = std::to_string(crewai::test::unused_loopback_port());
  const Response refused =
      fetch(engine, make("GET", "http://127.0.0.1:" + port + "/", {}));
  ASSERT_EQ(refused.failure, Failure::connect);
  ASSERT_NE(refused.error.find(port), std::string::npos) << refused.error;

  const Response answered = fetch(engine, make("GET", server.url("/ok"), {}));
  EXPECT_EQ(answered.failure, Failure::none);
  EXPECT_EQ(answered.error, "");

  const Response dropped = fetch(engine, make("GET", server.url("/reset"), {}));
  EXPECT_EQ(dropped.failure, Failure::receive);
  EXPECT_FALSE(dropped.error.empty());
  EXPECT_EQ(dropped.error.find(port), std::string::npos) << dropped.error;
}

// curl copies a header up to its first NUL byte; such a header is refused rather than cut short
// (the handle's kept list is compared against it), and the handle serves the next request as usual.
TEST(EngineHandle, AHeaderWithANulByteIsRefusedAndTheHandleStaysUsable) {
  RawHttpServer server([](const RawRequest&) { return RawResponse{}; });
  Engine engine(one_connection());
  const Response refused =
      fetch(engine, make("GET", server.url("/bad"), {std::string("X-Bad: a\0b", 10)}));
  EXPECT_EQ(refused.failure, Failure::other);
  const Response ok = fetch(engine, make("GET", server.url("/good"), {"X-Good: 1"}));
  ASSERT_EQ(ok.failure, Failure::none) << ok.error;
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(own_headers(got[0]), std::vector<std::string>{"x-good: 1"});
}

// A transfer cancelled before curl started it (submitted and cancelled in one batch of the
// engine's inbox) leaves the handle's CURLINFO values as the previous transfer set them: they must
// not be counted again.
TEST(EngineHandle, ACancelBeforeCurlStartsCountsNoConnection) {
  RawHttpServer server([](const RawRequest&) { return RawResponse{}; });
  Engine engine(one_connection());
  ASSERT_EQ(fetch(engine, make("GET", server.url("/first"), {})).failure, Failure::none);
  ASSERT_EQ(engine.stats().connections_opened, 1u);

  auto promise = std::make_shared<std::promise<Response>>();
  auto cancelled = promise->get_future();
  engine.post([&engine, &server, promise] {
    const RequestId id = engine.submit(make("GET", server.url("/never"), {}),
                                       [promise](Response r) { promise->set_value(std::move(r)); });
    engine.cancel(id);
  });
  ASSERT_EQ(cancelled.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(cancelled.get().failure, Failure::cancelled);

  ASSERT_EQ(fetch(engine, make("GET", server.url("/second"), {})).failure, Failure::none);
  EXPECT_EQ(engine.stats().connections_opened, 1u);
  EXPECT_EQ(server.connections(), 1u);
}

}  // namespace
}  // namespace crewai::transport

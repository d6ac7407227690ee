// Retry-After as the client reads it: libcurl's CURLINFO_RETRY_AFTER (both the seconds and the
// three HTTP-date forms of RFC 9110) plus the thin rules of transport/transfer.cpp (past is now,
// unreadable is no hint, a number too long for curl is the longest wait). The cases are those of
// the hand parser this replaced; curl reads the current time itself, so dates are written
// relative to now and checked within a second or two.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <future>
#include <string>

#include "support/raw_http_server.hpp"
#include "transport/engine.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;
using transport::Engine;
using transport::Request;
using transport::Response;
using Wait = std::optional<std::chrono::milliseconds>;

// The header value the next answer carries; one server and engine for the whole suite.
class RetryAfterTest : public ::testing::Test {
 protected:
  Response answer_with(const std::string& value) {
    {
      std::lock_guard lock(mu_);
      value_ = value;
    }
    Request req;
    req.url = server_.url("/busy");
    auto promise = std::make_shared<std::promise<Response>>();
    auto f = promise->get_future();
    engine_.submit(std::move(req), [promise](Response r) { promise->set_value(std::move(r)); });
    if (f.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      return {};
    }
    return f.get();
  }
  Wait wait_for(const std::string& value) {
    Response r = answer_with(value);
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(r.retry_after.has_value()) << value;  // present, whatever its value
    return r.retry_after_wait;
  }

  std::mutex mu_;
  std::string value_;
  RawHttpServer server_{[this](const RawRequest&) {
    std::lock_guard lock(mu_);
    return RawResponse{503, {{"Retry-After", value_}}, "busy"};
  }};
  Engine engine_;
};

std::string http_date(std::chrono::seconds from_now, const char* format) {
  std::time_t t = std::time(nullptr) + from_now.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

constexpr const char* kImfFixdate = "%a, %d %b %Y %H:%M:%S GMT";
constexpr const char* kRfc850 = "%A, %d-%b-%y %H:%M:%S GMT";
constexpr const char* kAsctime = "%a %b %e %H:%M:%S %Y";

void expect_about(Wait w, std::chrono::seconds want, const std::string& what) {
  ASSERT_TRUE(w.has_value()) << what;
  EXPECT_GE(*w, want - 2s) << what;
  EXPECT_LE(*w, want) << what;
}

TEST_F(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(wait_for("120"), Wait(120'000ms));
  EXPECT_EQ(wait_for(" 0 "), Wait(0ms));
  EXPECT_EQ(wait_for("99999999999999999999999"),
            Wait(std::chrono::duration_cast<std::chrono::milliseconds>(24h * 365 * 10)));
}

TEST_F(RetryAfterTest, EachHttpDateForm) {
  for (const char* format : {kImfFixdate, kRfc850, kAsctime}) {
    expect_about(wait_for(http_date(30s, format)), 30s, format);
    expect_about(wait_for(http_date(24h, format)), 24h, format);
  }
}

TEST_F(RetryAfterTest, PastIsZero) {
  EXPECT_EQ(wait_for("Sun, 06 Nov 1994 08:49:37 GMT"), Wait(0ms));
  EXPECT_EQ(wait_for("Sunday, 06-Nov-94 08:49:37 GMT"), Wait(0ms));
  EXPECT_EQ(wait_for("Sun Nov  6 08:49:37 1994"), Wait(0ms));
  EXPECT_EQ(wait_for(http_date(-3600s, kImfFixdate)), Wait(0ms));
}

// Present but unreadable: no hint (the backoff applies), though the header still counts as sent
// (a POST's 503 with it is a refusal, see protocol::classify).
TEST_F(RetryAfterTest, GarbageIsNoHint) {
  for (const char* bad : {"", "soon", "-5", "Fri, 01 Foo 2026 12:00:30 GMT",
                          "Fri, 01 May 2026 25:00:30 GMT"}) {
    EXPECT_EQ(wait_for(bad), std::nullopt) << bad;
  }
}

// Where libcurl is more lenient than the hand parser was (which refused these): it reads the
// leading number, a date in another zone's name, and a date followed by a word it ignores.
// Harmless for a hint that RetryPolicy clamps; kept to show the difference is known.
TEST_F(RetryAfterTest, CurlReadsLeniently) {
  EXPECT_EQ(wait_for("1.5"), Wait(1000ms));
  EXPECT_EQ(wait_for("12abc"), Wait(12'000ms));
  EXPECT_EQ(wait_for("Sun, 06 Nov 1994 08:49:37 GMT trailing"), Wait(0ms));
  EXPECT_TRUE(wait_for(http_date(30s, "%a, %d %b %Y %H:%M:%S UTC")).has_value());
}

TEST_F(RetryAfterTest, AbsentIsNothing) {
  RawHttpServer plain([](const RawRequest&) { return RawResponse{503, {}, "busy"}; });
  Request req;
  req.url = plain.url("/busy");
  auto promise = std::make_shared<std::promise<Response>>();
  auto f = promise->get_future();
  engine_.submit(std::move(req), [promise](Response r) { promise->set_value(std::move(r)); });
  ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  Response r = f.get();
  EXPECT_FALSE(r.retry_after.has_value());
  EXPECT_FALSE(r.retry_after_wait.has_value());
}

}  // namespace
}  // namespace crewai::test

// classify(): one row per row of the "Answers" table in docs/protocol-notes.md. Each row names the
// outcome and what every call kind gets: the code, whether the request is retried, retry_safe.
// Part of protocol_test.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "protocol/errors.hpp"

namespace crewai::protocol {
namespace {

using namespace std::chrono_literals;

struct Expect {
  ErrorCode code;  // ignored when ok
  bool retry;
  bool retry_safe;
  bool ok = false;
};

constexpr Expect kOk{ErrorCode::internal, false, false, true};

// Columns of the table: inputs, status, cancel, kickoff, resume, flow_answer.
constexpr std::array<CallKind, 6> kCalls{CallKind::inputs, CallKind::status, CallKind::cancel,
                                         CallKind::kickoff, CallKind::resume,
                                         CallKind::flow_answer};

struct Row {
  std::string name;
  std::vector<Outcome> outcomes;     // every outcome the row stands for
  std::array<Expect, 6> expect;      // per kCalls
};

Outcome http(int status, bool retry_after = false) {
  Outcome o;
  o.status = status;
  o.has_retry_after = retry_after;
  if (retry_after) o.retry_after = 7000ms;
  return o;
}

Outcome failed(Delivery d) {
  Outcome o;
  o.delivery = d;
  return o;
}

// A GET's error: never starts a run.
Expect get(ErrorCode c, bool retry = false) { return {c, retry, true}; }
// A POST's error: safe exactly when retried.
Expect post(ErrorCode c, bool retry = false) { return {c, retry, retry}; }

std::array<Expect, 6> same_for_all(ErrorCode c) {
  return {get(c), get(c), get(c), post(c), post(c), post(c)};
}

std::vector<Row> table() {
  using E = ErrorCode;
  return {
      {"2xx", {http(200), http(201), http(204)}, {kOk, kOk, kOk, kOk, kOk, kOk}},
      {"400", {http(400)},
       {get(E::invalid_argument), get(E::invalid_argument), get(E::failed_precondition),
        post(E::invalid_input), post(E::failed_precondition), post(E::failed_precondition)}},
      {"401", {http(401)}, same_for_all(E::unauthenticated)},
      {"403", {http(403)}, same_for_all(E::permission_denied)},
      {"404", {http(404)}, same_for_all(E::not_found)},
      {"405", {http(405)},
       {get(E::invalid_argument), get(E::invalid_argument), get(E::unimplemented),
        post(E::invalid_argument), post(E::invalid_argument), post(E::invalid_argument)}},
      {"408", {http(408)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::unavailable), post(E::unavailable), post(E::unavailable)}},
      {"409", {http(409)}, same_for_all(E::failed_precondition)},
      {"422", {http(422)},
       {get(E::invalid_argument), get(E::invalid_argument), get(E::invalid_argument),
        post(E::invalid_input), post(E::invalid_argument), post(E::invalid_argument)}},
      {"429", {http(429), http(429, true)},
       {get(E::rate_limited, true), get(E::rate_limited, true), get(E::rate_limited, true),
        post(E::rate_limited, true), post(E::rate_limited, true), post(E::rate_limited, true)}},
      {"other 4xx", {http(418), http(410), http(451)}, same_for_all(E::invalid_argument)},
      {"500 / 502 / 504", {http(500), http(502), http(504), http(500, true)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::ambiguous), post(E::ambiguous), post(E::ambiguous)}},
      {"503 with Retry-After", {http(503, true)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::unavailable, true), post(E::unavailable, true), post(E::unavailable, true)}},
      {"503 without Retry-After", {http(503)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::ambiguous), post(E::ambiguous), post(E::ambiguous)}},
      {"501 / 505 / other 5xx", {http(501), http(505), http(599), http(501, true)},
       {get(E::unavailable), get(E::unavailable), get(E::unavailable), post(E::ambiguous),
        post(E::ambiguous), post(E::ambiguous)}},
      {"other status", {http(100), http(302), http(0)}, same_for_all(E::protocol)},
      {"no connection", {failed(Delivery::not_sent)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::unavailable, true), post(E::unavailable, true), post(E::unavailable, true)}},
      {"timeout or reset after sending began", {failed(Delivery::maybe_sent)},
       {get(E::unavailable, true), get(E::unavailable, true), get(E::unavailable, true),
        post(E::ambiguous), post(E::ambiguous), post(E::ambiguous)}},
      {"answer over the size cap", {failed(Delivery::too_large)},
       {Expect{E::protocol, false, false}, Expect{E::protocol, false, false},
        Expect{E::protocol, false, false}, post(E::ambiguous), post(E::ambiguous),
        post(E::ambiguous)}},
      {"cancelled", {failed(Delivery::cancelled)},
       {get(E::cancelled), get(E::cancelled), get(E::cancelled), Expect{E::cancelled, false, true},
        Expect{E::cancelled, false, true}, Expect{E::cancelled, false, true}}},
  };
}

TEST(Classify, EveryRowOfTheAnswersTable) {
  for (const auto& row : table()) {
    for (const auto& outcome : row.outcomes) {
      for (std::size_t c = 0; c < kCalls.size(); ++c) {
        SCOPED_TRACE(row.name + ", status " + std::to_string(outcome.status) + ", call #" +
                     std::to_string(c));
        const Expect& want = row.expect[c];
        const Verdict v = classify(kCalls[c], outcome);
        EXPECT_EQ(v.ok, want.ok);
        if (want.ok) continue;
        EXPECT_EQ(v.code, want.code) << to_string(v.code);
        EXPECT_EQ(v.retry, want.retry);
        EXPECT_EQ(v.retry_safe, want.retry_safe);
        // The delay is the server's, and only for a retry.
        EXPECT_EQ(v.delay, want.retry ? outcome.retry_after : std::nullopt);
      }
    }
  }
}

TEST(Classify, ErrorFromHttpTakesCodeAndSafetyFromIt) {
  for (int status : {400, 404, 408, 429, 500, 501, 503, 505}) {
    for (auto call : kCalls) {
      for (bool retry_after : {false, true}) {
        const Verdict v = classify(call, http(status, retry_after));
        const Error e = error_from_http(call, status, "", "k", retry_after);
        EXPECT_EQ(e.code, v.code) << status;
        EXPECT_EQ(e.retry_safe, v.retry_safe) << status;
        EXPECT_EQ(e.http_status, status);
      }
    }
  }
}

TEST(Classify, CancelIsIdempotentLikeAGet) {
  EXPECT_FALSE(is_post(CallKind::cancel));
  EXPECT_TRUE(is_post(CallKind::kickoff));
  EXPECT_TRUE(is_post(CallKind::flow_answer));
}

}  // namespace
}  // namespace crewai::protocol

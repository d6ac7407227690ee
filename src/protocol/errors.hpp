// protocol/errors.hpp — answers -> success or crewai::Error, with retries decided here only.
//
// Error bodies are read in every dialect: {"error","message"[,"details":{"missing_inputs"}]},
// FastAPI's {"detail":"..."} and {"detail":[{"loc","msg","type"}]}, or raw text. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crewai/error.hpp"
#include "crewai/policy.hpp"

namespace crewai::protocol {

struct ServerMessage {
  std::string message;                      // "" when the body says nothing
  std::vector<std::string> missing_inputs;  // 422 details.missing_inputs or FastAPI "missing" entries
};

ServerMessage parse_error_body(std::string_view body);

// Which call got the answer: the same status means different things for a GET and a POST.
// flow_answer: the POST to a flow request's callback_url. cancel: POST /stop/{id}, which is
// idempotent (stopping twice is harmless), so it is classified like a GET.
enum class CallKind { inputs, kickoff, status, resume, flow_answer, cancel };
// kickoff, resume and flow_answer: POSTs that act on a run, never blindly repeated.
bool is_post(CallKind call);

// How one attempt ended, as far as the classification cares. The client maps libcurl's outcome
// onto it (client/calls.cpp); nothing here knows sockets.
enum class Delivery {
  answered,    // an HTTP answer was read (`status`)
  not_sent,    // failed before the request could reach the app (connect, DNS, TLS)
  maybe_sent,  // timeout or reset after sending began: the app may have acted on it
  too_large,   // an answer over the size cap (it would come back the same)
  cancelled,   // the caller or the client's destruction aborted it
};

struct Outcome {
  Delivery delivery = Delivery::answered;
  int status = 0;                      // when answered
  bool has_retry_after = false;        // the answer carried Retry-After (readable or not)
  std::optional<Millis> retry_after = {};  // its value, when it could be read
};

// What to do with an outcome: the one place that decides success, error code, retry and delay.
struct Verdict {
  bool ok = false;                     // a 2xx answer: read its body
  ErrorCode code = ErrorCode::internal;  // when !ok
  bool retry = false;                  // worth sending the same request again (ARCHITECTURE.md's
                                       // retry table); also whether a wait polls again
  bool retry_safe = false;             // Error::retry_safe: repeating it cannot start a second run
  std::optional<Millis> delay;         // the server's wait before the retry; else the backoff's
};

// The table in docs/protocol-notes.md ("Answers"), row for row.
Verdict classify(CallKind call, const Outcome& outcome);

// FastAPI's answer for a path it has no route for: 404 {"detail": "Not Found"} exactly (405 for a
// route without that method). A missing run answers its own detail text, so this tells "the
// deployment has no such call" from "no such run".
bool is_missing_route(int status, std::string_view body);

// The full Error for an HTTP error answer: code and retry_safe from classify(), http_status, the
// server's message (else the reason phrase), missing_inputs, kickoff_id. `retry_after`: the
// answer carried Retry-After (a POST's 503 with it was refused by the app, without it is ambiguous).
Error error_from_http(CallKind call, int status, std::string_view body, std::string kickoff_id = {},
                      bool retry_after = false);

// "Service Unavailable" for 503, ... ("" when unknown).
std::string_view reason_phrase(int status);

}  // namespace crewai::protocol

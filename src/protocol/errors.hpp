// protocol/errors.hpp — HTTP error answers -> crewai::Error, with retry safety decided here only.
//
// Error bodies are read in every dialect: {"error","message"[,"details":{"missing_inputs"}]},
// FastAPI's {"detail":"..."} and {"detail":[{"loc","msg","type"}]}, or raw text. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crewai/error.hpp"

namespace crewai::protocol {

struct ServerMessage {
  std::string message;                      // "" when the body says nothing
  std::vector<std::string> missing_inputs;  // 422 details.missing_inputs or FastAPI "missing" entries
};

ServerMessage parse_error_body(std::string_view body);

// Which call got the answer: the same status means different things for a GET and a POST.
// flow_feedback: the POST to a flow request's callback_url. stop: POST /stop/{id}, which is
// idempotent (stopping twice is harmless), so it is treated like a GET.
enum class Call { inputs, kickoff, status, resume, flow_feedback, stop };
// kickoff, resume and flow_feedback: POSTs that act on a run, never blindly repeated.
bool is_post(Call call);

// FastAPI's answer for a path it has no route for: 404 {"detail": "Not Found"} exactly (405 for a
// route without that method). A missing run answers its own detail text, so this tells "the
// deployment has no such call" from "no such run".
bool is_missing_route(int status, std::string_view body);

// The canonical code for an HTTP status (>= 400) answered to `call`.
ErrorCode code_for_http_status(Call call, int status);

// The full Error for an HTTP error answer: code, http_status, the server's message (else the
// reason phrase), missing_inputs, kickoff_id, and retry_safe (always for GETs; for the POSTs
// only on 429 and 503, where the app did not act — the caller refines 503 with Retry-After).
Error error_from_http(Call call, int status, std::string_view body, std::string kickoff_id = {});

// Statuses on which a GET is retried: 408 429 500 502 503 504.
bool retryable_get_status(int status);

// "Service Unavailable" for 503, ... ("" when unknown).
std::string_view reason_phrase(int status);

}  // namespace crewai::protocol

// protocol/status.hpp — `GET /status/{id}` bodies in every dialect (AMP-API.md) -> RunResult.
//
// Dialects read: the AMP object (state UPPER-CASE, every key nullable), celery-legacy (FAILURE,
// NOT FOUND), and the old docs / seed shape (lower-case `status`, `result.output`, `error_message`,
// `progress.{completed_tasks,total_tasks}`, `current_task`, `execution_time`). Pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crewai/types.hpp"

namespace crewai::protocol {

// Every spelling of a run state, case-insensitively: PENDING STARTED RUNNING PAUSED SUCCESS FAILED
// FAILURE REVOKED "NOT FOUND" and the docs' pending|running|completed|error. nullopt otherwise.
std::optional<RunState> parse_state(std::string_view s);

// Whether parse_status keeps the body in RunResult::raw (a DOM of all of it), or leaves raw null
// and builds only the members the other fields are read from (not the events, nor last_step,
// progress of steps and the like: most of a live body), for a caller that keeps no body.
enum class RawBody { keep, drop };

// A status body -> RunResult (raw, state, message, result, result_json, progress, pause info...).
// Unknown or missing state: ErrorCode::protocol naming the value. Not JSON / not an object:
// ErrorCode::protocol quoting at most ~200 characters of the body. Mistyped optional fields are
// ignored, never thrown on. RawBody::drop reads every field but raw exactly as keep does.
[[nodiscard]] Result<RunResult> parse_status(std::string_view body, const std::string& kickoff_id,
                                             RawBody raw = RawBody::keep);

// PENDING, STARTED or RUNNING (any dialect's spelling) when `body` is a status object that
// parse_status would read as that state; nullopt for everything else (an end, a pause, an error,
// a body it would refuse): then call parse_status. Builds no DOM: for the polls of a run going on.
[[nodiscard]] std::optional<RunState> peek_running_state(std::string_view body);

// The top-level members of a JSON object body (a status, a kickoff answer) whose keys are in
// `wanted`, each parsed, as one object (of a repeated key the last wins, as in the DOM): what
// parsing the whole body and keeping those members gives, without a DOM of the rest. nullopt when
// peek_running_state's strict scan does not accept the body (escapes in a key, an exponent, not
// an object...): parse it whole then.
[[nodiscard]] std::optional<Json> object_members(std::string_view body,
                                                 std::span<const std::string_view> wanted);

// One strict scan of a poll's body, read both ways: `going` as peek_running_state reads it; else
// `members` as object_members(body, wanted) gives them (nullopt: the scan refused the body).
struct PollScan {
  std::optional<RunState> going;
  std::optional<Json> members;
};
[[nodiscard]] PollScan scan_poll(std::string_view body, std::span<const std::string_view> wanted);

// A poll's answer (the waits' reader): a run still going as peek_running_state reads it (the state
// and the kickoff id, no DOM), anything else as parse_status(body, kickoff_id, raw) reads it. With
// RawBody::drop the body is scanned once for both, where a peek and then parse_status scanned a
// run's final body twice (issue 13).
[[nodiscard]] Result<RunResult> read_poll(std::string_view body, const std::string& kickoff_id,
                                          RawBody raw);

}  // namespace crewai::protocol

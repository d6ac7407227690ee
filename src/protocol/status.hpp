// protocol/status.hpp — `GET /status/{id}` bodies in every dialect (AMP-API.md) -> RunResult.
//
// Dialects read: the AMP object (state UPPER-CASE, every key nullable), celery-legacy (FAILURE,
// NOT FOUND), and the old docs / seed shape (lower-case `status`, `result.output`, `error_message`,
// `progress.{completed_tasks,total_tasks}`, `current_task`, `execution_time`). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crewai/types.hpp"

namespace crewai::protocol {

// Every spelling of a run state, case-insensitively: PENDING STARTED RUNNING PAUSED SUCCESS FAILED
// FAILURE REVOKED "NOT FOUND" and the docs' pending|running|completed|error. nullopt otherwise.
std::optional<RunState> parse_state(std::string_view s);

// A status body -> RunResult (raw, state, message, result, result_json, progress, pause info...).
// Unknown or missing state: ErrorCode::protocol naming the value. Not JSON / not an object:
// ErrorCode::protocol quoting at most ~200 characters of the body. Mistyped optional fields are
// ignored, never thrown on.
[[nodiscard]] Result<RunResult> parse_status(std::string_view body, const std::string& kickoff_id);

// PENDING, STARTED or RUNNING (any dialect's spelling) when `body` is a status object that
// parse_status would read as that state; nullopt for everything else (an end, a pause, an error,
// a body it would refuse): then call parse_status. Builds no DOM: for the polls of a run going on.
[[nodiscard]] std::optional<RunState> peek_running_state(std::string_view body);

}  // namespace crewai::protocol

// protocol/requests.hpp — request bodies for /kickoff, /resume and a flow callback, and the 200
// answers of /kickoff, /inputs and /resume. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "crewai/types.hpp"

namespace crewai::protocol {

// Every field at the top level beside `inputs`; non-string input values as their JSON text;
// empty optional fields omitted.
// `typed` (flows): input values keep their JSON types.
Json kickoff_body(const KickoffRequest& r, bool typed = false);

// Flows: refuses an `id` input (deprecated; reusing it merges executions), pointing to
// restoreFromStateId. Empty when the inputs are acceptable.
std::string flow_inputs_problem(const Json& inputs);
// Names in `inputs` (an object) that `known` lacks, in the inputs' order.
std::vector<std::string> unknown_inputs(const std::vector<std::string>& known, const Json& inputs);

// Every field in both spellings (execution_id/executionId, task_id/taskId,
// human_feedback/humanFeedback, is_approve/isApprove: the live service wants camelCase, the docs
// snake_case) and the webhooks again (URLs, human-input in both forms, streaming) when given.
Json resume_body(const ResumeRequest& r);

// {"feedback", "source"}: the answer to a flow's request, POSTed to its callback_url.
Json flow_answer_body(const FlowAnswer& a);

// {"kickoff_id": "<non-empty string>"}; anything else is a protocol error quoting the body.
[[nodiscard]] Result<std::string> parse_kickoff_response(std::string_view body);
// {"inputs": ["name", ...]}.
[[nodiscard]] Result<std::vector<std::string>> parse_inputs_response(std::string_view body);
// {"status", "message"} and/or {"kickoff_id"} (kickoffId too); each optional.
[[nodiscard]] Result<ResumeResponse> parse_resume_response(std::string_view body);

// POST /stop/{id} 2xx: {"status": "stopped", "kickoffId"} (any of it may be missing).
CancelResult parse_stop_response(std::string_view body, const std::string& kickoff_id);
// The run state a refusal names, e.g. "Cannot stop execution. Current state: SUCCESS" -> success
// (raw "SUCCESS"). nullopt when the text names none.
std::optional<std::pair<RunState, std::string>> state_named_in(std::string_view text);

// Names in `required` that `inputs` (an object) lacks, in `required`'s order.
std::vector<std::string> missing_inputs(const std::vector<std::string>& required, const Json& inputs);

}  // namespace crewai::protocol

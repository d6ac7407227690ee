// crewai/webhooks.hpp — reading what a deployment POSTs to your endpoint: a paused flow's request
// for human feedback, a paused crew's human-input callback, task and crew webhooks, streamed events.
//
// A flow that needs feedback goes PAUSED (with flow_id) and the platform POSTs, to the kickoff's
// humanInputWebhook, {"event": "new_request", "request": {...}, "callback_url", ...} signed with
// X-Timestamp and X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>.
// read_flow_request checks that signature, then reads the body (FlowRequest, types.hpp); answer
// with Client::answer_flow. Pure functions, safe from any thread; no error ever contains the
// secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crewai/types.hpp"

namespace crewai {

// `body` exactly as received (the signature covers its bytes). With a non-empty `secret`, a
// missing timestamp or signature, or a signature that does not match, is ErrorCode::unauthenticated
// and the body is not read. With an empty `secret` nothing is checked: do that only when your
// endpoint is authenticated some other way (the humanInputWebhook's own bearer token). A body that
// is not a new_request or has no callback_url is ErrorCode::protocol. The timestamp is signed, not
// judged: check its age yourself if a replayed request matters to you.
[[nodiscard]] Result<FlowRequest> read_flow_request(std::string_view body, std::string_view timestamp,
                                      std::string_view signature, std::string_view secret);

// The same, taking X-Timestamp and X-Signature from the request's headers (names compared without
// regard to case).
[[nodiscard]] Result<FlowRequest> read_flow_request(
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view secret);

// ---- The other bodies a deployment POSTs (AMP-API.md, "Webhook payloads" and "Live behaviour").
// None carries a secret on the live service (streaming aside): treat them as hints and confirm with
// GET /status. Keys are read tolerantly (snake_case or camelCase, missing ones empty/null). A body
// that is not a JSON object, or lacks what identifies it (named below), is ErrorCode::protocol.

// A crew paused for human input: {"kickoff_id", "execution_id", "task_id", "task_output", "meta"}
// (live; `task_id` is a UUID, not the task's name). Needs an execution or kickoff id and a task id.
// Answer with Client::resume (execution_id, task_id).
struct HumanInputRequest {
  std::string kickoff_id;    // as sent (else the execution id)
  std::string execution_id;  // as sent (else the kickoff id): ResumeRequest::execution_id
  std::string task_id;
  std::string task_output;
  Json meta;
};
[[nodiscard]] Result<HumanInputRequest> read_human_input(std::string_view body);

// One task finished: {"name", "description", "expected_output", "agent", "output", "output_json",
// "summary", "kickoff_id", "meta"}. Needs a kickoff id.
struct TaskWebhook {
  std::string kickoff_id, name, description, expected_output, agent, output, summary;
  Json output_json, meta;
};
[[nodiscard]] Result<TaskWebhook> read_task_webhook(std::string_view body);

// The run finished: {"kickoff_id", "result", "result_json", "token_usage", "meta"}. Needs a kickoff
// id. `result_json` is the object (or JSON text decoded), else null.
struct CrewWebhook {
  std::string kickoff_id;
  std::optional<std::string> result;
  Json result_json, token_usage, meta;
};
[[nodiscard]] Result<CrewWebhook> read_crew_webhook(std::string_view body);

// Streaming (`webhooks`): {"events": [{"id", "execution_id", "timestamp", "type", "data"}, ...]}, or
// one event object (realtime deliveries). Events without an id are dropped (they cannot be deduped).
struct StreamEvent {
  std::string id, execution_id, type;
  std::string timestamp;  // as sent (ISO 8601, or a number's text)
  Json data;              // null when absent
};
[[nodiscard]] Result<std::vector<StreamEvent>> read_stream_events(std::string_view body);

// Adds `incoming` (one delivery) to `log`, dropping events already there (same execution_id + id:
// deliveries repeat), and keeps `log` in event order: by timestamp (ISO 8601 with any offset, or
// epoch seconds), then data.emission_sequence, then arrival. Returns how many events were new.
// Deliveries arrive out of order: feed every one through this and read `log`.
std::size_t merge_events(std::vector<StreamEvent>& log, std::vector<StreamEvent> incoming);

}  // namespace crewai

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

// Checks a paused flow's signed request and reads it. `body` exactly as received (the signature
// covers its bytes). With a non-empty `secret`, a missing timestamp or signature, or a signature
// that does not match, is ErrorCode::unauthenticated and the body is not read. With an empty
// `secret` nothing is checked: do that only when your endpoint is authenticated some other way (the
// humanInputWebhook's own bearer token). A body that is not a new_request or has no callback_url is
// ErrorCode::protocol. The timestamp is signed, not judged: check its age yourself if a replayed
// request matters to you.
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
  // The paused task (`task_id`, or the id inside a `task` object): ResumeRequest::task_id. Never
  // empty.
  std::string task_id;
  // What the task produced, for the human to review before approving or rejecting it
  // (ResumeRequest::is_approve); empty when the body carries none.
  std::string task_output;
  // The kickoff's `meta`, echoed (a batch finds its item by meta.requestId); null when absent.
  Json meta;
};
// Reads the body POSTed to the kickoff's human-input webhook when a crew task with human input
// finishes: live, the only sign of the pause (GET /status reads NOT FOUND meanwhile). It carries
// no Authorization header: hand out a URL with an unguessable secret in it and check that.
// ErrorCode::protocol when the body is not a JSON object or lacks an execution/kickoff id or a
// task id (the error quotes the body's start).
[[nodiscard]] Result<HumanInputRequest> read_human_input(std::string_view body);

// One task finished: {"name", "description", "expected_output", "agent", "output", "output_json",
// "summary", "kickoff_id", "meta"}. Needs a kickoff id. A text field sent as another JSON value
// holds its JSON text; one not sent is empty.
struct TaskWebhook {
  // The run (`kickoff_id`, or kickoffId / execution_id); never empty.
  std::string kickoff_id;
  // The task's name in the crew's definition (`name`, or `task_name`).
  std::string name;
  // The task's description, as the crew defines it.
  std::string description;
  // What the crew's definition says the task should produce.
  std::string expected_output;
  // The role of the agent that ran the task (`agent`, or `agent_role`).
  std::string agent;
  // The task's raw output (`output`, or `raw`).
  std::string output;
  // crewAI's short label for the task: the first words of its description.
  std::string summary;
  // The task's structured output when it declares one (output_json / output_pydantic), as sent
  // (not decoded when it is JSON text); null otherwise.
  Json output_json;
  // The kickoff's `meta`, echoed; null when the kickoff sent none.
  Json meta;
};
// Reads the body POSTed to the kickoff's taskWebhookUrl, once per finished task (unauthenticated
// live: a hint, not a record). ErrorCode::protocol when it is not a JSON object or has no kickoff
// id.
[[nodiscard]] Result<TaskWebhook> read_task_webhook(std::string_view body);

// The run finished: {"kickoff_id", "result", "result_json", "token_usage", "meta"}. Needs a kickoff
// id. `result_json` is the object (or JSON text decoded), else null.
struct CrewWebhook {
  // The run (`kickoff_id`, or kickoffId / execution_id); never empty.
  std::string kickoff_id;
  // The final output as text (another JSON value as its JSON text); nullopt when null or absent.
  std::optional<std::string> result;
  // The final output as a JSON object or array: `result_json` as sent, or decoded when the
  // service sent it as JSON text (text that is not an object or array is dropped); null otherwise.
  Json result_json;
  // {"total_tokens", "prompt_tokens", "completion_tokens"} as sent; null when absent.
  Json token_usage;
  // The kickoff's `meta`, echoed; null when the kickoff sent none.
  Json meta;
};
// Reads the body POSTed to the kickoff's crewWebhookUrl. Live it comes once, when the run
// succeeds (never for a run that failed before it started), with no Authorization header: let it
// end a wait early and take the final record from GET /status. ErrorCode::protocol when it is not
// a JSON object or has no kickoff id.
[[nodiscard]] Result<CrewWebhook> read_crew_webhook(std::string_view body);

// Streaming (`webhooks`): {"events": [{"id", "execution_id", "timestamp", "type", "data"}, ...]}, or
// one event object (realtime deliveries). Events without an id are dropped (they cannot be deduped).
struct StreamEvent {
  // The event's id (`id`, or event_id; a number as its text); never empty. Unique within its
  // execution: merge_events dedupes on execution_id + id.
  std::string id;
  // The run the event belongs to (`execution_id`, or kickoff_id, else the kickoff id inside
  // `data`); empty when none is sent.
  std::string execution_id;
  // crewAI's event-bus type: crew_kickoff_started, task_completed, flow_finished,
  // llm_call_started, tool_usage_finished, ... (`type`, or event_type); empty when absent.
  // StreamingWebhooks::events chooses which types the service sends.
  std::string type;
  // When the event happened, as sent (`timestamp`, or created_at): ISO 8601 with any offset, or
  // epoch seconds or milliseconds as a number's text; empty when absent. merge_events orders by it.
  std::string timestamp;
  // The event's payload, by type (data.emission_sequence breaks timestamp ties); null when absent.
  Json data;
};
// Reads one delivery POSTed to the `webhooks` url: a batch {"events": [...]} or a single event
// (realtime). Live it carries Authorization: Bearer <StreamingWebhooks::bearer_token>: check it
// first. The events come in delivery order, which is not event order: feed them to merge_events.
// Batch entries that are not objects or have no id are skipped; ErrorCode::protocol when the body
// is not a JSON object, or is neither a batch nor an event with an id.
[[nodiscard]] Result<std::vector<StreamEvent>> read_stream_events(std::string_view body);

// Adds `incoming` (one delivery) to `log`, dropping events already there (same execution_id + id:
// deliveries repeat), and keeps `log` in event order: by timestamp (ISO 8601 with any offset, or
// epoch seconds), then data.emission_sequence, then arrival. Returns how many events were new.
// Deliveries arrive out of order: feed every one through this and read `log`.
std::size_t merge_events(std::vector<StreamEvent>& log, std::vector<StreamEvent> incoming);

}  // namespace crewai

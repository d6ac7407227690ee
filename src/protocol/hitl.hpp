// protocol/hitl.hpp — human-in-the-loop webhook payloads and flow webhook signatures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crewai/types.hpp"

namespace crewai::protocol {

// What a crew's humanInputWebhook POST carries. Key names are undocumented, so they are read
// tolerantly (execution_id / kickoff_id / executionId..., task_id / task.id..., task_output /
// output / task.output...). Without an execution id and a task id: ErrorCode::protocol.
struct HitlPayload {
  std::string execution_id, task_id, task_output;
  Json meta;
};
[[nodiscard]] Result<HitlPayload> parse_hitl_payload(std::string_view body);

// A flow's `new_request` body: {"event": "new_request", "request": {...}, "callback_url", ...}.
// Read tolerantly: the request's fields may also sit at the top level; execution_id / flow_id /
// kickoff_id (and camelCase), method / method_name / step, output / method_output / result (JSON
// text when not a string), message / prompt; callback_url / callbackUrl at either level. Not JSON,
// another `event`, or no callback URL: ErrorCode::protocol.
[[nodiscard]] Result<FlowRequest> parse_flow_request(std::string_view body);

// The kickoff (execution) ids a webhook body names, without repeats, in order of appearance: the
// crew/task/step/human-input payloads' `kickoff_id` / `execution_id` (and camelCase spellings),
// each streaming event's `execution_id` (or its `data`'s), and a flow request's. Empty when the
// body is not JSON or names none. Read tolerantly: the payload keys are undocumented.
std::vector<std::string> webhook_kickoff_ids(std::string_view body);

// True when `signature_header` ("sha256=<hex>", or bare hex) is the HMAC-SHA256 of
// "<timestamp>.<body>" under `secret`. Constant-time comparison; an empty secret never verifies.
bool verify_flow_signature(std::string_view secret, std::string_view timestamp, std::string_view body,
                           std::string_view signature_header);

}  // namespace crewai::protocol

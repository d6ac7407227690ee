// hooks.hpp — the human-input POSTs the simulator makes when a run pauses, and webhook auth.
//
// A crew's pause sends the HITL payload (answered with POST /resume). A flow's pause sends the
// platform's signed request: {"event": "new_request", "request": {...}, "callback_url"}, with
// X-Timestamp (unix seconds) and X-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>,
// answered with POST <callback_url> {"feedback", "source"}. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "run.hpp"

namespace crewai::sim::detail {

// The callback path of a paused flow run: "/flows/<kickoff id>/feedback".
std::string flow_callback_path(const std::string& kickoff_id);
// The kickoff id of a callback path, or "" when `path` is not one.
std::string flow_callback_id(const std::string& path);

// Lower-case hex HMAC-SHA256 of `message` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// A crew task paused for input: {kickoff_id, execution_id, task_id, task_output, meta}.
Outgoing crew_hitl_request(const json& human_hook, const Run& r, const std::string& task,
                           const std::string& output);
// A flow method paused for feedback: the signed new_request, `unix_seconds` as X-Timestamp.
Outgoing flow_request(const FlowHitl& cfg, const json& human_hook, const Run& r,
                      const std::string& flow_name, const std::string& method,
                      const std::string& output, std::int64_t unix_seconds);

// "Authorization" header for a webhook `authentication` object (bearer or basic); nothing
// otherwise.
void add_auth_header(const json& authentication,
                     std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace crewai::sim::detail

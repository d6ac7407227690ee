// crewai/webhooks.hpp — reading what a deployment POSTs to your endpoint: a paused flow's request
// for human feedback.
//
// A flow that needs feedback goes PAUSED (with flow_id) and the platform POSTs, to the kickoff's
// humanInputWebhook, {"event": "new_request", "request": {...}, "callback_url", ...} signed with
// X-Timestamp and X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>.
// read_flow_request checks that signature, then reads the body (FlowRequest, types.hpp); answer
// with Client::answer_flow. Pure functions, safe from any thread; no error ever contains the
// secret.
#pragma once

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
Result<FlowRequest> read_flow_request(std::string_view body, std::string_view timestamp,
                                      std::string_view signature, std::string_view secret);

// The same, taking X-Timestamp and X-Signature from the request's headers (names compared without
// regard to case).
Result<FlowRequest> read_flow_request(
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view secret);

}  // namespace crewai

// crewai/types.hpp — the values exchanged with a deployed crew: requests and the RunResult.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crewai/error.hpp"

namespace crewai {

/// JSON values (inputs, results, raw bodies): nlohmann::json.
using Json = nlohmann::json;

// Every lifecycle state of a run, across the AMP dialects (see AMP-API.md).
enum class RunState {
  pending,    // PENDING, "pending"
  started,    // STARTED
  running,    // RUNNING, "running"
  paused,     // PAUSED: waiting for human input (crews: /resume; flows: platform callback)
  success,    // SUCCESS, "completed"
  failed,     // FAILED, FAILURE, "error"
  revoked,    // REVOKED: cancelled in the dashboard
  not_found,  // "NOT FOUND" (celery-legacy) or HTTP 404 after the grace period
};

std::string_view to_string(RunState s) noexcept;  // "PENDING", "SUCCESS", ...
bool is_terminal(RunState s) noexcept;            // success, failed, revoked, not_found
bool stops_polling(RunState s) noexcept;          // terminal or paused

// What is deployed (an option, not a guess: nothing on the wire tells them apart). Crews take string
// input values and require every name /inputs lists; flows take typed values (a list sent as the
// string "[]" fails the run), /inputs lists optional state fields, and `id` must not be sent.
enum class DeploymentKind { crew, flow };
std::string_view to_string(DeploymentKind k) noexcept;  // "crew", "flow"
// The kind named `s`: exactly "crew" or "flow", lower case, as CREWAI_KIND, crewctl --kind and a
// profile's `kind` spell it. nullopt for anything else, so that the caller can name the bad value.
std::optional<DeploymentKind> deployment_kind_from_string(std::string_view s) noexcept;

/// How far a run has come, as the status reports it; every field is optional.
struct Progress {
  std::string unit;  // "task" or "step" (empty when unknown)
  ///@{
  /// Units (tasks or steps) completed, in all, and remaining.
  std::optional<std::int64_t> completed, total, remaining;
  ///@}
  ///@{
  /// The current unit and its agent, and when the run started and was last updated (as sent).
  std::optional<std::string> current, current_agent, started_at, updated_at;
  ///@}
  /// Seconds the run has taken, as the server counts them.
  std::optional<double> duration_seconds;
};

// One outcome of `GET /status/{id}` or of a whole run (kickoff + wait).
struct RunResult {
  /// The run's kickoff id (the UUID POST /kickoff answered); after a live resume, the new id the
  /// resumed work runs under (resumed_from has the old one).
  std::string kickoff_id;
  Json inputs = Json::object();   // what was sent (empty when only the id was known)
  /// The run's state, mapped from whichever dialect the deployment speaks (raw_state keeps its
  /// spelling).
  RunState state = RunState::pending;
  std::string raw_state;          // as the server spelled it ("FAILURE", "completed", ...)
  std::string message;            // the server's `status` message, or the error text on failure
  // The final output as text: `result` (or the old dialect's result.output), else result_json's
  // JSON text. For flows often JSON text itself (see result_json). nullopt while there is none.
  std::optional<std::string> result;
  Json result_json;               // result_json, else `result` decoded when it is JSON text; null otherwise
  /// Progress, when the status reports it.
  std::optional<Progress> progress;
  Json usage_metrics;             // the status' token counts, as sent; null when unknown
  // Crews: the last task run (`last_executed_task`), as sent: a string or an object (both are seen
  // live; the object echoes the kickoff's meta). Null when absent.
  Json last_executed_task;
  std::optional<std::string> flow_id;  // set while a flow is paused
  // Set on the run that a resume started (Client::resume_and_wait): the kickoff id it was resumed
  // from. The live /resume answers a new kickoff id and kickoff_id is then that new one.
  std::optional<std::string> resumed_from;
  ///@{
  // Pause (state == paused): what is needed to answer it with Client::resume.
  std::optional<std::string> pause_task_id;
  std::optional<std::string> pause_task_output;
  ///@}
  ///@{
  // Client-side timing: kickoff accepted, terminal state observed.
  std::optional<std::chrono::system_clock::time_point> started_at, finished_at;
  ///@}
  /// Seconds from kickoff to the terminal state (client-side).
  std::optional<double> duration_seconds;
  Json raw;                       // the last status body as received
  // What the client noticed and let through, e.g. flow inputs the state model lacks (run()).
  std::vector<std::string> warnings;

  /// The run succeeded.
  bool is_success() const noexcept { return state == RunState::success; }
  /// The run has ended (success, failed, revoked, not found).
  bool is_terminal() const noexcept { return crewai::is_terminal(state); }
  /// The run waits for human input.
  bool is_paused() const noexcept { return state == RunState::paused; }

  // The result as JSON: result_json, else JSON found in the text (a JSON string, a fenced ```json
  // block, an embedded object). A protocol error when there is none.
  [[nodiscard]] Result<Json> json() const;

  // The result converted through nlohmann's from_json (ADL or adl_serializer).
  template <class T>
  [[nodiscard]] Result<T> as() const {
    auto j = json();
    if (!j) return tl::unexpected(j.error());
    try {
      return j->template get<T>();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::protocol, std::string("result does not convert: ") + e.what());
    }
  }

  // Checks the result against a JSON Schema (draft 4/7 via valijson). The error lists every
  // violation as "<json pointer>: <message>".
  [[nodiscard]] Result<Json> validated(const Json& schema) const;
};

/// Where a crew asks for human input (the kickoff's humanInputWebhook), and how it authenticates.
struct HumanInputWebhook {
  /// The endpoint the platform POSTs the request to.
  std::string url;
  ///@{
  /// How the platform authenticates to it: none, a bearer token, or basic (user and password).
  enum class Auth { none, bearer, basic } auth = Auth::none;
  ///@}
  std::string token;     // auth bearer: sent as {"strategy": "bearer", "token"}
  std::string username;  // auth basic: the user name of HTTP Basic
  std::string password;  // auth basic: its password (never logged)
};

/// The run's events streamed to a URL (the kickoff's `webhooks` block).
struct StreamingWebhooks {
  /// Only these event types (crew_kickoff_started, task_completed, ...); empty: all.
  std::vector<std::string> events;
  /// The endpoint that receives the events.
  std::string url;
  /// One POST per event instead of batches.
  bool realtime = false;
  // The secret the platform sends back as Authorization: Bearer on every delivery, for your
  // endpoint to check; empty: no authentication block is sent.
  std::string bearer_token;
};

/// What POST /kickoff sends: the inputs, and the optional metadata and webhooks.
struct KickoffRequest {
  Json inputs = Json::object();  // crews: non-string values are sent as their JSON text; flows: as is
  Json meta;                     // null: not sent
  ///@{
  /// Called after each task, each agent step, and when the crew finishes.
  std::string task_webhook_url, step_webhook_url, crew_webhook_url;
  ///@}
  /// Where the crew asks for human input.
  std::optional<HumanInputWebhook> human_input_webhook;
  /// Stream the run's events to a URL.
  std::optional<StreamingWebhooks> webhooks;
  /// Flows: start from this persisted state (empty: not sent).
  std::string restore_from_state_id;
};

/// What POST /resume sends to answer a paused crew task.
struct ResumeRequest {
  std::string execution_id;  // the paused run's kickoff id (sent as execution_id and executionId)
  /// The paused task's id (RunResult::pause_task_id).
  std::string task_id;
  /// The human's feedback.
  std::string human_feedback;
  /// true approves the task output; false rejects it and the task runs again.
  bool is_approve = true;
  ///@{
  // Not carried over from the kickoff by the service: send them again or they stop.
  std::string task_webhook_url, step_webhook_url, crew_webhook_url;
  std::optional<HumanInputWebhook> human_input_webhook;  // for the next pause of the resumed run
  std::optional<StreamingWebhooks> webhooks;             // event streaming for the resumed run
  ///@}
};

/// The answer to POST /resume. Either shape is read: the docs' {"status", "message"} and the
/// live {"kickoff_id"}.
struct ResumeResponse {
  std::string status;   // "resumed", "retrying", "completed" (empty in the live answer)
  /// The server's message.
  std::string message;
  // Live: the resumed work runs under this new kickoff id (follow it, not the paused one).
  // Empty: it goes on under the same id.
  std::string kickoff_id;
};

// The answer to Client::cancel (POST /stop/{id}). Stopping a run that has already ended is not an
// error of the call: `stopped` is false and `state` says how it ended.
struct CancelResult {
  /// The run asked to stop.
  std::string kickoff_id;
  bool stopped = false;            // the deployment took the stop; the run then reads REVOKED
  std::optional<RunState> state;   // not stopped: the state the run had already reached, when known
  std::string raw_state;           // as the server spelled it ("SUCCESS", ...)
  std::string message;             // the server's status / message / detail
};

// A paused flow's request for human feedback: the `new_request` webhook the platform POSTs
// (read it with crewai::read_flow_request, <crewai/webhooks.hpp>). Answer with Client::answer_flow.
struct FlowRequest {
  std::string execution_id;  // the kickoff id (also the status' flow_id); may be empty
  std::string callback_url;  // where the answer goes; always set
  std::string method;        // the flow method waiting for feedback
  std::string output;        // its output, to show the human (JSON text when not a string)
  std::string message;       // what the human is asked
  Json request;              // the `request` object as received
};

// The answer to a FlowRequest: POST <callback_url> {"feedback", "source"}.
struct FlowAnswer {
  std::string callback_url;  // FlowRequest::callback_url: must be on the client's base_url origin
  /// The human's answer.
  std::string feedback;
  /// Where the answer comes from (sent as `source`).
  std::string source = "api";
};

}  // namespace crewai

#include "protocol/status.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "protocol/json_util.hpp"
#include "protocol/typed_output.hpp"

namespace crewai {

std::string_view to_string(RunState s) noexcept {
  switch (s) {
    case RunState::pending: return "PENDING";
    case RunState::started: return "STARTED";
    case RunState::running: return "RUNNING";
    case RunState::paused: return "PAUSED";
    case RunState::success: return "SUCCESS";
    case RunState::failed: return "FAILED";
    case RunState::revoked: return "REVOKED";
    case RunState::not_found: return "NOT FOUND";
  }
  return "UNKNOWN";
}

bool is_terminal(RunState s) noexcept {
  return s == RunState::success || s == RunState::failed || s == RunState::revoked ||
         s == RunState::not_found;
}

bool stops_polling(RunState s) noexcept { return is_terminal(s) || s == RunState::paused; }

std::string_view to_string(DeploymentKind k) noexcept {
  return k == DeploymentKind::flow ? "flow" : "crew";
}

std::optional<DeploymentKind> deployment_kind_from_string(std::string_view s) noexcept {
  if (s == "crew") return DeploymentKind::crew;
  if (s == "flow") return DeploymentKind::flow;
  return std::nullopt;
}

}  // namespace crewai

namespace crewai::protocol {
namespace {

constexpr std::size_t kBodyExcerpt = 200;

// Every top-level member the readers below look at: RawBody::drop parses only these. The
// parse_status tests and the status fuzz target compare both readings of the same bodies, so a
// reader that looks at a member missing here fails them.
constexpr std::array<std::string_view, 19> kReadMembers{
    "state", "status", "result", "result_json", "progress", "current_task", "execution_time",
    "usage_metrics", "last_executed_task", "flow_id", "error", "error_message", "message",
    "pause_task_id", "task_id", "taskId", "pause_task_output", "task_output", "taskOutput"};

struct Spelling {
  std::string_view text;  // upper-case
  RunState state;
};

constexpr std::array<Spelling, 11> kSpellings{{
    {"PENDING", RunState::pending},   {"STARTED", RunState::started},
    {"RUNNING", RunState::running},   {"PAUSED", RunState::paused},
    {"SUCCESS", RunState::success},   {"COMPLETED", RunState::success},
    {"FAILED", RunState::failed},     {"FAILURE", RunState::failed},
    {"ERROR", RunState::failed},      {"REVOKED", RunState::revoked},
    {"NOT FOUND", RunState::not_found},
}};

tl::unexpected<Error> protocol_error(std::string message, const std::string& kickoff_id) {
  auto e = make_error(ErrorCode::protocol, std::move(message));
  e.value().kickoff_id = kickoff_id;
  return e;
}

// Text of a value that may be a string, an object/array (dumped) or a scalar.
std::optional<std::string> as_text(const Json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  return dump_json(v);
}

// Whether `text` can be JSON of an object, an array or a string (that may hold one): only such
// text is handed to the parser. A Markdown result, read at every run's end, would fail there, and
// a failed parse costs nlohmann's error text (~1.5% of a batch's CPU in a profile, issue 13).
bool may_be_structured(std::string_view text) {
  const auto at = text.find_first_not_of(" \t\n\r");
  return at != std::string_view::npos && (text[at] == '{' || text[at] == '[' || text[at] == '"');
}

// JSON text of an object or array (a JSON string holding such text is decoded once more).
Json decode_structured(const std::string& text) {
  if (!may_be_structured(text)) return nullptr;
  auto j = try_parse(text);
  if (!j) return nullptr;
  if (j->is_string()) {
    const auto& inner = j->get_ref<const std::string&>();
    j = may_be_structured(inner) ? try_parse(inner) : std::nullopt;
  }
  if (j && (j->is_object() || j->is_array())) return *j;
  return nullptr;
}

// The member, moved out of `body` when the caller keeps no body (RawBody::drop) instead of copied:
// usage_metrics and result_json are small DOMs, a score of allocations per run's end.
Json take(Json& body, std::string_view key, RawBody raw) {
  if (raw == RawBody::keep) return member(body, key);
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  return it == body.end() ? Json(nullptr) : std::move(*it);
}

void read_result(Json& body, RunResult& r, RawBody raw) {
  const Json& result = member(body, "result");
  if (result.is_string()) {
    r.result = result.get<std::string>();
    r.result_json = decode_structured(*r.result);
  } else if (result.is_object() && result.contains("output")) {
    const Json& output = result["output"];
    r.result = as_text(output);
    if (output.is_object() || output.is_array()) r.result_json = output;
    else if (output.is_string()) r.result_json = decode_structured(output.get<std::string>());
  } else if (!result.is_null()) {
    r.result = dump_json(result);
    if (result.is_object() || result.is_array()) r.result_json = result;
  }
  const Json& rj = member(body, "result_json");
  if (rj.is_object() || rj.is_array()) {
    r.result_json = take(body, "result_json", raw);
  } else if (rj.is_string()) {
    Json decoded = decode_structured(rj.get<std::string>());
    if (!decoded.is_null()) r.result_json = std::move(decoded);
  }
  if (!r.result && !r.result_json.is_null()) r.result = dump_json(r.result_json);
}

void read_progress(const Json& body, RunResult& r) {
  const Json& p = member(body, "progress");
  Progress out;
  bool any = false;
  if (p.is_object()) {
    any = true;
    out.unit = get_string(p, "unit").value_or("");
    out.completed = get_int(p, "completed");
    if (!out.completed) out.completed = get_int(p, "completed_tasks");
    out.total = get_int(p, "total");
    if (!out.total) out.total = get_int(p, "total_tasks");
    out.remaining = get_int(p, "remaining");
    out.current = get_string(p, "current");
    if (!out.current) out.current = get_string(p, "current_task");
    out.current_agent = get_string(p, "current_agent");
    out.started_at = get_string(p, "started_at");
    out.updated_at = get_string(p, "updated_at");
    out.duration_seconds = get_number(p, "duration_seconds");
    if (out.unit.empty() && (p.contains("completed_tasks") || p.contains("total_tasks"))) out.unit = "task";
  }
  if (auto current = get_string(body, "current_task"); current && !out.current) {
    out.current = std::move(current);
    any = true;
  }
  if (auto t = get_number(body, "execution_time"); t && !out.duration_seconds) {
    out.duration_seconds = t;
    any = true;
  }
  if (any) r.progress = std::move(out);
}

void read_pause(const Json& body, RunResult& r) {
  const Json& last = member(body, "last_executed_task");
  r.pause_task_id = first_string(body, {"pause_task_id", "task_id", "taskId"});
  if (!r.pause_task_id) r.pause_task_id = first_string(last, {"id", "task_id", "name"});
  if (!r.pause_task_id && last.is_string() && !last.get<std::string>().empty())
    r.pause_task_id = last.get<std::string>();
  r.pause_task_output = first_string(body, {"pause_task_output", "task_output", "taskOutput"});
  if (!r.pause_task_output) r.pause_task_output = first_string(last, {"output", "task_output", "raw"});
  if (!r.pause_task_output && r.result) r.pause_task_output = r.result;  // AMP puts it in `result`
}

// Failure text: the AMP `status` message, else `error`/`error_message`, else the result.
std::string failure_message(const Json& body, bool status_is_message, const RunResult& r) {
  if (status_is_message) {
    if (auto s = get_string(body, "status"); s && !s->empty()) return *s;
  }
  for (auto key : {"error", "error_message"}) {
    const Json& e = member(body, key);
    if (e.is_string() && !e.get_ref<const std::string&>().empty()) return e.get<std::string>();
    if (e.is_object()) {
      if (auto m = first_string(e, {"message", "detail", "error"})) return *m;
      return dump_json(e);
    }
  }
  return r.result.value_or("");
}

}  // namespace

std::optional<RunState> parse_state(std::string_view s) {
  s = trim(s);
  std::string upper(s);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& sp : kSpellings) {
    if (sp.text == upper) return sp.state;
  }
  return std::nullopt;
}

namespace {

RunResult going_result(const std::string& kickoff_id, RunState state) {
  RunResult r;
  r.kickoff_id = kickoff_id;
  r.state = state;
  return r;
}

// parse_status's reading from `parsed`: the members RawBody::drop builds, or nullopt to parse the
// body whole.
Result<RunResult> read_status(std::optional<Json> parsed, std::string_view body,
                              const std::string& kickoff_id, RawBody raw) {
  if (!parsed) parsed = try_parse(body);
  if (!parsed)
    return protocol_error("status body is not JSON: " + excerpt(body, kBodyExcerpt), kickoff_id);
  if (!parsed->is_object())
    return protocol_error("status body is not a JSON object: " + excerpt(body, kBodyExcerpt), kickoff_id);
  Json& j = *parsed;

  RunResult r;
  r.kickoff_id = kickoff_id;
  const Json& state = member(j, "state");
  const Json& status = member(j, "status");
  bool status_is_message = true;
  std::optional<RunState> parsed_state;
  if (state.is_string()) {
    r.raw_state = state.get<std::string>();
    parsed_state = parse_state(r.raw_state);
    if (!parsed_state) return protocol_error("unknown run state \"" + excerpt(r.raw_state, 100) + "\"", kickoff_id);
  } else if (!state.is_null()) {
    return protocol_error("unreadable run state " + excerpt(dump_json(state), 100), kickoff_id);
  } else if (status.is_string() && parse_state(status.get_ref<const std::string&>())) {
    r.raw_state = status.get<std::string>();
    parsed_state = parse_state(r.raw_state);
    status_is_message = false;
  } else if (!status.is_null()) {
    return protocol_error("unknown run state \"" + excerpt(as_text(status).value_or(""), 100) + "\"",
                          kickoff_id);
  } else {
    return protocol_error("status body has no state: " + excerpt(body, kBodyExcerpt), kickoff_id);
  }
  r.state = *parsed_state;

  read_result(j, r, raw);
  read_progress(j, r);
  r.usage_metrics = take(j, "usage_metrics", raw);
  r.flow_id = get_string(j, "flow_id");
  if (r.state == RunState::failed) {
    r.message = failure_message(j, status_is_message, r);
  } else if (status_is_message) {
    r.message = get_string(j, "status").value_or("");
  } else {
    r.message = first_string(j, {"message"}).value_or("");
  }
  if (r.state == RunState::paused) read_pause(j, r);
  r.last_executed_task = take(j, "last_executed_task", raw);  // after read_pause, which reads it
  if (raw == RawBody::keep) r.raw = std::move(*parsed);
  return r;
}

}  // namespace

Result<RunResult> parse_status(std::string_view body, const std::string& kickoff_id, RawBody raw) {
  std::optional<Json> members;
  if (raw == RawBody::drop) members = object_members(body, kReadMembers);
  return read_status(std::move(members), body, kickoff_id, raw);
}

Result<RunResult> read_poll(std::string_view body, const std::string& kickoff_id, RawBody raw) {
  if (raw == RawBody::keep) {
    if (auto going = peek_running_state(body)) return going_result(kickoff_id, *going);
    return parse_status(body, kickoff_id, raw);
  }
  PollScan scan = scan_poll(body, kReadMembers);
  if (scan.going) return going_result(kickoff_id, *scan.going);
  return read_status(std::move(scan.members), body, kickoff_id, raw);
}

}  // namespace crewai::protocol

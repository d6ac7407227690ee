#include "protocol/requests.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "protocol/json_util.hpp"
#include "protocol/status.hpp"

namespace crewai::protocol {
namespace {

constexpr std::size_t kBodyExcerpt = 200;

tl::unexpected<Error> protocol_error(std::string what, std::string_view body) {
  return make_error(ErrorCode::protocol, std::move(what) + ": " + excerpt(body, kBodyExcerpt));
}

Json inputs_as_strings(const Json& inputs) {
  if (inputs.is_null()) return Json::object();
  if (!inputs.is_object()) return inputs;
  Json out = Json::object();
  for (const auto& [key, value] : inputs.items()) {
    out[key] = value.is_string() ? value : Json(dump_json(value));
  }
  return out;
}

Json human_input_webhook(const HumanInputWebhook& h) {
  Json out = {{"url", h.url}};
  switch (h.auth) {
    case HumanInputWebhook::Auth::bearer:
      out["authentication"] = {{"strategy", "bearer"}, {"token", h.token}};
      break;
    case HumanInputWebhook::Auth::basic:
      out["authentication"] = {{"strategy", "basic"}, {"username", h.username}, {"password", h.password}};
      break;
    case HumanInputWebhook::Auth::none: break;
  }
  return out;
}

Json streaming_webhooks(const StreamingWebhooks& w) {
  Json out = {{"events", w.events}, {"url", w.url}, {"realtime", w.realtime}};
  if (!w.bearer_token.empty()) out["authentication"] = {{"strategy", "bearer"}, {"token", w.bearer_token}};
  return out;
}

void put_if(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

// The live service delivered the human-input callback for `humanInputWebhookUrl` (a string); the
// docs name the `humanInputWebhook` object. Both go out.
void put_hooks(Json& j, const std::optional<HumanInputWebhook>& human,
               const std::optional<StreamingWebhooks>& streaming) {
  if (human) {
    j["humanInputWebhook"] = human_input_webhook(*human);
    j["humanInputWebhookUrl"] = human->url;
  }
  if (streaming) j["webhooks"] = streaming_webhooks(*streaming);
}

[[nodiscard]] Result<Json> parse_object(std::string_view body, std::string_view what) {
  auto j = try_parse(body);
  if (!j) return protocol_error(std::string(what) + " is not JSON", body);
  if (!j->is_object()) return protocol_error(std::string(what) + " is not a JSON object", body);
  return std::move(*j);
}

}  // namespace

Json kickoff_body(const KickoffRequest& r, bool typed) {
  Json j = {{"inputs", typed ? (r.inputs.is_null() ? Json::object() : r.inputs)
                             : inputs_as_strings(r.inputs)}};
  if (!r.meta.is_null()) j["meta"] = r.meta;
  put_if(j, "taskWebhookUrl", r.task_webhook_url);
  put_if(j, "stepWebhookUrl", r.step_webhook_url);
  put_if(j, "crewWebhookUrl", r.crew_webhook_url);
  put_hooks(j, r.human_input_webhook, r.webhooks);
  put_if(j, "restoreFromStateId", r.restore_from_state_id);
  return j;
}

Json resume_body(const ResumeRequest& r) {
  Json j = {{"execution_id", r.execution_id}, {"executionId", r.execution_id},
            {"task_id", r.task_id},           {"taskId", r.task_id},
            {"human_feedback", r.human_feedback}, {"humanFeedback", r.human_feedback},
            {"is_approve", r.is_approve},     {"isApprove", r.is_approve}};
  put_if(j, "taskWebhookUrl", r.task_webhook_url);
  put_if(j, "stepWebhookUrl", r.step_webhook_url);
  put_if(j, "crewWebhookUrl", r.crew_webhook_url);
  put_hooks(j, r.human_input_webhook, r.webhooks);
  return j;
}

Json flow_answer_body(const FlowAnswer& a) {
  return {{"feedback", a.feedback}, {"source", a.source}};
}

Result<std::string> parse_kickoff_response(std::string_view body) {
  // One member read: nlohmann's parse of these ~55 bytes cost ~7 K instructions a kickoff, most of
  // it its per-parse setup (issue 13). A body the scan refuses is parsed whole, for its errors.
  constexpr std::string_view kRead[] = {"kickoff_id"};
  std::optional<Json> members = object_members(body, kRead);
  Result<Json> j =
      members ? Result<Json>(std::move(*members)) : parse_object(body, "kickoff answer");
  if (!j) return tl::unexpected(j.error());
  auto id = get_string(*j, "kickoff_id");
  if (!id || id->empty()) return protocol_error("kickoff answer has no kickoff_id", body);
  return std::move(*id);
}

Result<std::vector<std::string>> parse_inputs_response(std::string_view body) {
  auto j = parse_object(body, "inputs answer");
  if (!j) return tl::unexpected(j.error());
  const Json& list = member(*j, "inputs");
  if (!list.is_array()) return protocol_error("inputs answer has no \"inputs\" list", body);
  std::vector<std::string> names;
  for (const auto& v : list) {
    if (v.is_string()) {
      names.push_back(v.get<std::string>());
    } else if (auto name = get_string(v, "name")) {
      names.push_back(std::move(*name));
    } else {
      return protocol_error("inputs answer lists a non-name", body);
    }
  }
  return names;
}

Result<ResumeResponse> parse_resume_response(std::string_view body) {
  if (trim(body).empty()) return ResumeResponse{};
  auto j = parse_object(body, "resume answer");
  if (!j) return tl::unexpected(j.error());
  ResumeResponse out;
  out.status = get_string(*j, "status").value_or("");
  out.message = get_string(*j, "message").value_or("");
  out.kickoff_id = first_string(*j, {"kickoff_id", "kickoffId"}).value_or("");
  return out;
}

CancelResult parse_stop_response(std::string_view body, const std::string& kickoff_id) {
  CancelResult out;
  out.kickoff_id = kickoff_id;
  out.stopped = true;
  if (auto j = try_parse(body); j && j->is_object()) {
    out.message = first_string(*j, {"message", "status", "detail"}).value_or("");
  }
  if (out.message.empty()) out.message = "stopped";
  return out;
}

std::optional<std::pair<RunState, std::string>> state_named_in(std::string_view text) {
  static constexpr std::string_view kMarker = "state:";
  std::string lower(text);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = lower.rfind(kMarker);
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = trim(text.substr(at + kMarker.size()));
  while (!rest.empty() && (rest.back() == '.' || rest.back() == '"' || rest.back() == '\''))
    rest.remove_suffix(1);
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) rest.remove_prefix(1);
  auto state = parse_state(rest);
  if (!state) return std::nullopt;
  return std::make_pair(*state, std::string(rest));
}

std::string flow_inputs_problem(const Json& inputs) {
  if (inputs.is_object() && inputs.contains("id")) {
    return "a flow input named \"id\" is refused: it is deprecated and reusing it merges "
           "executions; to start from a saved state use restoreFromStateId (crewctl "
           "--restore-from-state-id KICKOFF_ID)";
  }
  return {};
}

std::vector<std::string> unknown_inputs(const std::vector<std::string>& known, const Json& inputs) {
  std::vector<std::string> out;
  if (!inputs.is_object()) return out;
  for (const auto& [name, value] : inputs.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) out.push_back(name);
  }
  return out;
}

std::vector<std::string> missing_inputs(const std::vector<std::string>& required, const Json& inputs) {
  std::vector<std::string> out;
  for (const auto& name : required) {
    if (!inputs.is_object() || !inputs.contains(name)) out.push_back(name);
  }
  return out;
}

}  // namespace crewai::protocol

// The bodies only the live dialect answers: FastAPI's auth texts and bare 500, and /resume as live
// deployments took it (camelCase fields, the resumed work under a new kickoff id).
#include "api.hpp"

namespace crewai::sim::detail {
namespace {

// One entry of a pydantic validation error list, as FastAPI puts it under "detail".
json field_error(const char* type, const char* field, const char* msg) {
  return {{"type", type}, {"loc", {"body", field}}, {"msg", msg}};
}

}  // namespace

Response Api::unauthorized(const std::string& header) const {
  Response out;
  if (!live()) {
    out = error(401, "Missing or invalid bearer token");
  } else {
    const bool bearer = header.rfind("Bearer ", 0) == 0;
    out =
        error(401, bearer ? "Invalid or missing authentication credentials" : "Not authenticated");
  }
  out.headers.emplace_back("WWW-Authenticate", "Bearer");
  return out;
}

Response Api::internal_error() const {
  Response r;
  r.status = 500;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "Internal Server Error";
  return r;
}

// {"executionId", "taskId", "humanFeedback"?, "isApprove"?, webhook fields?}. Snake_case names are
// not fields of this model: they are ignored, never refused.
Response Api::live_resume(const std::string& text, Clock::time_point now) {
  Parsed p = parse_object(text);
  if (!p.error.empty()) return internal_error();
  const json& body = p.body;
  json detail = json::array();
  auto text_field = [&](const char* key, bool required, std::string& out) {
    auto it = body.find(key);
    if (it == body.end() || (it->is_null() && !required)) {
      if (required) detail.push_back(field_error("missing", key, "Field required"));
    } else if (!it->is_string()) {
      detail.push_back(field_error("string_type", key, "Input should be a valid string"));
    } else {
      out = it->get<std::string>();
    }
  };
  std::string execution, task, feedback;
  text_field("executionId", true, execution);
  text_field("taskId", true, task);
  text_field("humanFeedback", false, feedback);
  bool approve = false;
  if (auto it = body.find("isApprove"); it != body.end() && !it->is_null()) {
    if (it->is_boolean())
      approve = it->get<bool>();
    else
      detail.push_back(field_error("bool_type", "isApprove", "Input should be a valid boolean"));
  }
  if (!detail.empty()) {
    Response r;
    r.status = 422;
    r.body = dump_json({{"detail", detail}});
    return r;
  }
  Webhooks hooks;
  if (auto msg = read_hooks(body, hooks, true); !msg.empty()) return error(422, msg);
  const bool pump = has_hooks(hooks);
  auto next = runs_.continue_run(execution, task, approve, feedback, std::move(hooks), now);
  stats_.resume(next ? "continued" : "unmatched");
  // An execution that is not waiting on that task gets an id all the same (live answered an
  // unknown execution so): one that names no run, and so reads NOT FOUND.
  const std::string id = next ? *next : runs_.unused_id();
  Response r;
  r.body = dump_json({{"kickoff_id", id}});
  if (next) {
    r.pump.push_back(execution);  // streaming events up to the pause, under the old id
    if (pump) r.pump.push_back(id);
  }
  return r;
}

}  // namespace crewai::sim::detail

// The bodies of the AMP endpoints: validation of what the client sent, then the run store.
#include <algorithm>

#include "api.hpp"
#include "status.hpp"

namespace crewai::sim::detail {

Parsed parse_object(const std::string& text) {
  Parsed p;
  if (text.empty()) {
    p.error = "request body is empty; expected a JSON object";
    return p;
  }
  // Nesting is bounded like the real service's parser: serialising recurses, and a 1 MB body of '['
  // would otherwise overflow the simulator's stack when the inputs are echoed back.
  constexpr int kMaxDepth = 128;
  bool too_deep = false;
  const json::parser_callback_t guard = [&too_deep](int depth, json::parse_event_t event, json&) {
    if (depth >= kMaxDepth &&
        (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)) {
      too_deep = true;
      return false;
    }
    return true;
  };
  p.body = json::parse(text, guard, false);
  if (too_deep) {
    p.error = "request body nests deeper than " + std::to_string(kMaxDepth) + " levels";
  } else if (p.body.is_discarded()) {
    p.error = "request body is not valid JSON";
  } else if (!p.body.is_object()) {
    p.error = "request body must be a JSON object";
  }
  return p;
}

namespace {

// Checks the `webhooks` (event streaming) object; returns an error message or empty. Null members
// count as absent.
std::string check_streaming(const json& w) {
  if (!w.is_object()) return "\"webhooks\" must be an object with a string \"url\"";
  auto present = [&w](const char* key) {
    auto it = w.find(key);
    return it != w.end() && !it->is_null() ? &*it : nullptr;
  };
  const json* url = present("url");
  if (!url || !url->is_string() || url->get_ref<const std::string&>().empty())
    return "\"webhooks.url\" is required and must be a non-empty string";
  if (const json* events = present("events")) {
    if (!events->is_array() ||
        !std::all_of(events->begin(), events->end(), [](const json& e) { return e.is_string(); }))
      return "\"webhooks.events\" must be an array of event type names (strings)";
  }
  if (const json* realtime = present("realtime"); realtime && !realtime->is_boolean())
    return "\"webhooks.realtime\" must be true or false";
  if (const json* auth = present("authentication"); auth && !auth->is_object())
    return "\"webhooks.authentication\" must be an object";
  return {};
}

}  // namespace

std::string read_hooks(const json& body, Webhooks& hooks, bool live) {
  const std::pair<const char*, std::string*> urls[] = {
      {"taskWebhookUrl", &hooks.task}, {"stepWebhookUrl", &hooks.step}, {"crewWebhookUrl", &hooks.crew}};
  for (const auto& [key, slot] : urls) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) return std::string("\"") + key + "\" must be a string URL";
    *slot = it->get<std::string>();
  }
  if (auto it = body.find("humanInputWebhook"); it != body.end() && !it->is_null()) {
    if (!it->is_object() || !it->contains("url") || !(*it)["url"].is_string())
      return "\"humanInputWebhook\" must be an object with a string \"url\"";
    hooks.human = *it;
  }
  // Live delivered the callback to this URL, without any Authorization header.
  if (auto it = body.find("humanInputWebhookUrl"); live && it != body.end() && !it->is_null()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty())
      return "\"humanInputWebhookUrl\" must be a non-empty string URL";
    hooks.human = {{"url", *it}};
  }
  if (auto it = body.find("webhooks"); it != body.end() && !it->is_null()) {
    if (auto msg = check_streaming(*it); !msg.empty()) return msg;
    hooks.streaming = *it;
  }
  return {};
}

bool has_hooks(const Webhooks& h) {
  return !h.task.empty() || !h.step.empty() || !h.crew.empty() || h.human.is_object() ||
         h.streaming.is_object();
}

Response Api::inputs() const {
  Response r;
  r.body = dump_json({{"inputs", runs_.crew().inputs}});
  return r;
}

Response Api::kickoff(const std::string& text, Clock::time_point now, double stuck_rate) {
  Parsed p = parse_object(text);
  // Live reads the body before checking anything: what is not a JSON object dies as a 500.
  if (!p.error.empty()) return live() ? internal_error() : error(400, p.error);
  const Crew& crew = runs_.crew();
  auto in = p.body.find("inputs");
  const bool wrapped = in != p.body.end() && in->is_object();
  if (!wrapped && !live()) return error(400, "\"inputs\" is required and must be a JSON object");
  NewRun n;
  n.inputs = wrapped ? *in : json::object();  // live: a bare body's values are no inputs
  if (auto m = p.body.find("meta"); m != p.body.end() && !m->is_null()) {
    if (!m->is_object()) return error(400, "\"meta\" must be a JSON object");
    n.meta = *m;
    if (auto id = m->find("requestId"); id != m->end())
      n.request_id = id->is_string() ? id->get<std::string>() : dump_json(*id);
  }
  if (auto msg = read_hooks(p.body, n.hooks, live()); !msg.empty()) return error(400, msg);
  // A flow's inputs are fields of its state model, each with a default: none is required (the
  // documented amp dialect keeps requiring the names of a flow script without a state model).
  const bool enforced = !crew.flow || (crew.state.empty() && !live());
  if (enforced)
    if (auto gone = missing_inputs(crew, n.inputs); !gone.empty()) return missing(gone);
  if (auto from = p.body.find("restoreFromStateId"); crew.flow && from != p.body.end() && from->is_string())
    n.restore_from = from->get<std::string>();
  n.stuck_rate = stuck_rate;
  std::string request_id = n.request_id;
  bool hooks = has_hooks(n.hooks);
  auto [id, stuck] = runs_.create(std::move(n), now);
  stats_.kickoff(request_id);
  if (stuck) stats_.fault("stuck_run");
  Response r;
  r.body = dump_json({{"kickoff_id", id}});
  if (hooks) r.pump.push_back(id);
  return r;
}

Response Api::status(const std::string& id, Clock::time_point now) {
  Response r;
  if (auto body = status_body(runs_, id, now, opts_.dialect)) {
    stats_.status_body(body->reused);
    r.body = std::move(body->text);
    return r;
  }
  if (opts_.dialect == Dialect::celery_legacy || live()) {
    static const std::string not_found = dump_json(celery_not_found());
    r.body = not_found;
    return r;
  }
  return error(404, "Kickoff " + id + " not found");
}

Response Api::resume(const std::string& text, Clock::time_point now) {
  Parsed p = parse_object(text);
  if (!p.error.empty()) return error(400, p.error);
  auto id = p.body.find("execution_id");
  if (id == p.body.end()) id = p.body.find("kickoff_id");
  if (id == p.body.end() || !id->is_string())
    return error(400, "\"execution_id\" is required and must be a string");
  auto approve = p.body.find("is_approve");
  if (approve == p.body.end() || !approve->is_boolean())
    return error(400, "\"is_approve\" is required and must be true or false");
  std::string feedback;
  if (auto f = p.body.find("human_feedback"); f != p.body.end() && !f->is_null()) {
    if (!f->is_string()) return error(400, "\"human_feedback\" must be a string");
    feedback = f->get<std::string>();
  }
  Webhooks hooks;
  if (auto msg = read_hooks(p.body, hooks, false); !msg.empty()) return error(400, msg);
  std::string run_id = id->get<std::string>();
  switch (runs_.resume(run_id, approve->get<bool>(), feedback, hooks, now)) {
    case ResumeOutcome::not_found: return error(404, "Execution " + run_id + " not found");
    case ResumeOutcome::not_paused: return error(400, "Execution " + run_id + " is not waiting for human input");
    case ResumeOutcome::not_flow:  // resume() answers crews and flows alike
    case ResumeOutcome::resumed:
    case ResumeOutcome::completed:
    case ResumeOutcome::retrying: break;
  }
  auto snap = runs_.snapshot(run_id, now);
  bool retry = !approve->get<bool>();
  bool done = !retry && snap && snap->second.state == State::success;
  Response r;
  r.body = dump_json({{"status", retry ? "retrying" : done ? "completed" : "resumed"},
                      {"message", retry ? "Task will be re-run with the feedback" : "Execution resumed"}});
  r.pump.push_back(run_id);
  return r;
}

Response Api::stop(const std::string& id, Clock::time_point now) {
  std::string state;
  switch (runs_.stop(id, now, state)) {
    case StopOutcome::stopped: {
      stats_.stop("stopped");
      Response r;
      r.body = dump_json({{"status", "stopped"}, {"kickoffId", id}});
      return r;
    }
    case StopOutcome::terminal:
      stats_.stop("refused");
      return error(400, "Cannot stop execution. Current state: " + state);
    case StopOutcome::not_found: break;
  }
  stats_.stop("unknown");
  return error(404, "Execution " + id + " not found");
}

// The flow callback (the request's callback_url): {"feedback": string, "source": string?}.
Response Api::flow_feedback(const std::string& id, const std::string& text, Clock::time_point now) {
  Parsed p = parse_object(text);
  if (!p.error.empty()) return error(400, p.error);
  auto feedback = p.body.find("feedback");
  if (feedback == p.body.end() || !feedback->is_string())
    return error(400, "\"feedback\" is required and must be a string");
  if (auto source = p.body.find("source");
      source != p.body.end() && !source->is_null() && !source->is_string())
    return error(400, "\"source\" must be a string");
  const ResumeOutcome outcome = runs_.answer_flow(id, feedback->get<std::string>(), now);
  switch (outcome) {
    case ResumeOutcome::not_found:
      return error(404, "Flow execution " + id + " not found");
    case ResumeOutcome::not_flow:
      return error(400, "Execution " + id + " is a crew, not a flow: answer it with POST /resume");
    case ResumeOutcome::not_paused:
      return error(400, "Flow execution " + id + " is not waiting for feedback");
    case ResumeOutcome::completed:
    case ResumeOutcome::resumed:
    case ResumeOutcome::retrying:
      break;
  }
  json body = {{"status", outcome == ResumeOutcome::completed ? "completed" : "resumed"},
               {"message", "Flow resumed with the feedback"},
               {"execution_id", id}};
  Response r;
  r.body = dump_json(body);
  r.pump.push_back(id);
  return r;
}

Response Api::sim_faults(const std::string& text) {
  Parsed p = parse_object(text);
  if (!p.error.empty()) return error(400, p.error);
  auto f = parse_faults(p.body);
  if (!f) return error(400, f.error());
  set_faults(std::move(*f));
  Response r;
  r.body = dump_json({{"faults", "replaced"}});
  return r;
}

}  // namespace crewai::sim::detail

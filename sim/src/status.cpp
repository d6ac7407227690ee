#include "status.hpp"

#include <ctime>

namespace crewai::sim::detail {
namespace {

// Stands for the elapsed seconds of a run in progress until status_body writes the clock's value there.
const json kElapsed = "\x01" "elapsed\x01";
const std::string kElapsedText = dump_json(kElapsed);

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

json task_events(const RunStore& store, const View& v) {
  json events = json::array();
  if (v.state == State::pending) return events;
  events.push_back({{"type", "crew_kickoff_started"}, {"task", nullptr}});
  const auto& tasks = store.crew().tasks;
  for (std::size_t i = 0; i < v.completed && i < tasks.size(); ++i) {
    events.push_back({{"type", "task_started"}, {"task", tasks[i].name}});
    events.push_back({{"type", "task_completed"}, {"task", tasks[i].name}});
  }
  if (v.state == State::running && v.current)
    events.push_back({{"type", "task_started"}, {"task", tasks[*v.current].name}});
  if (v.state == State::failed) {
    if (v.current) events.push_back({{"type", "task_failed"}, {"task", tasks[*v.current].name}});
    events.push_back({{"type", "crew_kickoff_failed"}, {"task", nullptr}});
  }
  if (v.state == State::success) events.push_back({{"type", "crew_kickoff_completed"}, {"task", nullptr}});
  return events;
}

std::string status_message(const RunStore& store, const Run& r, const View& v) {
  const auto& tasks = store.crew().tasks;
  switch (v.state) {
    case State::pending: return "Queued";
    case State::started: return "Crew started";
    case State::running:
      return "Running task " + std::to_string(*v.current + 1) + "/" + std::to_string(tasks.size()) +
             ": " + tasks[*v.current].name;
    case State::paused: return "Waiting for human input on task " + tasks[*v.current].name;
    case State::success: return "Completed";
    case State::failed: return r.fail_message;
    case State::revoked: return "Execution stopped";
  }
  return {};
}

// `elapsed`: duration_seconds of a run in progress (the caller's clock; see render_status).
json progress(const RunStore& store, const Run& r, const View& v, const json& elapsed) {
  const auto& crew = store.crew();
  bool flow = crew.flow;
  json cur = nullptr, agent = nullptr;
  if (v.current && !is_terminal(v.state)) {
    cur = crew.tasks[*v.current].name;
    agent = crew.tasks[*v.current].agent;
  }
  json duration = nullptr;
  if (v.started_at)
    duration = is_terminal(v.state) ? json(seconds_between(*v.started_at, v.updated_at)) : elapsed;
  return {{"unit", flow ? "step" : "task"},
          {"completed", v.completed},
          {"total", flow ? json() : json(crew.tasks.size())},
          {"remaining", flow ? json() : json(crew.tasks.size() - v.completed)},
          {"current", cur},
          {"current_agent", agent},
          {"started_at", v.started_at ? json(iso_time(r, *v.started_at)) : json()},
          {"updated_at", iso_time(r, v.updated_at)},
          {"duration_seconds", duration}};
}

}  // namespace

std::string iso_time(const Run& r, Clock::time_point t) {
  auto wall = r.created_wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                   t - r.created);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

json amp_status(const RunStore& store, const Run& r, const View& v, bool celery, const json& elapsed) {
  const auto& crew = store.crew();
  std::string state = state_name(v.state);
  if (celery && v.state == State::failed) state = "FAILURE";
  json events = task_events(store, v);
  json by_type = json::object();
  for (const auto& e : events) {
    auto& slot = by_type[e["type"].get<std::string>()];
    slot = slot.is_null() ? 1 : slot.get<int>() + 1;
  }
  json last_task = nullptr, last_step = nullptr;
  if (v.completed > 0) last_task = crew.tasks[v.completed - 1].name;
  if (v.state == State::paused && v.current) {
    // The task waiting for human input has run: it is the last executed one, with its output.
    last_task = {{"id", crew.tasks[*v.current].name},
                 {"name", crew.tasks[*v.current].name},
                 {"output", store.task_output(r, *v.current)}};
  }
  if (v.current && v.state != State::pending && v.state != State::started) {
    const auto& t = crew.tasks[*v.current];
    last_step = {{"agent", t.agent}, {"task", t.name}, {"thought", "Working on " + t.name},
                 {"tool", nullptr}};
  }
  json result = nullptr, result_json = nullptr;
  if (v.state == State::success) {
    result = store.result_string(r);
    result_json = store.result_json(r);
  } else if (v.state == State::paused) {
    result = store.task_output(r, *v.current);
  } else if (v.state == State::failed) {
    result = r.fail_message;
  }
  return {{"state", state},
          {"status", status_message(store, r, v)},
          {"result", result},
          {"result_json", result_json},
          {"usage_metrics", v.state == State::pending ? json() : store.usage(v)},
          {"progress", celery ? json() : progress(store, r, v, elapsed)},
          {"last_event", events.empty() ? json() : events.back()},
          {"events", events},
          {"events_count", events.size()},
          {"events_by_type", by_type},
          {"triggered_by", {{"type", "service_account"}, {"id", "crewai-sim"}}},
          {"execution_origin", r.resumed ? "hitl-resume" : "api"},
          {"last_step", last_step},
          {"last_executed_task", last_task},
          {"flow_id", crew.flow && v.state == State::paused ? json(r.id) : json()},
          {"source", "application"}};
}

json live_status(const RunStore& store, const Run& r, const View& v, const json& elapsed) {
  json j = amp_status(store, r, v, false, elapsed);
  switch (v.state) {
    case State::pending: j["status"] = "Task is Pending"; break;
    case State::started: j["status"] = "Task has Started"; break;
    case State::running: j["status"] = "Task is Running"; break;
    case State::paused: j["status"] = "Waiting for human feedback"; break;
    case State::success: j["status"] = nullptr; break;
    case State::failed: j["result"] = nullptr; break;
    case State::revoked: j["status"] = "Task was Revoked"; break;
  }
  return j;
}

json celery_not_found() {
  json j = {{"state", "NOT FOUND"}};
  for (const char* k : {"status", "result", "result_json", "usage_metrics", "progress", "last_event",
                        "events", "events_count", "events_by_type", "triggered_by",
                        "execution_origin", "last_step", "last_executed_task", "flow_id", "source"})
    j[k] = nullptr;
  return j;
}

json seed_status(const RunStore& store, const Run& r, const View& v, const json& elapsed) {
  const auto& crew = store.crew();
  const char* status = "running";
  if (v.state == State::pending || v.state == State::started) status = "pending";
  if (v.state == State::success) status = "completed";
  if (v.state == State::failed || v.state == State::revoked) status = "error";
  json result = nullptr;
  if (v.state == State::success) result = {{"output", store.result_string(r)}};
  json current = nullptr;
  if (v.current && !is_terminal(v.state)) current = crew.tasks[*v.current].name;
  json exec = nullptr;
  if (v.started_at)
    exec = is_terminal(v.state) ? json(seconds_between(*v.started_at, v.updated_at)) : elapsed;
  return {{"status", status},
          {"result", result},
          {"error_message", v.state == State::failed    ? json(r.fail_message)
                            : v.state == State::revoked ? json("Execution stopped")
                                                        : json()},
          {"progress", {{"completed_tasks", v.completed}, {"total_tasks", crew.tasks.size()}}},
          {"current_task", current},
          {"execution_time", exec}};
}

namespace {

json status_object(const RunStore& store, const Run& r, const View& v, Dialect dialect,
                   const json& elapsed) {
  switch (dialect) {
    case Dialect::seed: return seed_status(store, r, v, elapsed);
    case Dialect::live: return live_status(store, r, v, elapsed);
    case Dialect::amp:
    case Dialect::celery_legacy: break;
  }
  return amp_status(store, r, v, dialect == Dialect::celery_legacy, elapsed);
}

// The clock is read when the body is made, as when every body was built whole on each request.
json elapsed_now(const View& v) { return seconds_between(*v.started_at, Clock::now()); }

// The body with the marker where the elapsed seconds go, cut in two there. The marker is ours only
// when it occurs once: a client string equal to it (echoed through a template) makes two, and then
// the body is made whole on every request instead.
StatusMemo render_memo(const RunStore& store, const Run& r, const View& v, Dialect dialect) {
  StatusMemo m;
  m.revision = r.revision;
  m.view = v;
  m.head = dump_json(status_object(store, r, v, dialect, kElapsed));
  // Nothing in the body moves with the clock before the run starts, once it has ended, or in the
  // celery dialect (no progress object).
  if (!v.started_at || is_terminal(v.state) || dialect == Dialect::celery_legacy) return m;
  const auto at = m.head.find(kElapsedText);
  if (at == std::string::npos || m.head.find(kElapsedText, at + 1) != std::string::npos) {
    m.head.clear();
    m.reusable = false;
    return m;
  }
  m.tail = m.head.substr(at + kElapsedText.size());
  m.head.resize(at);
  m.timed = true;
  return m;
}

}  // namespace

std::optional<StatusBody> status_body(const RunStore& store, const std::string& id,
                                      Clock::time_point now, Dialect dialect) {
  std::optional<StatusBody> body;
  store.visit(id, now, [&](const Run& r, const View& v) {
    if (store.hidden(v)) return;
    StatusMemo& m = r.status_memo;
    const bool fresh = m.revision == r.revision && m.view == v;
    if (!fresh) m = render_memo(store, r, v, dialect);
    body.emplace();
    body->reused = fresh && m.reusable;
    if (!m.reusable) {
      body->text = dump_json(status_object(store, r, v, dialect, elapsed_now(v)));
    } else if (!m.timed) {
      body->text = m.head;
    } else {
      const std::string seconds = dump_json(elapsed_now(v));
      body->text.reserve(m.head.size() + seconds.size() + m.tail.size());
      body->text.append(m.head).append(seconds).append(m.tail);
    }
  });
  return body;
}

}  // namespace crewai::sim::detail

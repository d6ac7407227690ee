#include "status.hpp"

#include <ctime>

namespace crewai::sim::detail {
namespace {

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

json progress(const RunStore& store, const Run& r, const View& v, Clock::time_point now) {
  const auto& crew = store.crew();
  bool flow = crew.flow;
  json cur = nullptr, agent = nullptr;
  if (v.current && !is_terminal(v.state)) {
    cur = crew.tasks[*v.current].name;
    agent = crew.tasks[*v.current].agent;
  }
  auto end = is_terminal(v.state) ? v.updated_at : now;
  json duration = nullptr;
  if (v.started_at) duration = std::chrono::duration<double>(end - *v.started_at).count();
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

json amp_status(const RunStore& store, const Run& r, const View& v, bool celery) {
  const auto& crew = store.crew();
  auto now = Clock::now();
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
          {"progress", celery ? json() : progress(store, r, v, now)},
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

json live_status(const RunStore& store, const Run& r, const View& v) {
  json j = amp_status(store, r, v, false);
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

json seed_status(const RunStore& store, const Run& r, const View& v) {
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
  if (v.started_at) {
    auto end = is_terminal(v.state) ? v.updated_at : Clock::now();
    exec = std::chrono::duration<double>(end - *v.started_at).count();
  }
  return {{"status", status},
          {"result", result},
          {"error_message", v.state == State::failed    ? json(r.fail_message)
                            : v.state == State::revoked ? json("Execution stopped")
                                                        : json()},
          {"progress", {{"completed_tasks", v.completed}, {"total_tasks", crew.tasks.size()}}},
          {"current_task", current},
          {"execution_time", exec}};
}

}  // namespace crewai::sim::detail
